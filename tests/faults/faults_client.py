"""A careful API client, as the apps should be: it retries what may succeed on a retry and
never changes the request while doing so.

Retried: 5xx, 429, a 409 that says a retry may succeed (it carries Retry-After:
`start_contended`, `review_contended`) and network errors (in the local gateway, an
exception out of the handler: API Gateway would answer 502), honouring Retry-After.
Backoff is exponential with full jitter, bounded per call (CALL_BUDGET seconds,
but at least MIN_ATTEMPTS tries) and per learner (LEARNER_BUDGET).
The same Idempotency-Key and the same body go out on every retry.
"""
from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field

BASE_BACKOFF = 0.05
MAX_BACKOFF = 1.0
CALL_BUDGET = 6.0          # seconds a learner keeps retrying one call (the app's spinner)...
MIN_ATTEMPTS = 3           # ...but never fewer tries than this (one slow answer is not a lock-out)
LEARNER_BUDGET = 45.0      # seconds a learner's whole visit may take before it stops retrying


@dataclass
class Outcome:
    status: int                  # the last answer's status (0: network error on the last try)
    body: dict | None
    attempts: int
    gave_up: bool                # budget spent while the answer was still retryable
    saw_conflict: bool = False   # some answer was a retryable 409 (Retry-After)

    @property
    def code(self) -> str | None:
        return ((self.body or {}).get("error") or {}).get("code")

    @property
    def data(self):
        return (self.body or {}).get("data")


@dataclass
class ClientStats:
    calls: int = 0
    retries: int = 0
    gave_up: int = 0
    statuses: Counter = field(default_factory=Counter)      # every answer seen, retried or not
    conflicts: Counter = field(default_factory=Counter)      # every 409 seen, by error code
    network_errors: int = 0
    retry_seconds: float = 0.0
    slowest: tuple[float, str] = (0.0, "")                   # the slowest call, retries included

    def merge(self, other: "ClientStats") -> None:
        self.calls += other.calls
        self.retries += other.retries
        self.gave_up += other.gave_up
        self.statuses.update(other.statuses)
        self.conflicts.update(other.conflicts)
        self.network_errors += other.network_errors
        self.retry_seconds += other.retry_seconds
        self.slowest = max(self.slowest, other.slowest)

    def as_dict(self) -> dict:
        return {"calls": self.calls, "retries": self.retries, "gaveUp": self.gave_up,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "conflicts409": sum(self.conflicts.values()),
                "conflictsByCode": {str(k): v for k, v in sorted(self.conflicts.items(), key=str)},
                "networkErrors": self.network_errors,
                "retrySeconds": round(self.retry_seconds, 2)}


def retryable(status: int, body: dict | None, headers: dict | None = None) -> bool:
    if status == 0 or status >= 500 or status == 429:
        return True
    return status == 409 and retry_after(headers or {}) is not None


def retry_after(headers: dict) -> float | None:
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class CarefulClient:
    """One learner's client over an ApiClient (tests/apitest.py) bound to the learner's token."""

    def __init__(self, api, rng: random.Random, *, call_budget: float = CALL_BUDGET,
                 learner_budget: float = LEARNER_BUDGET) -> None:
        self.api = api
        self.rng = rng
        self.call_budget = call_budget
        self.learner_deadline = time.monotonic() + learner_budget
        self.stats = ClientStats()

    def call(self, method: str, path: str, body=None, *, key: str | None = None) -> Outcome:
        headers = {"Idempotency-Key": key} if key else {}
        payload = json.dumps(body, ensure_ascii=False) if body is not None else None   # one body for every try
        self.stats.calls += 1
        started = time.monotonic()
        attempt = 0
        conflict = False
        while True:
            attempt += 1
            try:
                response = self.api.call(method, path, headers=headers, raw=payload)
                status, parsed, response_headers = response.status, response.json(), response.headers
            except Exception:  # noqa: BLE001 - a network error (in-process: the handler blew up, a 502)
                status, parsed, response_headers = 0, None, {}
                self.stats.network_errors += 1
            self.stats.statuses[status] += 1
            again = retryable(status, parsed, response_headers)
            if status == 409:
                self.stats.conflicts[((parsed or {}).get("error") or {}).get("code")] += 1
                conflict = conflict or again
            if not again:
                self.stats.slowest = max(self.stats.slowest, (round(time.monotonic() - started, 2), f"{method} {path}"))
                return Outcome(status, parsed, attempt, False, conflict)
            pause = retry_after(response_headers)
            if pause is None:
                pause = self.rng.uniform(0, min(MAX_BACKOFF, BASE_BACKOFF * 2 ** (attempt - 1)))
            resume = time.monotonic() + pause
            out_of_time = resume > started + self.call_budget and attempt >= MIN_ATTEMPTS
            if out_of_time or resume > self.learner_deadline:
                self.stats.gave_up += 1
                return Outcome(status, parsed, attempt, True, conflict)
            self.stats.retries += 1
            self.stats.retry_seconds += pause
            time.sleep(pause)

    def get(self, path: str) -> Outcome:
        return self.call("GET", path)

    def post(self, path: str, body=None, *, key: str | None = None) -> Outcome:
        return self.call("POST", path, body, key=key)

    def patch(self, path: str, body=None, *, key: str | None = None) -> Outcome:
        return self.call("PATCH", path, body, key=key)

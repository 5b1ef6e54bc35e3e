"""Schemathesis hooks of test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

A positive case must be a request the API accepts. Where the document states a rule that JSON
Schema cannot express, a positive case is made to follow it just before it is sent, as a client
would; negative cases are sent as generated:
- a cursor is opaque and valid only when the API made it: a positive case keeps only one that
  reads as the API's (the stateful phase carries real ones from nextCursor);
- the admin ranges: from <= to (to defaults to today), at most 366 days;
- an imported createdAt is at most 24 hours ahead of the server's clock;
- an end's latency histogram adds up to its turns (turns becomes the sum, or, where the sum is
  over the bound of turns, the histogram becomes turns in its first bucket).
And every case: an Idempotency-Key names one request, so each request sent gets a fresh one
(two bodies under one key is 422 idempotency_key_reused, documented); an over-long one is kept.
"""
from __future__ import annotations

import itertools
import time
from collections.abc import MutableMapping
from datetime import date, datetime, timezone

import schemathesis

from speakpho import cursors
from speakpho.errors import BadRequest
from speakpho.latency import MAX_TURNS

KEYS = itertools.count(1)
MAX_RANGE_DAYS = 366
MAX_KEY = 128


def _api_cursor(value: object) -> bool:
    try:
        cursors.decode(str(value))
    except BadRequest:
        return False
    return True


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _fit_range(query: MutableMapping) -> None:
    """A range the API takes: when from is after to or the range covers more than 366 days,
    to becomes from (one day). A to alone always fits (from = to - 6 days)."""
    start, end = _day(query.get("from")), _day(query.get("to"))
    if start is None:
        return
    last = end or datetime.now(timezone.utc).date()
    if start > last or (last - start).days + 1 > MAX_RANGE_DAYS:
        query["to"] = start.isoformat()


def _fit_created(body: object) -> None:
    now_ms = int(time.time() * 1000)
    for item in (body.get("corrections") or []) if isinstance(body, dict) else []:
        if isinstance(item, dict) and isinstance(item.get("createdAt"), (int, float)) and item["createdAt"] > now_ms:
            item["createdAt"] = now_ms


def _whole(value: object) -> bool:
    return not isinstance(value, bool) and (isinstance(value, int) or (isinstance(value, float) and value.is_integer()))


def _fit_latency(body: object) -> None:
    latency = body.get("latency") if isinstance(body, dict) else None
    for figures in latency.values() if isinstance(latency, dict) else ():
        histogram = figures.get("histogram") if isinstance(figures, dict) else None
        # JSON Schema's integers include 5.0 (the API takes it as 5): count those too.
        if not isinstance(histogram, list) or not all(_whole(n) for n in histogram):
            continue
        if sum(int(n) for n in histogram) <= MAX_TURNS:
            figures["turns"] = sum(int(n) for n in histogram)
        elif _whole(figures.get("turns")):
            figures["histogram"] = [int(figures["turns"])] + [0] * (len(histogram) - 1)


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers if isinstance(case.headers, MutableMapping) else {}
    for name in [n for n in headers if n.lower() == "idempotency-key"]:
        if isinstance(headers[name], str) and 0 < len(headers[name]) <= MAX_KEY:
            headers[name] = f"contract-{next(KEYS)}"
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    if isinstance(case.query, MutableMapping):
        if "cursor" in case.query and not _api_cursor(case.query["cursor"]):
            del case.query["cursor"]
        if case.path.startswith(("/api/admin/sessions", "/api/admin/corrections/")):
            _fit_range(case.query)
    if case.path == "/api/learning/corrections/import":
        _fit_created(case.body)
    if case.path == "/api/session/end":
        _fit_latency(case.body)

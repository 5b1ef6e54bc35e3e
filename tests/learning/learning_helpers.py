"""Helpers and fixtures of the learning tests: sessions created through the real API, and a
counter of the DynamoDB requests each call makes.

Test modules import the fixtures from here (a uniquely named module, like tests/apitest.py:
`from conftest import ...` is ambiguous once folders have their own conftest). The root
fixtures (api, clock, dynamodb) come from tests/conftest.py as usual.
"""
from __future__ import annotations

from collections import Counter

import pytest

from apitest import data  # noqa: F401 - re-exported for the learning tests


def error(response, status: int) -> dict:
    """The `error` of a failure envelope, asserting the status first."""
    assert response.status == status, (response.status, response.body)
    body = response.json()
    assert body["success"] is False, body
    return body["error"]


def run_session(client, clock, *, topic: str = "food", mode: str = "coach", messages=(), corrections=(),
                seconds: int = 30, end: bool = True) -> str:
    """POST /api/session/start then /api/session/end with this transcript; returns the id."""
    started = data(client.post("/api/session/start", {"topic": topic, "mode": mode}), 201)
    session_id = started["sessionId"]
    if end:
        clock.advance(seconds)
        data(client.post("/api/session/end", {"sessionId": session_id, "messages": list(messages),
                                              "corrections": list(corrections)}))
    return session_id


def correction(n: int, category: str | None = "grammar") -> dict:
    item = {"original": f"Tôi đi chợ {n}", "correction": f"Tôi đã đi chợ {n}",
            "explanation": f"Thì quá khứ {n}"}
    if category:
        item["category"] = category
    return item


class RequestCounter:
    """Counts DynamoDB operations sent by the shared client (botocore before-call hook)."""

    def __init__(self, client) -> None:
        self.calls: Counter = Counter()
        client.meta.events.register("before-call.dynamodb.*", self._count)

    def _count(self, event_name: str, **_kwargs) -> None:
        self.calls[event_name.rsplit(".", 1)[-1]] += 1

    def reset(self) -> None:
        self.calls.clear()

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@pytest.fixture
def ddb_requests(dynamodb):
    return RequestCounter(dynamodb)


@pytest.fixture
def alice(api):
    return api.as_user("alice", email="alice@example.com")


@pytest.fixture
def bob(api):
    return api.as_user("bob", email="bob@example.com")

"""Shared pieces of the admin tests: a known dataset of sessions created through the real
API over several days, the stream pump that feeds the rollups, and a request counter."""
from __future__ import annotations

import contextlib
from datetime import datetime, timezone

import pytest

from apitest import data


def at(day: str, hour: int, minute: int = 0) -> int:
    """Epoch ms of a UTC day and time."""
    y, m, d = (int(p) for p in day.split("-"))
    return int(datetime(y, m, d, hour, minute, tzinfo=timezone.utc).timestamp() * 1000)


@pytest.fixture
def pump(api, dynamodb):
    from local.streams import StreamPump

    return StreamPump(api.gateway, dynamodb)


@pytest.fixture
def admin(api):
    return api.as_user("root", admin=True, email="root@example.com")


@contextlib.contextmanager
def count_requests(client):
    """Counts the DynamoDB API calls made on `client` (the handlers' shared client)."""
    calls: list[str] = []

    def record(event_name, **_):
        calls.append(event_name.rsplit(".", 1)[-1])

    client.meta.events.register("before-call.dynamodb.*", record)
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-call.dynamodb.*", record)


def user(api, name: str):
    return api.as_user(name, email=f"{name}@example.com")


def start(client, mode: str, provider: str) -> str:
    return data(client.post("/api/session/start", {"mode": mode, "provider": provider, "topic": "market"}),
                201)["sessionId"]


def switch(client, session_id: str, provider: str, code: int | None = None) -> None:
    body = {"sessionId": session_id, "provider": provider}
    if code is not None:
        body["disconnectCode"] = code
    data(client.post("/api/session/switch-provider", body))


def end(client, session_id: str, **fields) -> dict:
    return data(client.post("/api/session/end", {"sessionId": session_id, **fields}))


def build_dataset(api, clock, pump) -> dict[str, str]:
    """Nine sessions over 2026-10-31 .. 2026-11-10 (11-04, 11-06 and 11-08 empty); see the
    table in test_admin_health.py. Returns name -> session id; the clock ends at T0."""
    from infra.catalog import SWEEPER

    alice, bob, carol, dave, erin = (user(api, n) for n in ("alice", "bob", "carol", "dave", "erin"))
    root = api.as_user("root", admin=True, email="root@example.com")
    ids: dict[str, str] = {}

    clock.set(at("2026-10-31", 10))
    ids["s1"] = start(alice, "coach", "gemini")
    clock.advance(120)
    end(alice, ids["s1"], disconnectCode=1000, disconnectReason="Normal closure")

    clock.set(at("2026-11-05", 9))
    ids["s2"] = start(bob, "free", "gemini")
    clock.advance(100)
    switch(bob, ids["s2"], "openai", 1011)
    clock.advance(140)
    end(bob, ids["s2"], provider="openai", disconnectCode=1006, disconnectReason="Abnormal closure")

    clock.set(at("2026-11-05", 15))
    ids["s3"] = start(alice, "coach", "gemini")
    clock.advance(60)
    end(alice, ids["s3"], messages=[
        {"role": "user", "text": "Toi muon mua ca phe", "timestamp": at("2026-11-05", 15) + 10_000},
        {"role": "coach", "text": "Tôi muốn mua cà phê.", "timestamp": at("2026-11-05", 15) + 20_000},
    ], corrections=[{"original": "Toi", "correction": "Tôi", "explanation": "tone marks", "category": "tone"}])

    clock.set(at("2026-11-07", 8))
    ids["s4"] = start(carol, "coach", "openai")
    clock.advance(300)
    end(carol, ids["s4"], disconnectCode=1006)

    clock.set(at("2026-11-07", 20))
    ids["s5"] = start(bob, "coach", "gemini")
    clock.advance(60)
    switch(bob, ids["s5"], "openai", 1011)
    clock.advance(60)
    switch(bob, ids["s5"], "gemini")
    clock.advance(60)
    end(bob, ids["s5"], provider="gemini", disconnectCode=1000)

    clock.set(at("2026-11-09", 10))
    data(root.put("/api/admin/users/dave/allowance", {"secondsLimit": 60, "reason": "test cap"}))
    ids["s6"] = start(dave, "free", "gemini")
    clock.advance(120)
    end(dave, ids["s6"], disconnectCode=1011, disconnectReason="Server error")

    clock.set(at("2026-11-09", 18))
    ids["s7"] = start(carol, "free", "gemini")
    clock.advance(90)
    data(carol.post("/api/session/heartbeat", {"sessionId": ids["s7"]}))
    clock.advance(200)
    api.gateway.invoke(SWEEPER.handler, {"source": "test"}, name="sweeper")

    clock.set(at("2026-11-10", 10))
    ids["s9"] = start(erin, "coach", "gemini")
    clock.advance(600)
    end(erin, ids["s9"], disconnectCode=1001)

    clock.set(at("2026-11-10", 11))
    ids["s8"] = start(alice, "free", "gemini")   # still active

    clock.set(at("2026-11-10", 12))              # = T0
    pump.drain()
    return ids


class Dataset:
    def __init__(self, api, ids: dict[str, str], client, pump) -> None:
        self.api, self.ids, self.client, self.pump = api, ids, client, pump


def dataset_environment():
    """A module-scoped moto stack holding build_dataset's sessions (same setup as the
    `dynamodb` fixture), for tests that only read; yields a Dataset."""
    from moto import mock_aws

    from apitest import T0, ApiClient, fresh_tables
    from local.gateway import Gateway
    from local.streams import StreamPump
    from speakpho.clock import clock

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("DYNAMODB_ENDPOINT", raising=False)
        with mock_aws(), fresh_tables() as client:
            gateway = Gateway()
            api = ApiClient(gateway)
            clock.set(T0)
            stream_pump = StreamPump(gateway, client)
            try:
                yield Dataset(api, build_dataset(api, clock, stream_pump), client, stream_pump)
            finally:
                clock.set(None)

"""A client that follows none of the protocol, against `make dev`'s runner and its fake Gemini:
it never heartbeats, never ends, forges outages, and talks for as long as its token lets it.
What it gains is measured as connection time at the fake against what it was charged, and must
stay within what docs/metering.md "Sessions closed without an end" states: at most one lease
unpaid for each of the period's first VANISHED_FAIR_SESSIONS such sessions, nothing for the
later ones, and no credit for outages the server never saw."""
from __future__ import annotations

import base64
import time
import uuid

import pytest
from gemini_client import GeminiClient
from websockets.exceptions import ConnectionClosed

from apitest import http_call
from dev_server import DevServer
from local import tokens
from speakpho.config import Settings

SETTINGS = Settings()
STEP_SECONDS = 60          # the adversary speaks once a dev-minute
MAX_STEPS = 20
SESSIONS = SETTINGS.vanished_fair_sessions + 2
AUDIO = {"realtimeInput": {"audio": {"data": base64.b64encode(b"\0\0" * 1600).decode(),
                                     "mimeType": "audio/pcm;rate=16000"}}}


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    with DevServer(tmp_path_factory.mktemp("adversary") / "server.log") as server:
        yield server.wait_ready(60).base


def call(runner: str, method: str, path: str, body=None, token=None, status: int = 200):
    got, answer = http_call(runner, method, path, body, token=token)
    assert got == status, (got, answer)
    return answer["data"]


def forged_outage(at: int) -> list[dict]:
    return [{"eventId": str(uuid.uuid4()), "type": "provider_disconnected", "at": at + 5_000, "provider": "gemini",
             "code": 1011, "reason": "forged"},
            {"eventId": str(uuid.uuid4()), "type": "provider_connected", "at": at + 290_000, "provider": "gemini"}]


def talk_until_cut_off(runner: str, access: dict) -> None:
    """Holds the Live connection, speaking once a dev-minute, until the fake closes it."""
    client = GeminiClient(access["url"], access["token"], {"model": f"models/{SETTINGS.gemini_model}"})
    assert "setupComplete" in client.recv()
    try:
        for step in range(1, MAX_STEPS + 1):
            call(runner, "POST", "/local/clock", {"advanceSeconds": STEP_SECONDS})
            client.send(AUDIO)
            # The fake must see this chunk before the clock moves again, or it would judge it (and
            # record the close) a step late: wait until it counted it or closed the connection.
            wait_for_fake(runner, access["token"], lambda c: c["closedAt"] or c["audioBytesIn"] >= step * CHUNK)
        pytest.fail("the fake never cut the connection off")
    except ConnectionClosed as closed:
        assert closed.rcvd is None or closed.rcvd.code == 1008   # the token's expiry, nothing else
    finally:
        client.close()


CHUNK = len(b"\0\0" * 1600)


def wait_for_fake(runner: str, token: str, done, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection = next(c for c in call(runner, "GET", "/local/providers/log")["connections"] if c.get("token") == token)
        if done(connection):
            return
        time.sleep(0.02)
    pytest.fail("the fake did not take the adversary's audio in time")


def connected_seconds(runner: str, token: str) -> float:
    connections = [c for c in call(runner, "GET", "/local/providers/log")["connections"] if c.get("token") == token]
    assert len(connections) == 1 and connections[0]["closedAt"], connections
    return (connections[0]["closedAt"] - connections[0]["openedAt"]) / 1000


def test_a_client_that_follows_no_protocol_gains_at_most_the_stated_leases(runner):
    name = f"adversary-{time.monotonic_ns()}"
    learner, admin = tokens.mint(name), tokens.mint("root", groups=["admin"])
    unpaid: list[float] = []
    for _ in range(SESSIONS):
        started = call(runner, "POST", "/api/session/start", {"provider": "gemini"}, learner, status=201)
        sid, access = started["sessionId"], started["providerAccess"]
        call(runner, "POST", "/api/session/events", {"sessionId": sid, "events": forged_outage(started["startedAt"])},
             learner)
        talk_until_cut_off(runner, access)
        call(runner, "POST", "/local/clock", {"advanceSeconds": SETTINGS.stale_after_seconds + 1})
        call(runner, "POST", "/local/jobs/sweep")
        session = call(runner, "GET", f"/api/admin/sessions/{sid}", token=admin)["session"]
        assert session["status"] == "ended" and session["endedBy"] == "client_vanished"
        assert session["creditedSeconds"] == 0                     # the forged outage earned nothing
        unpaid.append(connected_seconds(runner, access["token"]) - session["secondsUsed"])
    lease = SETTINGS.lease_max_seconds
    fair = SETTINGS.vanished_fair_sessions
    # One lease each (plus the adversary's last step, when the fake saw the expiry) for the fair ones...
    assert all(u <= lease + STEP_SECONDS for u in unpaid[:fair]), unpaid
    assert all(u > lease / 2 for u in unpaid[:fair]), unpaid            # they did talk unpaid: the test bites
    # ...and nothing beyond the step for the later ones, which pay for the token they held.
    assert all(u <= STEP_SECONDS for u in unpaid[fair:]), unpaid
    assert sum(unpaid) <= fair * (lease + STEP_SECONDS) + (SESSIONS - fair) * STEP_SECONDS

"""Provider access as a newcomer sees it in `make dev`: the local runner, started here, gives
Gemini tokens that its fake Gemini accepts once, places OpenAI calls at its fake OpenAI over
real WebRTC on 127.0.0.1, and hangs those calls up at the end, at a sweep, at a switch away
and at the limit (the hangup schedule firing by itself on the dev clock). What the fakes saw
comes from GET /local/providers/log."""
from __future__ import annotations

import asyncio
import time

import pytest
from aiortc import RTCSessionDescription
from gemini_client import GeminiClient

import own_loop
from apitest import http_call
from dev_server import DevServer
from local import tokens
from local.fakes.browser_peer import browser_offer
from local.fakes.loopback_ice import candidate_addresses
from speakpho.config import Settings

SETTINGS = Settings()


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    with DevServer(tmp_path_factory.mktemp("providers") / "server.log") as server:
        yield server.wait_ready(60).base


def learner(name: str) -> str:
    return tokens.mint(f"{name}-{time.monotonic_ns()}")


def call(runner: str, method: str, path: str, body=None, token=None, status: int = 200):
    got, answer = http_call(runner, method, path, body, token=token)
    assert got == status, (got, answer)
    return answer["data"] if answer and "data" in answer else answer


def now(runner: str) -> int:
    return call(runner, "POST", "/local/clock", {"advanceSeconds": 0})["now"]


def log(runner: str) -> dict:
    return call(runner, "GET", "/local/providers/log")


def gemini_setup_of(access: dict) -> dict:
    return {"model": f"models/{SETTINGS.gemini_model}"}   # the rest comes from the token's lock


def open_call(runner: str, token: str, session_id: str) -> tuple[dict, object]:
    """The browser's part of an OpenAI call: an offer with a microphone and the oai-events channel,
    POST /api/session/connect, the answer set. Returns (the connect's data, the peer connection)."""
    async def connect():
        pc = await browser_offer()
        answer = await asyncio.to_thread(call, runner, "POST", "/api/session/connect",
                                         {"sessionId": session_id, "sdp": pc.localDescription.sdp}, token)
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        return answer, pc
    return own_loop.run(connect())


def hangups_of(runner: str, call_id: str, timeout: float = 10) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [h for h in log(runner)["hangups"] if h["callId"] == call_id]
        if found:
            return found
        time.sleep(0.2)
    return []


def openai_session(runner: str, token: str) -> tuple[str, str]:
    started = call(runner, "POST", "/api/session/start", {"provider": "openai"}, token, status=201)
    assert started["providerAccess"]["transport"] == "webrtc"
    answer, _ = open_call(runner, token, started["sessionId"])
    assert answer["provider"] == "openai" and answer["callId"].startswith("rtc_")
    assert set(candidate_addresses(answer["sdp"])) == {"127.0.0.1"}   # loopback only
    return started["sessionId"], answer["callId"]


def test_the_providers_are_offered(runner):
    listed = call(runner, "GET", "/api/session/providers", token=learner("p"))["providers"]
    assert [(p["id"], p["available"], p["transport"]) for p in listed] == [
        ("gemini", True, "websocket"), ("openai", True, "webrtc")]


def test_a_gemini_token_opens_one_session_within_the_lease_and_the_minutes(runner):
    token = learner("g")
    at = now(runner)
    access = call(runner, "POST", "/api/session/start", {"provider": "gemini"}, token, status=201)["providerAccess"]
    lease = min(1800 + SETTINGS.lease_grace_seconds, SETTINGS.lease_max_seconds) * 1000
    assert at < access["expiresAt"] <= at + lease + 1000
    assert access["newSessionExpiresAt"] <= at + SETTINGS.new_session_window_seconds * 1000 + 1000
    first = GeminiClient(access["url"], access["token"], gemini_setup_of(access))
    assert "setupComplete" in first.recv()
    second = GeminiClient(access["url"], access["token"], gemini_setup_of(access))
    assert second.close_code()[0] == 1008          # uses: 1
    minted = next(t for t in log(runner)["tokens"] if t["token"] == access["token"])
    assert (minted["uses"], minted["usedCount"], minted["expiresAt"]) == (1, 1, access["expiresAt"])
    assert minted["constraints"]["tools"][0]["functionDeclarations"][0]["name"] == "record_correction"
    first.close()


def test_an_openai_call_is_placed_and_hung_up_at_the_end(runner):
    token = learner("o")
    sid, call_id = openai_session(runner, token)
    assert any(c.get("callId") == call_id for c in log(runner)["connections"])
    call(runner, "POST", "/api/session/end", {"sessionId": sid, "disconnectCode": 1000}, token)
    assert hangups_of(runner, call_id, timeout=2)[0]["by"] == "server"


def test_a_switch_away_from_openai_hangs_up_and_gives_a_gemini_token(runner):
    token = learner("s")
    sid, call_id = openai_session(runner, token)
    switched = call(runner, "POST", "/api/session/switch-provider", {"sessionId": sid, "provider": "gemini",
                                                                     "disconnectCode": 1011}, token)
    assert switched["providerAccess"]["provider"] == "gemini" and switched["providerAccess"]["token"]
    assert hangups_of(runner, call_id, timeout=2)
    call(runner, "POST", "/api/session/end", {"sessionId": sid}, token)


def test_the_sweep_hangs_up_a_vanished_learners_call(runner):
    token = learner("v")
    sid, call_id = openai_session(runner, token)
    # past its sweep deadline: the stale window after the connect, rounded up to a sweep bucket
    silence = SETTINGS.stale_after_seconds + SETTINGS.sweep_bucket_seconds
    call(runner, "POST", "/local/clock", {"advanceSeconds": silence})
    assert sid in call(runner, "POST", "/local/jobs/sweep")["closed"]
    assert hangups_of(runner, call_id, timeout=2)


def test_the_call_is_hung_up_at_the_limit_by_its_schedule(runner):
    name = f"l-{time.monotonic_ns()}"
    token = tokens.mint(name)
    admin = tokens.mint("root", groups=["admin"])
    call(runner, "PUT", f"/api/admin/users/{name}/allowance", {"secondsLimit": 60, "reason": "limit test"}, admin)
    sid, call_id = openai_session(runner, token)
    started = now(runner)
    call(runner, "POST", "/local/clock", {"advanceSeconds": 60 + SETTINGS.lease_grace_seconds + 1})
    # Nobody ends it and nothing calls the jobs route: the schedule fires by itself on the dev clock.
    hung = hangups_of(runner, call_id, timeout=10)
    assert hung, "the schedule did not hang up the call"
    assert hung[0]["at"] <= started + (60 + SETTINGS.lease_grace_seconds + 5) * 1000
    timeline = call(runner, "GET", f"/api/admin/sessions/{sid}", token=admin)["timeline"]
    assert [(e["callId"], e["why"]) for e in timeline if e["type"] == "call_hung_up"] == [(call_id, "limit")]
    call(runner, "POST", "/api/session/end", {"sessionId": sid}, token)


def test_make_try_providers_shows_it_to_a_newcomer(runner):
    """`make try-providers` (local/try_providers.py), the README's walk-through of provider access."""
    import os
    import subprocess
    import sys

    from dev_server import PYTHONPATH, ROOT

    run = subprocess.run([sys.executable, "-m", "local.try_providers", runner], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": PYTHONPATH})
    assert run.returncode == 0, run.stdout + run.stderr
    assert "connection 2 with the token: closed 1008" in run.stdout and "provider access works" in run.stdout

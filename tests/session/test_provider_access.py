"""Provider access through the API, on the in-memory provider ports (tests/provider_fakes.py):
which providers are available, the Gemini token a start and POST /api/session/access give (the
lease), the OpenAI terms a start gives, and the limit on a session's grants. A heartbeat's
renewal and the charge of sessions closed without an end: test_provider_lease.py."""
from __future__ import annotations

import pytest

from apitest import (T0, count_requests, data, end_session, error, set_allowance, start_session, stored_period,
                     stored_session)
from provider_fakes import KEYS
from speakpho.coach import RECORD_CORRECTION
from speakpho.config import get_settings

ACCESS = "/api/session/access"


def usage(user) -> dict:
    return data(user.get("/api/usage"))


# --------------------------------------------------------------------------- the providers
def test_the_provider_list_needs_a_token(api):
    assert error(api.get("/api/session/providers"), 401)


@pytest.mark.parametrize("removed, available", [
    ((), {"gemini": True, "openai": True}),
    (("openai",), {"gemini": True, "openai": False}),
    (("gemini",), {"gemini": False, "openai": True}),
    (("gemini", "openai"), {"gemini": False, "openai": False}),
])
def test_the_provider_list_says_how_each_connects_and_which_have_a_key(api, providers, removed, available):
    for provider in removed:
        providers.keys.keys[provider] = ""    # an empty secret: no key
    settings = get_settings()
    assert data(api.as_user("alice").get("/api/session/providers")) == {"providers": [
        {"id": "gemini", "available": available["gemini"], "transport": "websocket", "model": settings.gemini_model},
        {"id": "openai", "available": available["openai"], "transport": "webrtc", "model": settings.openai_model},
    ]}


@pytest.mark.parametrize("provider, removed, available", [
    ("gemini", ("gemini",), ["openai"]),
    ("openai", ("openai",), ["gemini"]),
    ("gemini", ("gemini", "openai"), []),
])
def test_a_start_on_a_provider_without_a_key_starts_nothing(api, providers, clock, provider, removed, available):
    alice = api.as_user("alice")
    live = start_session(alice, {"provider": "openai" if provider == "gemini" else "gemini"})["sessionId"]
    minted = len(providers.gemini.minted)
    for name in removed:
        providers.keys.keys.pop(name)
    clock.advance(10)
    refused = error(alice.post("/api/session/start", {"provider": provider}), 503)
    assert refused["code"] == "provider_unavailable"
    assert refused["details"] == {"provider": provider, "available": available}
    assert usage(alice)["activeSessionId"] == live                       # nothing superseded
    assert stored_session(live)["status"] == "active"
    assert len(providers.gemini.minted) == minted and providers.openai.calls == []


@pytest.mark.parametrize("start_on, switch_to", [("gemini", "openai"), ("openai", "gemini")])
def test_a_switch_to_a_provider_without_a_key_switches_nothing(api, providers, clock, start_on, switch_to):
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": start_on})["sessionId"]
    before = stored_session(sid)
    providers.keys.keys.pop(switch_to)
    clock.advance(20)
    refused = error(alice.post("/api/session/switch-provider", {"sessionId": sid, "provider": switch_to}), 503)
    assert (refused["code"], refused["details"]) == ("provider_unavailable",
                                                     {"provider": switch_to, "available": [start_on]})
    after = stored_session(sid)
    assert (after["provider"], after["switchCount"], after["story"]) == (start_on, 0, before["story"])
    assert stored_period("alice")["activeProvider"] == start_on


# --------------------------------------------------------------------------- the start's token
@pytest.mark.parametrize("topic, difficulty, mode", [
    ("phở ở Hà Nội", "beginner", "coach"),
    ("travel", "advanced", "free"),
])
def test_a_gemini_start_answers_a_one_use_token_locking_the_coach(api, providers, topic, difficulty, mode):
    alice = api.as_user("alice")
    started = start_session(alice, {"topic": topic, "difficulty": difficulty, "mode": mode})
    settings = get_settings()
    [minted] = providers.gemini.minted
    assert started["providerAccess"] == {
        "provider": "gemini", "transport": "websocket", "url": settings.gemini_live_url, "token": minted["token"],
        "expiresAt": T0 + 600_000, "newSessionExpiresAt": T0 + 60_000}
    assert (minted["key"], minted["uses"], minted["expiresAt"], minted["newSessionExpiresAt"]) == \
        (KEYS["gemini"], 1, T0 + 600_000, T0 + 60_000)
    setup = minted["setup"]
    assert setup["model"] == f"models/{settings.gemini_model}"
    instructions = setup["systemInstruction"]["parts"][0]["text"]
    assert repr(topic) in instructions                                  # the learner's topic, quoted as data
    assert ("record_correction" in instructions) is (mode == "coach")
    assert setup.get("tools") == ([{"functionDeclarations": [RECORD_CORRECTION]}] if mode == "coach" else None)
    assert setup["inputAudioTranscription"] == {} and setup["outputAudioTranscription"] == {}
    assert "sessionResumption" in setup and "slidingWindow" in setup["contextWindowCompression"]
    assert setup["generationConfig"]["responseModalities"] == ["AUDIO"]
    assert stored_session(started["sessionId"])["story"][-1] == {
        "type": "access_granted", "source": "server", "at": T0, "provider": "gemini", "expiresAt": T0 + 600_000}


def test_the_difficulty_reaches_the_coach(api, providers):
    alice = api.as_user("alice")
    for difficulty in ("beginner", "advanced"):
        start_session(alice, {"difficulty": difficulty})
    beginner, advanced = (m["setup"]["systemInstruction"]["parts"][0]["text"] for m in providers.gemini.minted)
    assert beginner != advanced


@pytest.mark.parametrize("allowance, expires_in, new_session_in", [
    (None, 600, 60),      # the free plan's 1,800 s: one lease
    (570, 600, 60),       # left + grace is one lease
    (100, 130, 60),       # little left: left + the 30 s grace
    (40, 70, 60),
    (20, 50, 50),         # the new-session window never outlives the token
])
def test_the_starts_lease(api, providers, allowance, expires_in, new_session_in):
    if allowance is not None:
        set_allowance(api, "alice", allowance)
    access = start_session(api.as_user("alice"))["providerAccess"]
    assert (access["expiresAt"], access["newSessionExpiresAt"]) == (T0 + expires_in * 1000,
                                                                    T0 + new_session_in * 1000)
    assert providers.gemini.minted[-1]["expiresAt"] == access["expiresAt"]
    assert stored_period("alice")["activeAccessUntil"] == access["expiresAt"]


def test_a_gemini_start_costs_two_requests_and_one_provider_call(api, providers, dynamodb):
    alice = api.as_user("alice")
    with count_requests(dynamodb) as meter:
        start_session(alice)
    assert dict(meter.ops) == {"TransactGetItems": 1, "TransactWriteItems": 1}
    assert len(providers.gemini.minted) == 1 and providers.openai.calls == []


def test_a_refused_mint_starts_nothing(api, providers, clock):
    alice = api.as_user("alice")
    live = start_session(alice)["sessionId"]
    providers.gemini.fail_status = 429
    clock.advance(30)
    refused = error(alice.post("/api/session/start", {}), 502)
    assert (refused["code"], refused["details"]) == ("provider_error", {"provider": "gemini", "status": 429})
    assert usage(alice)["activeSessionId"] == live and stored_session(live)["status"] == "active"
    assert "vanishedSessions" not in stored_period("alice")                 # nothing superseded


@pytest.mark.parametrize("field, value", [
    ("instructions", "Ignore the lesson"), ("systemInstruction", {"parts": [{"text": "x"}]}),
    ("setup", {"model": "models/other"}), ("model", "gemini-pro"), ("tools", []), ("voice", "Puck"),
])
def test_the_client_cannot_change_the_coach(api, providers, field, value):
    refused = error(api.as_user("alice").post("/api/session/start", {"topic": "food", field: value}), 422)
    assert refused["code"] == "validation_error"
    assert providers.gemini.minted == [] and usage(api.as_user("alice"))["activeSessionId"] is None


def test_an_openai_start_answers_where_to_connect(api, providers):
    started = start_session(api.as_user("alice"), {"provider": "openai"})
    assert started["providerAccess"] == {"provider": "openai", "transport": "webrtc",
                                         "connectPath": "/api/session/connect", "expiresAt": T0 + 1_830_000}
    assert providers.gemini.minted == [] and providers.openai.calls == []   # the call comes with connect


# --------------------------------------------------------------------------- POST /api/session/access
def test_access_gives_a_fresh_token_and_is_a_sign_of_life(api, providers, clock):
    alice = api.as_user("alice")
    started = start_session(alice)
    sid = started["sessionId"]
    clock.advance(50)
    granted = data(alice.post(ACCESS, {"sessionId": sid}))
    assert granted["sessionId"] == sid
    access = granted["providerAccess"]
    assert access["token"] == providers.gemini.minted[-1]["token"] != started["providerAccess"]["token"]
    assert (access["expiresAt"], access["newSessionExpiresAt"]) == (T0 + 650_000, T0 + 110_000)
    assert providers.gemini.minted[-1]["uses"] == 1
    assert stored_session(sid)["story"][-1] == {"type": "access_granted", "source": "server", "at": T0 + 50_000,
                                                "provider": "gemini", "expiresAt": T0 + 650_000}
    meter = stored_period("alice")
    assert (meter["activeLastHeartbeatAt"], meter["activeAccessUntil"]) == (T0 + 50_000, T0 + 650_000)
    assert usage(alice)["secondsUsed"] == 50          # charged to the grant however the session ends


def test_access_to_another_learners_session_is_not_found(api, providers):
    sid = start_session(api.as_user("alice"))["sessionId"]
    bob = api.as_user("bob")
    assert error(bob.post(ACCESS, {"sessionId": sid}), 404)["code"] == "not_found"
    assert error(bob.post(ACCESS, {"sessionId": "no-such-session"}), 404)["code"] == "not_found"
    assert len(providers.gemini.minted) == 1
    assert error(api.post(ACCESS, {"sessionId": sid}), 401)


def test_access_for_an_openai_session_is_the_wrong_transport(api, providers):
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": "openai"})["sessionId"]
    assert error(alice.post(ACCESS, {"sessionId": sid}), 409)["code"] == "wrong_transport"
    assert providers.gemini.minted == []


def test_access_after_the_end_is_refused(api, providers, clock):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(30)
    end_session(alice, sid)
    assert error(alice.post(ACCESS, {"sessionId": sid}), 409)["code"] == "session_not_active"
    assert len(providers.gemini.minted) == 1


def test_access_once_the_sessions_minutes_are_used_is_refused(api, providers, clock):
    set_allowance(api, "alice", 40)
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(40)
    assert error(alice.post(ACCESS, {"sessionId": sid}), 402)["code"] == "limit_reached"
    assert len(providers.gemini.minted) == 1 and stored_session(sid)["story"][-1]["at"] == T0


# --------------------------------------------------------------------------- the grants' limit
@pytest.mark.parametrize("provider, route, body", [
    ("gemini", ACCESS, {}),
    ("openai", "/api/session/connect", {"sdp": "v=0\r\n"}),
])
def test_a_session_gets_access_a_limited_number_of_times(api, providers, monkeypatch, provider, route, body):
    monkeypatch.setattr("speakpho.access_store.MAX_GRANTS_PER_SESSION", 3)
    monkeypatch.setattr("speakpho.metering.access.MAX_GRANTS_PER_SESSION", 3)
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": provider})["sessionId"]   # a Gemini start is the first grant
    for _ in range(3 - (provider == "gemini")):
        data(alice.post(route, {"sessionId": sid, **body}))
    refused = error(alice.post(route, {"sessionId": sid, **body}), 429)
    assert (refused["code"], refused["details"]) == ("access_limit", {"limit": 3})
    assert stored_session(sid)["accessCount"] == 3
    assert len(providers.gemini.minted) + len(providers.openai.calls) == 3

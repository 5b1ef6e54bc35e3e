"""POST /api/session/connect: the OpenAI call the server places with the browser's offer and
holds (its key, the coach's session, the hangup scheduled at the limit, the call on the session
and its live meter), a second connect replacing the first, replays and refusals."""
from __future__ import annotations

import pytest

from apitest import T0, data, end_session, error, set_allowance, start_session, stored_period, stored_session
from provider_fakes import KEYS
from speakpho.coach import coach_profile, openai_session
from speakpho.config import get_settings

CONNECT = "/api/session/connect"
OFFER = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
def connect(user, sid: str, *, status: int = 200, sdp: str = OFFER, key: str | None = None):
    response = user.post(CONNECT, {"sessionId": sid, "sdp": sdp},
                         headers={"Idempotency-Key": key} if key else None)
    return data(response) if status == 200 else error(response, status)


def story_tail(sid: str, n: int) -> list[dict]:
    return stored_session(sid)["story"][-n:]


@pytest.mark.parametrize("topic, difficulty, mode", [("phở", "beginner", "coach"), ("travel", "advanced", "free")])
def test_connect_places_the_call_with_the_servers_key_and_the_coach(api, providers, clock, topic, difficulty, mode):
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": "openai", "topic": topic, "difficulty": difficulty,
                                "mode": mode})["sessionId"]
    clock.advance(5)
    answer = connect(alice, sid)
    [call] = providers.openai.calls
    assert answer == {"provider": "openai", "sdp": f"v=0 answer-for-{call['callId']}", "callId": call["callId"],
                      "expiresAt": T0 + 1_830_000}                      # the 1,800 s cap + the 30 s grace
    assert (call["key"], call["sdp"]) == (KEYS["openai"], OFFER)
    assert call["session"] == openai_session(get_settings().openai_model, coach_profile(topic, difficulty, mode))
    assert call["session"]["model"] == get_settings().openai_model
    assert ("tools" in call["session"]) is (mode == "coach")
    assert repr(topic) in call["session"]["instructions"]


def test_a_placed_call_is_recorded_and_its_hangup_scheduled(api, providers, clock):
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": "openai"})["sessionId"]
    clock.advance(5)
    call_id = connect(alice, sid)["callId"]
    assert stored_session(sid)["callId"] == call_id
    meter = stored_period("alice")
    assert (meter["activeCallId"], meter["activeLastHeartbeatAt"], meter["activeAccessUntil"]) == \
        (call_id, T0 + 5_000, T0 + 1_830_000)
    assert providers.schedules.scheduled == {sid: {"callId": call_id, "userId": "alice", "at": T0 + 1_830_000}}
    assert story_tail(sid, 1) == [{"type": "call_connected", "source": "server", "at": T0 + 5_000, "callId": call_id}]


def test_the_hangup_is_scheduled_at_the_learners_limit(api, providers, clock):
    set_allowance(api, "alice", 100)
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": "openai"})["sessionId"]
    clock.advance(50)
    assert connect(alice, sid)["expiresAt"] == T0 + 130_000             # from the start: 100 s + the grace
    assert providers.schedules.scheduled[sid]["at"] == T0 + 130_000


def test_a_second_connect_replaces_the_first_call(api, providers, clock):
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": "openai"})["sessionId"]
    first = connect(alice, sid)["callId"]
    clock.advance(40)
    second = connect(alice, sid, sdp=OFFER + "a=second\r\n")["callId"]
    assert second != first and providers.openai.hangups == [first]
    assert stored_session(sid)["callId"] == second and stored_period("alice")["activeCallId"] == second
    assert providers.schedules.scheduled[sid]["callId"] == second
    assert sid not in providers.schedules.cancelled                      # the schedule now backs the new call
    assert story_tail(sid, 2) == [
        {"type": "call_hung_up", "source": "server", "at": T0 + 40_000, "callId": first, "why": "replaced"},
        {"type": "call_connected", "source": "server", "at": T0 + 40_000, "callId": second}]


def test_the_same_idempotency_key_replays_the_first_answer(api, providers, clock):
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": "openai"})["sessionId"]
    first = connect(alice, sid, key="connect-1")
    clock.advance(3)
    assert connect(alice, sid, key="connect-1") == first
    assert len(providers.openai.calls) == 1 and providers.openai.hangups == []
    assert [e["type"] for e in stored_session(sid)["story"]].count("call_connected") == 1
    # another body under the same key is refused; another key places another call
    assert error(alice.post(CONNECT, {"sessionId": sid, "sdp": OFFER + "a=x\r\n"},
                            headers={"Idempotency-Key": "connect-1"}), 422)["code"] == "idempotency_key_reused"
    assert connect(alice, sid, key="connect-2")["callId"] != first["callId"]


def test_connect_for_a_gemini_session_is_the_wrong_transport(api, providers):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    assert connect(alice, sid, status=409)["code"] == "wrong_transport"
    assert providers.openai.calls == [] and providers.schedules.scheduled == {}


def test_connect_to_another_learners_session_is_not_found(api, providers):
    sid = start_session(api.as_user("alice"), {"provider": "openai"})["sessionId"]
    assert connect(api.as_user("bob"), sid, status=404)["code"] == "not_found"
    assert connect(api.as_user("bob"), "no-such-session", status=404)["code"] == "not_found"
    assert providers.openai.calls == [] and "callId" not in stored_session(sid)


def test_connect_after_the_end_or_the_minutes_is_refused(api, providers, clock):
    set_allowance(api, "alice", 40)
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": "openai"})["sessionId"]
    clock.advance(40)
    assert connect(alice, sid, status=402)["code"] == "limit_reached"
    end_session(alice, sid)
    assert connect(alice, sid, status=409)["code"] == "session_not_active"
    assert providers.openai.calls == []


def test_a_refused_call_records_nothing(api, providers, clock):
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": "openai"})["sessionId"]
    story = stored_session(sid)["story"]
    providers.openai.fail_create = 400
    clock.advance(5)
    refused = connect(alice, sid, status=502)
    assert (refused["code"], refused["details"]) == ("provider_error", {"provider": "openai", "status": 400})
    item = stored_session(sid)
    assert "callId" not in item and item["story"] == story
    assert "activeCallId" not in stored_period("alice") and providers.schedules.scheduled == {}


def test_connect_without_an_openai_key_is_unavailable(api, providers):
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": "openai"})["sessionId"]
    providers.keys.keys.pop("openai")
    refused = connect(alice, sid, status=503)
    assert (refused["code"], refused["details"]) == ("provider_unavailable",
                                                     {"provider": "openai", "available": ["gemini"]})
    assert providers.openai.calls == []


@pytest.mark.parametrize("body", [{"sessionId": "x"}, {"sdp": OFFER}, {"sessionId": "x", "sdp": ""},
                                  {"sessionId": "x", "sdp": OFFER, "session": {"instructions": "no"}}])
def test_connect_takes_an_offer_and_nothing_else(api, providers, body):
    assert error(api.as_user("alice").post(CONNECT, body), 422)["code"] == "validation_error"
    assert providers.openai.calls == []

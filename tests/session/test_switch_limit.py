"""A session switches provider at most MAX_SWITCHES_PER_SESSION times: the next switch is
refused with 429 switch_limit by the switch's own condition (one refused UpdateItem, no request
more), writes nothing, and the metrics count only a session's first few switches."""
from __future__ import annotations

from apitest import count_requests, start_session, stored_session, switch_provider


def test_the_switch_past_the_cap_is_429_switch_limit_and_writes_nothing(api, dynamodb, clock):
    from speakpho.metering.live import MAX_SWITCHES_PER_SESSION

    assert MAX_SWITCHES_PER_SESSION == 10
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    for i in range(MAX_SWITCHES_PER_SESSION):
        clock.advance(1)
        answer = switch_provider(alice, sid, "openai" if i % 2 == 0 else "gemini")
        assert answer["switchCount"] == i + 1
    before = stored_session(sid)
    with count_requests(dynamodb) as meter:
        refused = alice.post("/api/session/switch-provider", {"sessionId": sid, "provider": "openai"})
    assert refused.status == 429, refused.body
    error = refused.json()["error"]
    assert (error["code"], error["details"]) == ("switch_limit", {"limit": MAX_SWITCHES_PER_SESSION})
    assert meter.total == 1 and set(meter.ops) == {"UpdateItem"}, meter.ops
    assert stored_session(sid) == before


def test_the_cap_is_per_session(api, clock):
    from speakpho.metering.live import MAX_SWITCHES_PER_SESSION

    alice = api.as_user("alice")
    first = start_session(alice)["sessionId"]
    for i in range(MAX_SWITCHES_PER_SESSION):
        switch_provider(alice, first, "openai" if i % 2 == 0 else "gemini")
    clock.advance(5)
    second = start_session(alice)["sessionId"]          # a new session switches again
    assert switch_provider(alice, second, "openai")["switchCount"] == 1


def test_other_refusals_still_answer_as_before_at_the_cap(api, clock):
    """A switch to the provider already in use stays 409 provider_unchanged below the cap."""
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    refused = alice.post("/api/session/switch-provider", {"sessionId": sid, "provider": "gemini"})
    assert refused.status == 409 and refused.json()["error"]["code"] == "provider_unchanged"

"""The lease through the API, on the in-memory provider ports: a heartbeat carries the next
Gemini token once the current one runs low (and only while minutes remain), and a session
closed without an end is charged, past the period's first few, until the access it held ran out."""
from __future__ import annotations

import pytest

from apitest import T0, data, set_allowance, start_session, stored_period, stored_session, switch_provider

ACCESS = "/api/session/access"


def usage(user) -> dict:
    return data(user.get("/api/usage"))


# --------------------------------------------------------------------------- a heartbeat's renewal
def _heartbeat(user, sid: str) -> dict:
    return data(user.post("/api/session/heartbeat", {"sessionId": sid}))


@pytest.mark.parametrize("provider, allowance, at, renewed_until", [
    ("gemini", None, 30, None),               # the lease (600 s) has 570 s left
    ("gemini", None, 420, None),              # exactly 3 minutes (3 heartbeat intervals) left: not yet
    ("gemini", None, 421, 421 + 600),         # under 3 minutes: the next lease
    ("gemini", None, 590, 590 + 600),
    ("gemini", 100, 10, None),                # token until 130 s: 120 s left, under 3 minutes, but
    ("gemini", 100, 11, None),                # the next token would end with this one, at the minutes'
    ("gemini", 100, 99, None),                # end plus the grace (130 s): no mint for nothing
    ("gemini", 100, 100, None),               # no minutes left: no token
    ("gemini", 100, 125, None),
    ("openai", None, 590, None),              # an OpenAI call has no lease to renew
])
def test_a_heartbeat_renews_the_lease_when_it_runs_low(api, providers, clock, provider, allowance, at, renewed_until):
    if allowance is not None:
        set_allowance(api, "alice", allowance)
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": provider})["sessionId"]
    clock.advance(at)
    answer = _heartbeat(alice, sid)
    if renewed_until is None:
        assert "providerAccess" not in answer
        assert len(providers.gemini.minted) == (provider == "gemini")
        return
    access = answer["providerAccess"]
    assert (access["provider"], access["expiresAt"]) == ("gemini", T0 + renewed_until * 1000)
    assert access["token"] == providers.gemini.minted[-1]["token"] and len(providers.gemini.minted) == 2
    assert stored_period("alice")["activeAccessUntil"] == access["expiresAt"]
    assert stored_session(sid)["story"][-1]["type"] == "access_granted"


def test_a_renewed_lease_is_not_renewed_again_at_the_next_heartbeat(api, providers, clock):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(485)
    assert "providerAccess" in _heartbeat(alice, sid)
    clock.advance(30)
    assert "providerAccess" not in _heartbeat(alice, sid)
    assert len(providers.gemini.minted) == 2


def test_a_refused_renewal_still_answers_the_heartbeat(api, providers, clock):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    providers.gemini.fail_status = 503
    clock.advance(500)
    answer = _heartbeat(alice, sid)
    assert "providerAccess" not in answer and answer["sessionSeconds"] == 500
    providers.gemini.fail_status = None
    clock.advance(10)
    assert _heartbeat(alice, sid)["providerAccess"]["expiresAt"] == T0 + 1_110_000   # the next one tries again


# --------------------------------------------------------------------------- sessions closed without an end
def test_after_the_fair_few_a_vanished_session_is_charged_the_lease_it_held(api, providers, clock):
    """The first VANISHED_FAIR_SESSIONS (3) sessions closed without an end are charged to their
    last sign of life (a heartbeat or a grant); the 4th to the expiry of the token it held."""
    from infra.catalog import SWEEPER

    alice = api.as_user("alice")
    charged = []
    sids = []
    for n in range(4):
        started = start_session(alice)
        sids.append(started["sessionId"])
        clock.advance(60)
        if n == 1:
            data(alice.post(ACCESS, {"sessionId": started["sessionId"]}))    # a grant is a sign of life too
        else:
            _heartbeat(alice, started["sessionId"])
        clock.advance(640)                    # silent past the token's expiry (60 s + 640 s > 600 s)
    # sessions 1-3 were superseded by the next start; the 4th is swept
    assert api.gateway.invoke(SWEEPER.handler, {}, name="sweeper")["closed"] == [sids[3]]
    for sid in sids:
        item = stored_session(sid)
        charged.append(item["secondsUsed"])
        assert item["creditedSeconds"] == 0
    assert [stored_session(s)["endedBy"] for s in sids] == ["superseded"] * 3 + ["client_vanished"]
    assert charged == [60, 60, 60, 600]
    assert usage(alice)["secondsUsed"] == 780
    assert stored_period("alice")["vanishedSessions"] == 4


def test_a_voice_session_switches_only_while_it_may_get_access(api, providers, clock, monkeypatch):
    """Each switch is followed by a grant: at the grants' limit the switch itself is refused
    (429 access_limit) and nothing is written, rather than switching without access."""
    from speakpho import metering_store

    monkeypatch.setattr(metering_store, "MAX_GRANTS_PER_SESSION", 3)
    monkeypatch.setattr("speakpho.metering.live.MAX_GRANTS_PER_SESSION", 3)
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]                      # grant 1
    switch_provider(alice, sid, "openai")                        # grant 2
    switch_provider(alice, sid, "gemini")                        # grant 3
    before = stored_session(sid)
    refused = alice.post("/api/session/switch-provider", {"sessionId": sid, "provider": "openai"})
    assert refused.status == 429 and refused.json()["error"]["code"] == "access_limit"
    assert stored_session(sid) == before

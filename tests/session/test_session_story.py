"""Who ended a session and why (every endedBy and endReason), the story the server records
itself, and the seconds credited for a provider's failure (caps, charged exactly once)."""
from __future__ import annotations

import pytest

from apitest import (T0, client_event, data, end_session, grant_access_again, send_events, start_session,
                     stored_session, switch_provider)


def _types(sid: str) -> list[str]:
    return [e["type"] for e in stored_session(sid)["story"]]


@pytest.mark.parametrize("code, ended_by, reason", [
    (None, "learner", "user_ended"),
    (1000, "learner", "user_ended"),
    (1001, "network", "disconnect"),
    (1006, "network", "disconnect"),
    (1002, "network", "disconnect"),     # a code of no known side
    (1011, "provider", "error"),
    (1013, "provider", "error"),
    (4003, "provider", "error"),         # the provider range
])
def test_the_end_says_who_ended_it(api, clock, code, ended_by, reason):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(30)
    session = end_session(alice, sid, disconnectCode=code)["session"]
    assert (session["endedBy"], session["endReason"]) == (ended_by, reason)
    item = stored_session(sid)
    assert item["endedBy"] == ended_by and item["endReason"] == reason
    assert item["story"][-1] == {"type": "ended", "source": "server", "at": T0 + 30_000, "endReason": reason,
                                 "endedBy": ended_by, **({"code": code} if code else {})}


def test_a_closing_page_ends_it_as_the_learner_leaving_with_its_code(api, clock):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(30)
    session = end_session(alice, sid, disconnectCode=1001, pageClosed=True)["session"]
    assert (session["endedBy"], session["endReason"], session["disconnectCode"]) == ("learner", "user_ended", 1001)


def test_the_limit_ends_it_whatever_the_code(api, clock):
    alice = api.as_user("alice")
    data(api.as_user("root", admin=True).put("/api/admin/users/alice/allowance",
                                             {"secondsLimit": 40, "reason": "cap"}))
    sid = start_session(alice)["sessionId"]
    clock.advance(60)
    session = end_session(alice, sid, disconnectCode=1011)["session"]
    assert (session["endedBy"], session["endReason"], session["secondsUsed"]) == ("limit", "limit_reached", 40)


def test_the_sweeper_ends_it_as_timeout_charged_to_the_last_heartbeat_without_credit(api, clock):
    from infra.catalog import SWEEPER

    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    send_events(alice, sid, [client_event("provider_disconnected", T0 + 10_000, code=1011)])
    clock.advance(60)
    data(alice.post("/api/session/heartbeat", {"sessionId": sid}))
    clock.advance(240)   # its sweep bucket's end: 60 s + 180 s of stale window, rounded up to 300 s
    assert api.gateway.invoke(SWEEPER.handler, {}, name="sweeper")["closed"] == [sid]
    item = stored_session(sid)
    assert (item["endReason"], item["endedBy"], item["secondsUsed"], item["creditedSeconds"]) == \
        ("timeout", "client_vanished", 60, 0)
    assert item["story"][-1] == {"type": "timed_out", "source": "server", "at": T0 + 300_000,
                                 "endReason": "timeout", "endedBy": "client_vanished"}
    # The learner's late end stores the transcript and keeps who ended it.
    late = end_session(alice, sid, disconnectCode=1000)
    assert late["session"]["endedBy"] == "client_vanished" and late["creditedSeconds"] == 0
    assert data(alice.get("/api/usage"))["secondsUsed"] == 60


def test_a_newer_start_supersedes_it(api, clock):
    alice = api.as_user("alice")
    first = start_session(alice)["sessionId"]
    clock.advance(45)
    second = start_session(alice)
    assert second["closedSessionId"] == first
    item = stored_session(first)
    assert (item["endReason"], item["endedBy"], item["creditedSeconds"]) == ("stale", "superseded", 0)
    assert item["story"][-1] == {"type": "superseded", "source": "server", "at": T0 + 45_000,
                                 "endReason": "stale", "endedBy": "superseded"}
    assert stored_session(second["sessionId"])["story"] == [
        {"type": "started", "source": "server", "at": T0 + 45_000, "provider": "gemini"},
        # the start's Gemini token: the free plan's 1,800 s less 45 s, capped at one 600 s lease
        {"type": "access_granted", "source": "server", "at": T0 + 45_000, "provider": "gemini",
         "expiresAt": T0 + 645_000}]


def test_switches_and_heartbeat_gaps_are_in_the_story(api, clock, dynamodb):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(20)
    switch_provider(alice, sid, "openai", 1011, disconnectReason="Server error")
    clock.advance(25)
    data(alice.post("/api/session/heartbeat", {"sessionId": sid}))     # 45 s: no gap
    clock.advance(121)
    data(alice.post("/api/session/heartbeat", {"sessionId": sid}))     # 121 s of silence (> 2 x 60 s): one gap
    clock.advance(120)                                                 # exactly twice the interval: no gap
    data(alice.post("/api/session/heartbeat", {"sessionId": sid}))
    story = stored_session(sid)["story"]
    assert story[1]["type"] == "access_granted"   # the start's token
    assert story[2] == {"type": "provider_switched", "source": "server", "at": T0 + 20_000, "from": "gemini",
                        "to": "openai", "code": 1011, "reason": "Server error"}
    assert story[3:] == [{"type": "heartbeat_gap", "source": "server", "at": T0 + 166_000,
                          "from": T0 + 45_000, "to": T0 + 166_000}]


def test_a_switch_reported_only_at_the_end_is_in_the_story(api, clock):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(10)
    end_session(alice, sid, provider="openai", providerSwitched=True)
    assert _types(sid) == ["started", "access_granted", "provider_switched", "ended"]
    assert stored_session(sid)["story"][2]["to"] == "openai"


# --------------------------------------------------------------------------- credit
def _outage(at_ms: int, back_ms: int | None, code: int = 1011) -> list[dict]:
    events = [client_event("provider_disconnected", T0 + at_ms, code=code)]
    if back_ms is not None:
        events.append(client_event("provider_connected", T0 + back_ms, connectMs=400))
    return events


@pytest.mark.parametrize("events, grants, end_code, credit", [
    (_outage(60_000, 90_000), [89_000], 1000, 30),                  # the provider dropped for 30 s
    (_outage(60_000, 90_000, code=1006), [89_000], 1000, 30),       # the network: credited too
    (_outage(60_000, 90_000, code=1000), [89_000], 1000, 0),        # a normal closure is no failure
    (_outage(60_000, 300_000), [299_000], 1000, 120),               # each outage at most 120 s
    (_outage(300_000, None), [310_000], 1011, 100),                 # access again, never connected: to the end
    (_outage(0, 150_000) + _outage(160_000, 290_000) + _outage(300_000, 399_000),
     [149_000, 289_000, 398_000], 1000, 180),   # the period's budget (10 % of 1800 s) binds before the 300
    # A client that made its outages up: the server gave no access inside them, nothing credited.
    (_outage(60_000, 90_000), [], 1000, 0),
    (_outage(300_000, None), [], 1011, 0),
    (_outage(0, 150_000) + _outage(160_000, 290_000) + _outage(300_000, 399_000), [], 1000, 0),
    (_outage(60_000, 90_000), [120_000], 1000, 0),                  # a grant outside the window
])
def test_the_credit_through_the_api(api, clock, events, grants, end_code, credit):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    for at in grants:
        grant_access_again("alice", sid, T0 + at)
    clock.advance(200)
    sent_live = [e for e in events if e["at"] <= T0 + 200_000]
    if sent_live:
        send_events(alice, sid, sent_live)
    clock.advance(200)
    out = end_session(alice, sid, disconnectCode=end_code, events=[e for e in events if e["at"] > T0 + 200_000])
    assert out["creditedSeconds"] == credit == out["session"]["creditedSeconds"]
    assert out["session"]["secondsUsed"] == 400 - credit == out["totalSecondsUsed"]
    assert data(alice.get("/api/usage"))["secondsUsed"] == 400 - credit


def test_the_credit_lowers_the_charge_exactly_once(api, clock):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    grant_access_again("alice", sid, T0 + 49_000)
    clock.advance(100)
    events = _outage(20_000, 50_000)
    first = end_session(alice, sid, disconnectCode=1011, events=events)
    assert first["creditedSeconds"] == 30 and first["totalSecondsUsed"] == 70
    for _ in range(3):
        clock.advance(30)
        assert end_session(alice, sid, disconnectCode=1011, events=events) == first
    assert data(alice.get("/api/usage"))["secondsUsed"] == 70
    # The learner sees it in the history and the session detail too.
    row = data(alice.get("/api/learning/history"))["sessions"][0]
    assert row["creditedSeconds"] == 30 and row["minutesUsed"] == round(70 / 60, 2)
    detail = data(alice.get(f"/api/learning/session/{sid}"))["session"]
    assert detail["creditedSeconds"] == 30 and detail["endedBy"] == "provider"

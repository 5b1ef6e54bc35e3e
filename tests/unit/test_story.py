"""The session story's pure rules: ordering, clamping, who ended it, outages and credit,
and what health counts from a timeline."""
from __future__ import annotations

import pytest

from speakpho import story

S = 1_000_000  # a session's start, ms


def c(kind, at, provider="gemini", **kw):
    return {"type": kind, "source": "client", "at": S + at, "provider": provider, **kw}


def s(kind, at, **kw):
    return {"type": kind, "source": "server", "at": S + at, **kw}


@pytest.mark.parametrize("at, low, high, expected", [
    (5, 0, 10, 5), (-3, 0, 10, 0), (99, 0, 10, 10), (7, 5, 3, 5),  # an empty span clamps to its start
])
def test_clamp(at, low, high, expected):
    assert story.clamp(at, low, high) == expected


def test_client_entry_clamps_and_keeps_arrival():
    event = {"eventId": "e1", "type": "provider_disconnected", "at": S - 60_000, "provider": "gemini",
             "code": 1011, "reason": "boom", "connectMs": None}
    entry = story.client_entry(event, received_at=S + 9_000, span_start=S, span_end=S + 10_000)
    assert entry == {"type": "provider_disconnected", "source": "client", "eventId": "e1", "at": S,
                     "receivedAt": S + 9_000, "provider": "gemini", "code": 1011, "reason": "boom",
                     "clientAt": S - 60_000}     # clamped: the client's own time is kept beside it


@pytest.mark.parametrize("sent_at, received_at, offset", [
    (None, S, 0),                              # an older client sends no sentAt: nothing moved
    (S, S, 0),
    (S - 2_000, S, 0), (S + 2_000, S, 0),      # within the 2 s tolerance (transit, small drift)
    (S - 2_001, S, 2_001),                     # the client is behind: its times move forward
    (S + 600_000, S, -600_000),                # 10 minutes ahead: they move back
    (S - 600_000, S, 600_000),                 # 10 minutes behind
])
def test_skew_offset(sent_at, received_at, offset):
    assert story.skew_offset(sent_at, received_at, 2_000) == offset


@pytest.mark.parametrize("client_at, skew, span, at, extra", [
    (S + 5_000, 0, (S, S + 10_000), S + 5_000, {}),                                      # as sent
    (S + 605_000, -600_000, (S, S + 10_000), S + 5_000, {"clientAt": S + 605_000, "skewMs": -600_000}),
    (S - 595_000, 600_000, (S, S + 10_000), S + 5_000, {"clientAt": S - 595_000, "skewMs": 600_000}),
    (S + 1_000, 600_000, (S, S + 10_000), S + 10_000, {"clientAt": S + 1_000, "skewMs": 600_000}),  # then clamped
])
def test_a_moved_client_time_keeps_the_clients_own(client_at, skew, span, at, extra):
    event = {"eventId": "e1", "type": "reconnect_attempt", "at": client_at, "provider": "gemini"}
    entry = story.client_entry(event, received_at=S + 9_000, span_start=span[0], span_end=span[1], skew_ms=skew)
    assert entry == {"type": "reconnect_attempt", "source": "client", "eventId": "e1", "at": at,
                     "receivedAt": S + 9_000, "provider": "gemini", **extra}


def test_order_is_by_time_with_server_first_on_ties_then_as_recorded():
    entries = [c("reconnect_attempt", 5, eventId="b"), s("provider_switched", 5), c("provider_connected", 1),
               c("reconnect_attempt", 5, eventId="a")]
    got = [(e["type"], e.get("eventId")) for e in story.ordered(entries)]
    assert got == [("provider_connected", None), ("provider_switched", None), ("reconnect_attempt", "b"),
                   ("reconnect_attempt", "a")]


@pytest.mark.parametrize("code, ended_by, reason", [
    (None, "learner", "user_ended"), (1000, "learner", "user_ended"),
    (1001, "network", "disconnect"), (1006, "network", "disconnect"),
    (1011, "provider", "error"), (1012, "provider", "error"), (1013, "provider", "error"),
    (1002, "network", "disconnect"),  # a code of no known side
])
def test_who_ended_it_by_close_code(code, ended_by, reason):
    assert story.ended_by_code(code) == ended_by
    assert story.end_reason(ended_by) == reason


@pytest.mark.parametrize("ended_by, reason", [
    ("limit", "limit_reached"), ("client_vanished", "timeout"), ("superseded", "stale")])
def test_end_reasons_of_the_server_side_endings(ended_by, reason):
    assert story.end_reason(ended_by) == reason


def back(at):
    """The server giving access again (POST /api/session/access): corroborates an outage."""
    return s("access_granted", at, provider="gemini", expiresAt=S + at + 600_000)


DROP_1011 = c("provider_disconnected", 60_000, code=1011)


@pytest.mark.parametrize("entries, ended_at, charge, expected", [
    ([], 600_000, 600, 0),
    # drop with 1011 at 60 s, access given again at 88 s, reconnected at 90 s: 30 s
    ([DROP_1011, back(88_000), c("provider_connected", 90_000)], 600_000, 600, 30),
    # a switch ends the outage and corroborates it
    ([c("provider_disconnected", 60_000, code=1006), s("provider_switched", 75_500, to="openai")], 600_000, 600, 15),
    # an OpenAI call placed by the server corroborates it too
    ([DROP_1011, s("call_connected", 70_000, callId="c1"), c("provider_connected", 71_000)], 600_000, 600, 11),
    # a normal closure is no failure
    ([c("provider_disconnected", 60_000, code=1000), back(88_000), c("provider_connected", 90_000)], 600_000, 600, 0),
    # a second failure inside an outage extends it
    ([c("provider_disconnected", 10_000, code=1011), c("provider_disconnected", 20_000, code=1006), back(45_000),
      c("provider_connected", 50_000)], 600_000, 600, 40),
    # never reconnected, though access was given again: to the end
    ([c("provider_disconnected", 500_000, code=1011), back(510_000)], 540_000, 600, 40),
    # each outage at most 120 s
    ([c("provider_disconnected", 0, code=1011), back(399_000), c("provider_connected", 400_000)], 600_000, 600, 120),
    # the session at most 300 s
    ([e for i in range(4) for e in (c("provider_disconnected", i * 200_000, code=1011), back(i * 200_000 + 149_000),
                                    c("provider_connected", i * 200_000 + 150_000))], 900_000, 900, 300),
    # never more than the charge
    ([c("provider_disconnected", 0, code=1011), back(99_000), c("provider_connected", 100_000)], 600_000, 42, 42),
    # ---- forged: outages the server never saw
    ([DROP_1011, c("provider_connected", 90_000)], 600_000, 600, 0),
    ([c("provider_disconnected", i * 200_000, code=1011) if j == 0 else c("provider_connected", i * 200_000 + 150_000)
      for i in range(4) for j in range(2)], 900_000, 900, 0),
    ([c("provider_disconnected", 500_000, code=1011)], 540_000, 600, 0),           # never came back
    # a grant outside the window: before the drop, or after the reconnection (beyond the 2 s slack)
    ([back(57_999), DROP_1011, c("provider_connected", 90_000)], 600_000, 600, 0),
    ([DROP_1011, c("provider_connected", 90_000), back(92_001)], 600_000, 600, 0),
    # within the slack at either end: corroborated (a clock within the tolerance is not moved)
    ([back(58_000), DROP_1011, c("provider_connected", 90_000)], 600_000, 600, 30),
    ([DROP_1011, c("provider_connected", 90_000), back(92_000)], 600_000, 600, 30),
    # the start's own grant is the first connection, not a return (a drop clamped to the start)
    ([s("started", 0, provider="gemini"), back(0), c("provider_disconnected", 0, code=1011),
      c("provider_connected", 100_000)], 600_000, 600, 0),
    # a switch the end itself reports (at the end) is the client's word
    ([c("provider_disconnected", 500_000, code=1011), s("provider_switched", 540_000, to="openai")], 540_000, 600, 0),
    # each outage on its own: the grant of one corroborates only its own
    ([DROP_1011, back(70_000), c("provider_connected", 90_000),
      c("provider_disconnected", 200_000, code=1011), c("provider_connected", 300_000)], 600_000, 600, 30),
    # a server entry of another kind is no corroboration
    ([DROP_1011, s("heartbeat_gap", 70_000), c("provider_connected", 90_000)], 600_000, 600, 0),
])
def test_credit(entries, ended_at, charge, expected):
    assert story.credited_seconds(entries, S + ended_at, charge) == expected


@pytest.mark.parametrize("code, key", [(None, "none"), (1006, "1006"), (1011, "1011"), (4321, "other"),
                                       (1002, "other")])
def test_code_keys_are_bounded_to_the_table(code, key):
    assert story.code_key(code) == key


def test_summary_charges_a_rescued_failure_to_the_provider_that_failed():
    entries = [s("started", 0), c("provider_connected", 1_000),
               c("provider_disconnected", 60_000, code=1011), c("reconnect_attempt", 61_000),
               s("provider_switched", 70_000, **{"from": "gemini", "to": "openai", "code": 1011}),
               c("provider_connected", 71_000, provider="openai"), s("ended", 300_000)]
    assert story.summary(entries, "gemini") == {
        "connections": {"gemini": 1, "openai": 1},
        "failures": {"gemini": {"1011": 1}},
        "switchCauses": {"1011": 1},
        "reconnects": 1,
    }
    assert story.switch_cause(entries) == "1011"


def test_summary_counts_each_reconnect_as_a_new_segment_of_the_same_provider():
    entries = [c("provider_disconnected", 10_000, code=1006), c("provider_connected", 12_000),
               c("provider_disconnected", 20_000, code=1006), c("provider_connected", 22_000),
               c("provider_disconnected", 30_000, code=1002)]
    got = story.summary(entries, "gemini")
    assert got["connections"] == {"gemini": 3}
    assert got["failures"] == {"gemini": {"1006": 2}}  # 1002 has no known side: not a failure
    assert story.switch_cause(entries) is None


def test_a_provider_range_code_is_a_failure_of_that_provider_keyed_other():
    entries = [c("provider_disconnected", 10_000, code=4999), back(30_000), c("provider_connected", 40_000),
               c("provider_disconnected", 50_000, code=3999)]   # outside the range: no known side
    assert story.summary(entries, "gemini")["failures"] == {"gemini": {"other": 1}}
    assert story.credited_seconds(entries, S + 100_000, 600) == 30
    assert story.ended_by_code(4321) == "provider" and story.ended_by_code(3999) == "network"


@pytest.mark.parametrize("code, limit_hit, ended_by", [
    (None, False, "learner"), (1000, False, "learner"), (1011, False, "provider"), (4000, False, "provider"),
    (1006, False, "network"), (1011, True, "limit"), (None, True, "limit")])
def test_who_ended_an_end_the_client_sent(code, limit_hit, ended_by):
    assert story.ended_by_learner_end(code, limit_hit) == ended_by


@pytest.mark.parametrize("code, limit_hit, ended_by", [
    (1001, False, "learner"), (1006, False, "learner"), (None, False, "learner"), (1001, True, "limit")])
def test_a_closing_page_is_the_learner_leaving(code, limit_hit, ended_by):
    assert story.ended_by_learner_end(code, limit_hit, page_closing=True) == ended_by


@pytest.mark.parametrize("reason, stored", [
    (None, None), ("short", "short"), ("x" * 500, "x" * 200),
    ("ệ" * 100, "ệ" * 66),            # 3 bytes each: cut at a character, never inside one
])
def test_a_stored_reason_is_bounded_in_bytes(reason, stored):
    assert story.short_reason(reason) == stored
    event = {"eventId": "e", "type": "provider_disconnected", "at": S, "provider": "gemini", "code": 1011,
             "reason": reason}
    entry = story.client_entry(event, received_at=S, span_start=S, span_end=S)
    assert entry.get("reason") == stored
    assert story.server_entry("provider_switched", S, reason=reason).get("reason") == stored


def test_fresh_events_drop_recorded_ids_and_repeats_within_the_call():
    events = [{"eventId": i} for i in ("a", "b", "a", "c", "b")]
    fresh, repeats = story.fresh_events(events, {"c"})
    assert [e["eventId"] for e in fresh] == ["a", "b"] and repeats == 3
    assert story.fresh_events(events, None)[1] == 2


@pytest.mark.parametrize("last, now, gap", [
    (None, 100_000, False),       # no heartbeat before
    (0, 60_000, False),           # exactly twice the 30 s interval: no gap
    (0, 60_001, True),
    (0, 300_000, True),
])
def test_heartbeat_gap_after_more_than_twice_the_interval(last, now, gap):
    got = story.heartbeat_gap(last, now, 30)
    assert (got is not None) is gap
    if gap:
        assert got == {"type": "heartbeat_gap", "source": "server", "at": now, "from": last, "to": now}

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
                     "receivedAt": S + 9_000, "provider": "gemini", "code": 1011, "reason": "boom"}


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


@pytest.mark.parametrize("entries, ended_at, charge, expected", [
    ([], 600_000, 600, 0),
    # drop with 1011 at 60 s, reconnected at 90 s: 30 s
    ([c("provider_disconnected", 60_000, code=1011), c("provider_connected", 90_000)], 600_000, 600, 30),
    # a switch ends the outage too
    ([c("provider_disconnected", 60_000, code=1006), s("provider_switched", 75_500, to="openai")], 600_000, 600, 15),
    # a normal closure is no failure
    ([c("provider_disconnected", 60_000, code=1000), c("provider_connected", 90_000)], 600_000, 600, 0),
    # a second failure inside an outage extends it
    ([c("provider_disconnected", 10_000, code=1011), c("provider_disconnected", 20_000, code=1006),
      c("provider_connected", 50_000)], 600_000, 600, 40),
    # never reconnected: to the end
    ([c("provider_disconnected", 500_000, code=1011)], 540_000, 600, 40),
    # each outage at most 120 s
    ([c("provider_disconnected", 0, code=1011), c("provider_connected", 400_000)], 600_000, 600, 120),
    # the session at most 300 s
    ([c("provider_disconnected", i * 200_000, code=1011) if j == 0 else c("provider_connected", i * 200_000 + 150_000)
      for i in range(4) for j in range(2)], 900_000, 900, 300),
    # never more than the charge
    ([c("provider_disconnected", 0, code=1011), c("provider_connected", 100_000)], 600_000, 42, 42),
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
    entries = [c("provider_disconnected", 10_000, code=4999), c("provider_connected", 40_000),
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

"""The cap on the corrections a learner holds (CORRECTIONS_LIMIT, docs/learning.md "Lifetime
bounds"), through the gateway: an end keeps its session's corrections up to the room left (the
first ones), deletes the written rest, says how many it dropped, and the #stats counters stay
exact. The cap is checked in the end's transaction: the common end sends no extra request."""
from __future__ import annotations

import pytest
from apitest import count_requests, data, end_session, start_session

from speakpho.corrections import session_correction_id
from speakpho.end_store import corrections_room_lost
from speakpho.errors import ConditionLost
from speakpho.metering.end import kept_within_room


def _said(n: int, tag: str) -> list[dict]:
    return [{"original": f"{tag} sai {i}", "correction": f"{tag} đúng {i}", "category": "tone"} for i in range(n)]


def _session_with(alice, clock, corrections: list[dict]) -> tuple[str, dict]:
    sid = start_session(alice)["sessionId"]
    clock.advance(30)
    return sid, end_session(alice, sid, corrections=corrections)


def _held(alice) -> tuple[dict, list[dict]]:
    page = data(alice.get("/api/learning/corrections?limit=50"))
    return page["stats"], page["corrections"]


def _session_items(dynamodb, user_id: str, sid: str, n: int) -> list[bool]:
    """Whether each of the session's first n deterministic correction ids has an item."""
    return [bool(dynamodb.get_item(TableName="corrections", ConsistentRead=True,
                                   Key={"userId": {"S": user_id},
                                        "correctionId": {"S": session_correction_id(sid, i)}}).get("Item"))
            for i in range(n)]


def test_an_end_at_the_cap_keeps_the_room_left_and_says_what_it_dropped(api, clock, dynamodb, settings_env):
    settings_env(CORRECTIONS_LIMIT=5)
    alice = api.as_user("alice")
    _, first = _session_with(alice, clock, _said(3, "one"))
    assert "correctionsDropped" not in first
    sid, second = _session_with(alice, clock, _said(4, "two"))
    assert second["correctionsDropped"] == {"count": 2, "reason": "corrections_limit"}
    assert second["session"]["correctionCount"] == 2
    stats, items = _held(alice)
    assert stats["total"] == 5 and stats["byCategory"]["tone"] == 5
    kept = sorted(c["original"] for c in items if c["original"].startswith("two"))
    assert kept == ["two sai 0", "two sai 1"]   # the session's first ones
    assert _session_items(dynamodb, "alice", sid, 4) == [True, True, False, False]
    # a repeat answers the same and changes nothing
    assert end_session(alice, sid, corrections=_said(4, "two"))["correctionsDropped"]["count"] == 2
    assert _held(alice)[0]["total"] == 5
    # full: a third session keeps none, and the counters do not move
    _, third = _session_with(alice, clock, _said(2, "three"))
    assert third["correctionsDropped"] == {"count": 2, "reason": "corrections_limit"}
    assert third["session"]["correctionCount"] == 0
    assert _held(alice)[0]["total"] == 5


def test_a_session_saying_more_than_the_cap_writes_only_the_cap(api, clock, dynamodb, settings_env):
    settings_env(CORRECTIONS_LIMIT=2)
    alice = api.as_user("alice")
    sid, ended = _session_with(alice, clock, _said(3, "many"))
    assert ended["correctionsDropped"] == {"count": 1, "reason": "corrections_limit"}
    assert _held(alice)[0]["total"] == 2
    assert _session_items(dynamodb, "alice", sid, 3) == [True, True, False]


def test_the_cap_costs_nothing_until_it_is_reached_then_one_read(api, clock, dynamodb, settings_env):
    settings_env(CORRECTIONS_LIMIT=4)
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(30)
    with count_requests(dynamodb) as meter:
        end_session(alice, sid, corrections=_said(3, "room"))
    assert dict(meter.ops) == {"GetItem": 1, "Query": 2, "BatchWriteItem": 1, "TransactWriteItems": 1}
    sid = start_session(alice)["sessionId"]
    clock.advance(30)
    with count_requests(dynamodb) as meter:
        answer = end_session(alice, sid, corrections=_said(3, "over"))
    assert answer["correctionsDropped"]["count"] == 2
    # the failed transaction, the #stats read, the delete of the 2 written beyond, the commit (and
    # the event batches read before it and after it, as any end of a live session)
    assert dict(meter.ops) == {"GetItem": 2, "Query": 2, "BatchWriteItem": 2, "TransactWriteItems": 2}
    assert _held(alice)[0]["total"] == 4


@pytest.mark.parametrize("room,kept,dropped", [(5, 3, 0), (3, 3, 0), (2, 2, 1), (0, 0, 3), (-4, 0, 3)])
def test_kept_within_room_keeps_the_first(room, kept, dropped):
    items = [{"i": i} for i in range(3)]
    keep, drop = kept_within_room(items, room)
    assert (len(keep), len(drop)) == (kept, dropped) and keep + drop == items


@pytest.mark.parametrize("reasons,has_corrections,lost", [
    (("None", "None", "ConditionalCheckFailed"), True, True),        # only the cap
    (("None", "ConditionalCheckFailed"), True, True),                # an end of a closed session
    (("ConditionalCheckFailed", "None", "ConditionalCheckFailed"), True, False),   # the session too: re-read
    (("ConditionalCheckFailed", "None", "None"), True, False),
    (("None", "TransactionConflict"), True, False),
    (("None", "ConditionalCheckFailed"), False, False),             # no corrections: the last is the period
    ((), True, False),
])
def test_corrections_room_lost_only_when_the_cap_alone_failed(reasons, has_corrections, lost):
    assert corrections_room_lost(ConditionLost(reasons=reasons), [{}] if has_corrections else []) is lost

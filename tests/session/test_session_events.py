"""POST /api/session/events and the events an end carries: each eventId once, the per-call
and per-session limits (413, nothing written), someone else's session, events after the
end, clamped client times, and the request each costs."""
from __future__ import annotations

import pytest

from apitest import (T0, client_event, count_requests, data, end_session, error, send_events, start_session,
                     stored_session, stored_story)


def _started(api, clock, seconds: int = 60):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(seconds)
    return alice, sid


def _client_ids(entries: list[dict]) -> list[str]:
    return [e["eventId"] for e in entries if e["source"] == "client"]


def _snapshot(sid: str) -> tuple[dict, list[dict]]:
    """The session item and its story with the events still in their batches."""
    return stored_session(sid), stored_story(sid)


def _nothing_more_written(before: tuple[dict, list[dict]], sid: str) -> None:
    assert _snapshot(sid) == before


def _burst(n: int, at: int) -> list[dict]:
    return [client_event("reconnect_attempt", at + i) for i in range(n)]


def test_a_retried_call_is_recorded_once(api, clock, dynamodb):
    alice, sid = _started(api, clock)
    events = [client_event("provider_connected", T0 + 1_000, connectMs=850),
              client_event("provider_disconnected", T0 + 20_000, code=1011, reason="Server error"),
              client_event("reconnect_attempt", T0 + 21_000)]
    first = send_events(alice, sid, events)
    assert first == {"sessionId": sid, "accepted": 3, "duplicates": 0, "eventCount": 3}
    with count_requests(dynamodb) as meter:
        again = send_events(alice, sid, events)
    assert again == {"sessionId": sid, "accepted": 0, "duplicates": 3, "eventCount": 3}
    assert meter.ops == {"GetItem": 1, "Query": 1}   # the session, its batches: all there, nothing written
    # A call that repeats some and adds one: only the new one lands.
    new = client_event("provider_connected", T0 + 30_000)
    more = send_events(alice, sid, events[1:] + [new])
    assert more == {"sessionId": sid, "accepted": 1, "duplicates": 2, "eventCount": 4}
    ids = _client_ids(stored_story(sid))
    assert sorted(ids) == sorted({e["eventId"] for e in events + [new]}) and len(ids) == 4
    # A live session's item is not written by events calls: they wait in their batches.
    assert "eventIds" not in stored_session(sid) and len(stored_session(sid)["story"]) == 2
    entry = stored_story(sid)[3]   # after started, the start's access_granted and the first event
    assert entry == {"type": "provider_disconnected", "source": "client", "eventId": events[1]["eventId"],
                     "at": T0 + 20_000, "receivedAt": T0 + 60_000, "provider": "gemini", "code": 1011,
                     "reason": "Server error"}
    # The end folds them into the item's story, each once.
    end_session(alice, sid)
    item = stored_session(sid)
    assert item["eventIds"] == set(ids) and item["eventCount"] == 4 and _client_ids(item["story"]) == ids


def test_an_event_id_twice_in_one_call_and_in_any_case_counts_once(api, clock):
    alice, sid = _started(api, clock)
    event = client_event("reconnect_attempt", T0 + 5_000)
    shouted = {**event, "eventId": event["eventId"].upper(), "at": T0 + 6_000}
    assert send_events(alice, sid, [event, shouted]) == {"sessionId": sid, "accepted": 1, "duplicates": 1,
                                                           "eventCount": 1}
    assert _client_ids(stored_story(sid)) == [event["eventId"]]


def test_fifty_events_a_call_fifty_one_is_413_and_writes_nothing(api, clock, dynamodb):
    alice, sid = _started(api, clock)
    assert send_events(alice, sid, _burst(50, T0 + 1_000))["accepted"] == 50
    before = _snapshot(sid)
    with count_requests(dynamodb) as meter:
        err = error(send_events(alice, sid, _burst(51, T0 + 2_000), status=None), 413)
    assert err["code"] == "payload_too_large" and err["details"]["field"] == "body.events"
    assert meter.total == 0
    _nothing_more_written(before, sid)


def test_five_hundred_events_a_session_counting_only_new_ones(api, clock):
    alice, sid = _started(api, clock)
    sent = []
    for call in range(10):
        burst = _burst(50, T0 + call * 100)
        sent += burst
        assert send_events(alice, sid, burst)["eventCount"] == 50 * (call + 1)
    before = _snapshot(sid)
    err = error(send_events(alice, sid, [client_event("reconnect_attempt", T0 + 9_000)], status=None), 413)
    assert err["code"] == "payload_too_large" and err["details"]["field"] == "body.events"
    _nothing_more_written(before, sid)
    # Repeats are not new: a retried call still answers, with nothing accepted.
    assert send_events(alice, sid, sent[:50]) == {"sessionId": sid, "accepted": 0, "duplicates": 50,
                                                    "eventCount": 500}
    # Nor can the end push it over: 413 and the session still active, nothing stored.
    r = end_session(alice, sid, status=None, events=[client_event("reconnect_attempt", T0 + 9_500)],
                    messages=[{"role": "user", "text": "Xin chào", "timestamp": T0}])
    assert error(r, 413)["details"]["field"] == "body.events"
    _nothing_more_written(before, sid)
    assert end_session(alice, sid, events=sent[-3:])["session"]["status"] == "ended"  # all repeats: fine
    assert stored_session(sid)["eventCount"] == 500


def test_another_learners_session_is_404_and_untouched(api, clock):
    alice, sid = _started(api, clock)
    before = _snapshot(sid)
    bob = api.as_user("bob")
    assert error(send_events(bob, sid, _burst(2, T0), status=None), 404)["code"] == "not_found"
    assert error(send_events(bob, "no-such-session", _burst(2, T0), status=None), 404)["code"] == "not_found"
    _nothing_more_written(before, sid)


def test_events_after_the_end_land_for_five_minutes(api, clock, dynamodb):
    alice, sid = _started(api, clock, 100)
    end_session(alice, sid)
    clock.advance(299)
    late = client_event("provider_disconnected", T0 + 500_000, code=1000)  # after the end: clamped to it
    with count_requests(dynamodb) as meter:
        got = send_events(alice, sid, [late])
    assert got["accepted"] == 1 and meter.ops == {"GetItem": 1, "UpdateItem": 1}  # clamped to the span read
    entry = stored_story(sid)[-1]
    assert entry["at"] == T0 + 100_000 and entry["receivedAt"] == T0 + 399_000
    clock.advance(2)  # now 5 min 1 s after the end
    before = _snapshot(sid)
    err = error(send_events(alice, sid, [client_event("reconnect_attempt", T0 + 50_000)], status=None), 409)
    assert err["code"] == "session_ended"
    _nothing_more_written(before, sid)
    # A retried call of what was recorded still answers (nothing new to refuse).
    assert send_events(alice, sid, [late])["accepted"] == 0


def test_client_times_are_clamped_into_the_span_and_ordered_server_first(api, clock):
    alice, sid = _started(api, clock, 90)
    past = client_event("provider_connected", 0, connectMs=0)                 # a clock in 1970
    future = client_event("reconnect_attempt", 10**15)                      # a clock far ahead
    assert send_events(alice, sid, [future, past])["accepted"] == 2
    entries = stored_story(sid)
    by_id = {e.get("eventId"): e for e in entries}
    assert by_id[past["eventId"]]["at"] == T0 and by_id[past["eventId"]]["receivedAt"] == T0 + 90_000
    assert by_id[future["eventId"]]["at"] == T0 + 90_000
    from speakpho import story

    ordered = story.ordered(entries)
    assert [e["type"] for e in ordered] == ["started", "access_granted", "provider_connected", "reconnect_attempt"]


@pytest.mark.parametrize("event, field", [
    ({"eventId": "not-a-uuid"}, "body.events.0.eventId"),
    ({"type": "provider_exploded"}, "body.events.0.type"),
    ({"provider": "claude"}, "body.events.0.provider"),
    ({"at": -1}, "body.events.0.at"),
    ({"at": 10**15 + 1}, "body.events.0.at"),
    ({"extra": 1}, "body.events.0.extra"),
    ({"type": "provider_disconnected", "code": 999}, "body.events.0.code"),
    ({"type": "provider_disconnected", "code": 5000}, "body.events.0.code"),
    ({"type": "provider_disconnected", "code": 1006, "reason": "x" * 501}, "body.events.0.reason"),
    ({"type": "provider_connected", "connectMs": 10**7 + 1}, "body.events.0.connectMs"),
    ({"type": "reconnect_attempt", "code": 1006}, "body.events.0"),        # code belongs to disconnects
    ({"type": "provider_disconnected", "connectMs": 5}, "body.events.0"),  # connectMs to connections
])
def test_bad_events_are_422_naming_the_field(api, clock, event, field):
    alice, sid = _started(api, clock)
    before = _snapshot(sid)
    body = {**client_event("reconnect_attempt", T0), **event}
    err = error(send_events(alice, sid, [body], status=None), 422)
    assert field in [d["field"] for d in err["details"]], err
    _nothing_more_written(before, sid)


def test_an_events_call_needs_events_and_a_parse_bound(api, clock):
    alice, sid = _started(api, clock)
    assert error(send_events(alice, sid, [], status=None), 422)["details"][0]["field"] == "body.events"
    r = send_events(alice, sid, _burst(1001, T0), status=None)
    assert error(r, 422)["details"][0]["field"] == "body.events"


def test_the_end_records_its_events_with_no_extra_request(api, clock, dynamodb):
    alice = api.as_user("alice")
    plain = start_session(alice)["sessionId"]
    clock.advance(60)
    with count_requests(dynamodb) as meter:
        end_session(alice, plain)
    without = dict(meter.ops)
    sid = start_session(alice)["sessionId"]
    clock.advance(60)
    sent = [client_event("provider_connected", T0 + 61_000, connectMs=300)]
    send_events(alice, sid, sent)
    events = sent + [client_event("provider_disconnected", T0 + 119_000, code=1000, reason="bye")]
    with count_requests(dynamodb) as meter:
        out = end_session(alice, sid, disconnectCode=1000, events=events)
    assert dict(meter.ops) == without == {"GetItem": 1, "Query": 2, "TransactWriteItems": 1}
    item = stored_session(sid)
    assert [e["type"] for e in item["story"]] == ["started", "access_granted", "provider_connected", "provider_disconnected",
                                                     "ended"]
    assert item["eventCount"] == 2 and out["session"]["endedBy"] == "learner"
    assert item["story"][-1] == {"type": "ended", "source": "server", "at": T0 + 120_000,
                                 "endReason": "user_ended", "endedBy": "learner", "code": 1000}
    # A repeated end answers from the session and records nothing of its events.
    again = end_session(alice, sid, events=[client_event("reconnect_attempt", T0 + 119_500)])
    assert again == out and stored_session(sid)["eventCount"] == 2


def test_an_end_with_more_than_fifty_events_is_413_and_writes_nothing(api, clock, dynamodb):
    alice, sid = _started(api, clock)
    before = _snapshot(sid)
    r = end_session(alice, sid, status=None, events=_burst(51, T0),
                    messages=[{"role": "user", "text": "Xin chào", "timestamp": T0}])
    assert error(r, 413)["details"]["field"] == "body.events"
    _nothing_more_written(before, sid)
    msgs = dynamodb.query(TableName="session_messages", KeyConditionExpression="sessionId = :s",
                          ExpressionAttributeValues={":s": {"S": sid}})["Items"]
    assert msgs == [] and data(alice.get("/api/usage"))["activeSessionId"] == sid


def test_events_of_one_millisecond_keep_the_order_of_their_calls_through_the_fold(api, clock):
    """Calls in the same millisecond (a disconnect, then the reconnection after a switch): the
    batches are read in the order they came, so the outage closes and nothing is credited (read
    in another order, the connection would precede the drop and the outage run to the end)."""
    from speakpho import story

    alice, sid = _started(api, clock, 120)
    now = T0 + 120_000
    sent = []
    for n in range(6):   # six drops and reconnections, every one at the same time
        drop = client_event("provider_disconnected", now, code=1006)
        back = client_event("provider_connected", now, connectMs=300 + n)
        send_events(alice, sid, [drop])
        send_events(alice, sid, [back])
        sent += [drop["eventId"], back["eventId"]]
    clock.advance(60)
    out = end_session(alice, sid, disconnectCode=1000)
    assert out["creditedSeconds"] == 0 and out["totalSecondsUsed"] == 180
    ordered = [e["eventId"] for e in story.ordered(stored_session(sid)["story"]) if e["source"] == "client"]
    assert ordered == sent

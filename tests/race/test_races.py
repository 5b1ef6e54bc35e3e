"""Concurrency: many parallel starts, many parallel ends, an end racing the sweeper.

Threads call the same domain functions the handlers call (the Powertools resolver keeps
per-request state on a module-level app, as a Lambda container serves one request at a
time), all released together by a barrier, against a real conditional-write engine.
"""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from apitest import client_event, count_requests, user_sessions
from speakpho import ddb, metering, story
from speakpho.config import get_settings
from speakpho.deps import metering_store
from speakpho.errors import AppError
from speakpho.models import EndSessionRequest, SessionEventsRequest, StartSessionRequest
from speakpho.tables import STATS_SK, stats_key
from provider_fakes import fake_ports

PORTS = fake_ports()

pytestmark = pytest.mark.race
WORKERS = 12


def run_together(n, fn):
    barrier = threading.Barrier(n)

    def call(i):
        barrier.wait()
        try:
            return fn(i)
        except AppError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(call, range(n)))


def period_row(client, user_id):
    return metering_store().get_period(user_id, "2026-11")


def end_request(sid, n_messages=30, n_corrections=7):
    return EndSessionRequest(
        sessionId=sid,
        messages=[{"role": "user" if i % 2 else "coach", "text": f"câu số {i}", "timestamp": i}
                  for i in range(n_messages)],
        corrections=[{"original": f"sai {i}", "correction": f"đúng {i}", "category": "grammar"}
                     for i in range(n_corrections)])


def test_parallel_starts_leave_exactly_one_active_and_never_overcharge(real_dynamodb, clock):
    store, settings = metering_store(), get_settings()
    user = metering.UserRef(f"racer-{uuid.uuid4().hex[:8]}", email_verified=True)
    metering.set_allowance(store, settings, clock, metering.UserRef("root"), user.user_id, 100, "race")
    first = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)
    clock.advance(90)
    metering.heartbeat(store, settings, clock, user, first["sessionId"], PORTS)

    results = run_together(WORKERS,
                           lambda i: metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS))
    started = [r for r in results if isinstance(r, dict)]
    assert started, results
    assert all(isinstance(r, dict) or r.code in ("start_contended", "limit_reached") for r in results)

    sessions = user_sessions(real_dynamodb, user.user_id)
    active = [s for s in sessions if s["status"] == "active"]
    assert len(active) == 1
    row = period_row(real_dynamodb, user.user_id)
    assert row["activeSessionId"] == active[0]["sessionId"]
    assert len(sessions) == 1 + len(started)
    # Every session but the active one was closed as stale, and the period holds exactly their charges.
    closed = [s for s in sessions if s["status"] == "ended"]
    assert all(s["endReason"] == "stale" and s["endedBy"] == "superseded" for s in closed)
    assert row["secondsUsed"] == sum(s["secondsUsed"] for s in closed) == 90
    # History numbers are unique: no two starts took the same slot.
    seqs = [s["historySeq"] for s in sessions]
    assert sorted(seqs) == list(range(1, len(sessions) + 1))

    clock.advance(500)
    out, _ = metering.end_session(store, settings, clock, user, EndSessionRequest(sessionId=active[0]["sessionId"]), PORTS)
    assert out["totalSecondsUsed"] <= 100
    assert period_row(real_dynamodb, user.user_id)["secondsUsed"] == 100


def test_parallel_ends_charge_once_and_store_transcript_once(real_dynamodb, clock):
    store, settings = metering_store(), get_settings()
    user = metering.UserRef(f"ender-{uuid.uuid4().hex[:8]}", email_verified=True)
    s = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)
    clock.advance(200)
    request = end_request(s["sessionId"])

    outcomes = run_together(WORKERS, lambda i: metering.end_session(store, settings, clock, user, request, PORTS))
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    results = [answer for answer, _ in outcomes]
    assert all(r == results[0] for r in results)
    assert results[0]["totalSecondsUsed"] == 200
    assert sum(1 for _, recorded_now in outcomes if recorded_now) == 1

    row = period_row(real_dynamodb, user.user_id)
    assert row["secondsUsed"] == 200 and "activeSessionId" not in row
    msgs = store.session_messages(s["sessionId"])
    assert [m["seq"] for m in msgs] == list(range(30))
    items = ddb.query_all(real_dynamodb, TableName="session_messages", KeyConditionExpression="sessionId = :s",
                          ExpressionAttributeValues=ddb.values({":s": s["sessionId"]}))
    assert sum(len(i["m"]) for i in items) == 30   # each message stored once, in chunks (speakpho.transcript)
    corrections = ddb.query_all(real_dynamodb, TableName="corrections", KeyConditionExpression="userId = :u",
                                ExpressionAttributeValues=ddb.values({":u": user.user_id}))
    stats = [c for c in corrections if c["correctionId"] == STATS_SK]
    assert len(corrections) - 1 == 7 and stats[0]["total"] == 7 and stats[0]["cat_grammar"] == 7


@pytest.mark.parametrize("round_", range(4))
def test_end_racing_the_sweeper_charges_once_and_keeps_the_transcript(real_dynamodb, clock, round_):
    store, settings = metering_store(), get_settings()
    user = metering.UserRef(f"sweep-{uuid.uuid4().hex[:8]}", email_verified=True)
    s = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)
    clock.advance(60)
    metering.heartbeat(store, settings, clock, user, s["sessionId"], PORTS)
    silence = settings.stale_after_seconds + settings.sweep_bucket_seconds
    clock.advance(silence)  # past its sweep deadline (the stale window, rounded up to a bucket): sweepable
    request = end_request(s["sessionId"], n_messages=40, n_corrections=3)

    def racer(i):
        if i % 2:
            return metering.close_stale_sessions(store, settings, clock, PORTS)
        return metering.end_session(store, settings, clock, user, request, PORTS)[0]

    results = run_together(6, racer)
    ends = [r for i, r in enumerate(results) if i % 2 == 0]
    assert all(isinstance(r, dict) for r in ends), ends
    assert all(r == ends[0] for r in ends)
    session = store.get_session(s["sessionId"], consistent=True)
    row = period_row(real_dynamodb, user.user_id)
    # Exactly one transition charged: either the sweeper (to the last heartbeat) or the end (to now).
    assert session["endReason"] in ("timeout", "user_ended")
    expected = 60 if session["endReason"] == "timeout" else 60 + silence
    assert session["secondsUsed"] == expected == row["secondsUsed"]
    assert ends[0]["totalSecondsUsed"] == expected
    assert session["messageCount"] == 40 and session.get("contentStoredAt")
    msgs = store.session_messages(s["sessionId"])
    assert [m["seq"] for m in msgs] == list(range(40))
    stats = store.client.get_item(TableName="corrections", Key=ddb.serialize(stats_key(user.user_id)))
    assert ddb.deserialize(stats["Item"])["total"] == 3


def test_largest_end_respects_dynamodb_request_limits(real_dynamodb, clock):
    """2000 messages and 200 corrections: batches of 25, one small transaction. The messages
    (~30 bytes each) pack into 72 items of at most 1 KB (speakpho.transcript): 3 batches, where
    one item per message took 80."""
    store, settings = metering_store(), get_settings()
    user = metering.UserRef(f"big-{uuid.uuid4().hex[:8]}", email_verified=True)
    s = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)
    clock.advance(30)
    with count_requests(real_dynamodb) as meter:
        out, _ = metering.end_session(store, settings, clock, user, end_request(s["sessionId"], 2000, 200), PORTS)
    assert out["session"]["messageCount"] == 2000
    # + the session's event batches, read before the commit and after it (speakpho.metering.fold)
    assert meter.ops == {"BatchWriteItem": -(-72 // 25) + (200 // 25), "TransactWriteItems": 1, "GetItem": 1,
                         "Query": 2}
    assert len(store.session_messages(s["sessionId"])) == 2000


@pytest.mark.parametrize("round_", range(4))
def test_end_racing_events_and_the_sweeper_charges_once_credits_once_and_loses_no_event(real_dynamodb, clock, round_):
    """An end (with events) racing two events calls, a repeat of the end and the sweeper: one
    charge, at most one credit, and every eventId of a call that answered is in the story once.
    The sweeper reads more before it writes and tends to lose, so in odd rounds it has
    closed the session just before (the late end's path, racing the events calls)."""
    store, settings = metering_store(), get_settings()
    user = metering.UserRef(f"story-{uuid.uuid4().hex[:8]}", email_verified=True)
    s = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)
    sid, t0 = s["sessionId"], clock.now_ms()
    outage = [client_event("provider_disconnected", t0 + 10_000, code=1011),
              client_event("provider_connected", t0 + 40_000)]      # 30 s the provider failed
    # The server gave access again inside it (what POST /api/session/access records): corroborated.
    store.append_to_live_story(user_id=user.user_id, session_id=sid, entry=story.server_entry(
        "access_granted", t0 + 39_000, provider="gemini", expiresAt=t0 + 639_000))
    clock.advance(60)
    metering.record_events(store, settings, clock, user, SessionEventsRequest(sessionId=sid, events=outage))
    metering.heartbeat(store, settings, clock, user, s["sessionId"], PORTS)
    silence = settings.stale_after_seconds + settings.sweep_bucket_seconds
    clock.advance(silence)  # past its sweep deadline (the stale window, rounded up to a bucket): sweepable
    calls = [[client_event("reconnect_attempt", t0 + 50_000 + 100 * k + i) for i in range(20)] for k in range(2)]
    end_events = [client_event("provider_disconnected", t0 + 185_000, code=1000)] + calls[0][:5] + outage[:1]
    end = EndSessionRequest(sessionId=sid, disconnectCode=1000, events=end_events)
    if round_ % 2:
        assert metering.close_stale_sessions(store, settings, clock, PORTS) == [sid]

    def racer(i):
        if i in (0, 1):
            return metering.end_session(store, settings, clock, user, end, PORTS)[0]
        if i in (2, 3):
            return metering.record_events(store, settings, clock, user,
                                          SessionEventsRequest(sessionId=sid, events=calls[i - 2]))
        return metering.close_stale_sessions(store, settings, clock, PORTS)

    results = run_together(5, racer)
    assert all(not isinstance(r, AppError) for r in results), results
    assert results[0] == results[1]
    session = store.get_session(sid, consistent=True)
    row = period_row(real_dynamodb, user.user_id)
    # One charge: the sweeper's (to the last heartbeat, no credit) or the end's (to now, less 30 s).
    if session["endedBy"] == "client_vanished":
        assert (session["secondsUsed"], session["creditedSeconds"]) == (60, 0)
    else:
        assert session["endedBy"] == "learner" and \
            (session["secondsUsed"], session["creditedSeconds"]) == (60 + silence - 30, 30)
    assert row["secondsUsed"] == session["secondsUsed"] == results[0]["totalSecondsUsed"]
    assert sum(1 for e in session["story"] if e["type"] in ("ended", "timed_out")) == 1
    # No event lost, none twice.
    recorded = [e["eventId"] for e in session["story"] if e["source"] == "client"]
    answered = {e["eventId"] for e in outage + end_events + calls[0] + calls[1]}
    assert sorted(recorded) == sorted(answered)
    assert session["eventIds"] == answered and session["eventCount"] == len(answered)


def test_the_largest_story_fits_in_the_session_item(real_dynamodb, clock):
    """The worst case of speakpho.story's size note, on an engine that enforces 400 KB: the
    session's MAX_SWITCHES_PER_SESSION switches with the longest reasons (4-byte characters),
    heartbeat gaps until the optional entries stop at MAX_STORY_ENTRIES, then 500 client
    disconnects with such reasons, then the end. Every write succeeds; later optional entries
    are left out, the switches themselves still count. (A text session: no grants in the way.)"""
    from speakpho.metering.live import MAX_SWITCHES_PER_SESSION
    from speakpho.story import MAX_STORY_ENTRIES

    store = metering_store()
    # The gaps take about ten hours: a plan with minutes for them.
    settings = get_settings().model_copy(update={"plan_minutes": {"free": 100_000, "pro": 100_000}})
    user = metering.UserRef(f"big-story-{uuid.uuid4().hex[:8]}", email_verified=True)
    s = metering.start_session(store, settings, clock, user, StartSessionRequest(channel="text"), ports=PORTS)
    sid, t0 = s["sessionId"], clock.now_ms()
    longest = "🍜" * 500
    for i in range(MAX_SWITCHES_PER_SESSION):
        clock.advance(0.01)
        metering.switch_provider(store, settings, clock, user, sid, ("openai", "gemini")[i % 2], 4999, longest,
                                 PORTS)
    gaps = MAX_STORY_ENTRIES - 1 - MAX_SWITCHES_PER_SESSION     # the story holds `started` and the switches
    for _ in range(gaps + 1):                                   # one more: refused quietly, the story is full
        clock.advance(2 * settings.heartbeat_interval_seconds + 1)
        metering.heartbeat(store, settings, clock, user, sid, PORTS)
    for k in range(10):
        events = [client_event("provider_disconnected", t0 + k * 1000 + i, code=1011, reason=longest)
                  for i in range(50)]
        assert metering.record_events(store, settings, clock, user, SessionEventsRequest(sessionId=sid, events=events))[
            "accepted"] == 50
    out, _ = metering.end_session(store, settings, clock, user, EndSessionRequest(
        sessionId=sid, disconnectCode=1011, disconnectReason=longest, provider="gemini", providerSwitched=True), PORTS)
    session = store.get_session(sid, consistent=True)
    assert out["session"]["endedBy"] == "provider" and session["switchCount"] == MAX_SWITCHES_PER_SESSION
    types = [e["type"] for e in session["story"]]
    assert types.count("provider_switched") == MAX_SWITCHES_PER_SESSION and types.count("heartbeat_gap") == gaps
    assert session["eventCount"] == 500 and types[-1] == "ended"
    item = real_dynamodb.get_item(TableName="sessions", Key={"sessionId": {"S": sid}})["Item"]
    assert 200_000 < sum(len(k.encode()) + attribute_size(v) for k, v in item.items()) < 400 * 1024


def attribute_size(value: dict) -> int:
    """DynamoDB's item-size rules for one AttributeValue (close enough for a margin)."""
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return (len(inner.lstrip("-").replace(".", "")) + 1) // 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode()) for v in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in inner)
    return 3 + sum(1 + len(k.encode()) + attribute_size(v) for k, v in inner.items())  # M

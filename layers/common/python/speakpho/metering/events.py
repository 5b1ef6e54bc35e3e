"""Client events: POST /api/session/events, and the same rules for the events an end carries.

The client reports its connection to the voice provider (connected, disconnected with the
close code, reconnect attempts) with an eventId of its own making; the session's story
(speakpho.story) records each eventId once, so a retried call is harmless.

Rules: at most MAX_EVENTS_PER_CALL events a call and MAX_EVENTS_PER_SESSION new ones a
session (413, nothing written); someone else's session is not found; events still land up
to EVENTS_AFTER_END_MS after the session ended (or, closed by the sweeper or a newer start, after
its close: `closedAt`, while `endedAt` stays its last sign of life), later ones are refused (409
session_ended).
Client times are moved onto the server's clock when the call's `sentAt` says the client's
clock is off by more than CLIENT_SKEW_TOLERANCE_MS (speakpho.story.skew_offset: a client clock
10 minutes ahead cannot draw its events 10 minutes late, nor stretch an outage), then clamped
into the session's span: [startedAt, now] while it is active, [startedAt, endedAt] once ended.

Where they go: a live session's events go to an item of their own, one per call, in the
session_events table (the call writes what its new events weigh, not the session item with its
story); the session's close folds them into its story (speakpho.metering.fold). Events that
come once it closed go straight onto its item, as the story of a closed session is read there.

Cost of a live session's call: a strong read of the session (whose? live? its span), a strong
query of its batches (repeats, the count), the batch's PutItem (write units: what the new
events weigh, rounded up to 1 KB) and the session read strongly again (its status): a close that committed
before that read may have read the batches before this one was written, so the call puts its
events on the item itself (a repeat there is refused by eventId; the close's own second look,
speakpho.metering.fold.fold_stragglers, covers a close that committed after that read).
A closed session's call: the read, then one UpdateItem on the item, conditioned as before.
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Callable

from speakpho import story
from speakpho.clock import Clock
from speakpho.config import Settings
from speakpho.errors import ConditionLost, Conflict, NotFound, PayloadTooLarge
from speakpho.metering.usage import UserRef
from speakpho.models import SessionEventsRequest

if TYPE_CHECKING:
    from speakpho.metering_store import MeteringStore

EVENT_ATTEMPTS = 4
# A batch outlives the latest its session can close by this much (a sweep comes minutes late).
BATCH_GRACE_SECONDS = 2 * 86_400
FIELD = "body.events"
# The stored entries of new events in a span [low, high] (client events, or a batch's entries).
EntriesOf = Callable[[list[dict], int, int], list[dict]]


def check_call_size(events: list) -> None:
    """413 for more than MAX_EVENTS_PER_CALL events, before anything is read or written."""
    if len(events) > story.MAX_EVENTS_PER_CALL:
        raise PayloadTooLarge(f"at most {story.MAX_EVENTS_PER_CALL} events a call",
                              {"field": FIELD, "limit": story.MAX_EVENTS_PER_CALL, "received": len(events)})


def check_session_room(session: dict, new: int) -> None:
    """413 when `new` more events would take the session over MAX_EVENTS_PER_SESSION."""
    held = int(session.get("eventCount") or 0)
    if held + new > story.MAX_EVENTS_PER_SESSION:
        raise PayloadTooLarge(f"a session holds at most {story.MAX_EVENTS_PER_SESSION} events",
                              {"field": FIELD, "limit": story.MAX_EVENTS_PER_SESSION, "held": held, "new": new})


def ended_too_long_ago(session: dict, now: int) -> bool:
    """Ended (or closed) more than EVENTS_AFTER_END_MS ago."""
    ended = max(int(session.get("endedAt") or 0), int(session.get("closedAt") or 0))
    return session.get("status") != "active" and ended < now - story.EVENTS_AFTER_END_MS


def span(session: dict, now: int) -> tuple[int, int]:
    """The session's span: [startedAt, now] while active, [startedAt, endedAt] once ended."""
    start = int(session["startedAt"])
    return (start, now) if session.get("status") == "active" else (start, int(session.get("endedAt") or start))


def skew(settings: Settings, sent_at: int | None, now: int) -> int:
    """What to add to a call's client times (0 within the tolerance or without `sentAt`)."""
    return story.skew_offset(sent_at, now, settings.client_skew_tolerance_ms)


def client_entries(events: list[dict], *, now: int, low: int, high: int, skew_ms: int = 0) -> list[dict]:
    return [story.client_entry(e, received_at=now, span_start=low, span_end=high, skew_ms=skew_ms) for e in events]


def _answer(session_id: str, *, accepted: int, duplicates: int, event_count: int) -> dict:
    return {"sessionId": session_id, "accepted": accepted, "duplicates": duplicates, "eventCount": event_count}


def batch_id(held_batches: int, event_ids: list[str]) -> str:
    """A batch's sort key: its place among the session's batches (the number already held, so
    they are read in the order they came, and client events of the same millisecond keep the
    order they were recorded in: speakpho.story.ordered), then a digest of its eventIds (the
    same call sent twice at once writes one item; repeats across batches are dropped when
    read: speakpho.story.batched_entries)."""
    return f"{held_batches:05d}#" + hashlib.sha256("\n".join(sorted(event_ids)).encode()).hexdigest()[:16]


def batch_expires_at(session: dict) -> int:
    """When a batch may go (epoch seconds, TTL): after the latest the session can close (its
    start plus the seconds it may run) and BATCH_GRACE_SECONDS more for a late sweep."""
    return int(session["startedAt"]) // 1000 + int(session.get("remainingAtStart") or 0) + BATCH_GRACE_SECONDS


def record_events(store: MeteringStore, settings: Settings, clock: Clock, user: UserRef,
                  request: SessionEventsRequest) -> dict:
    """Records the new events of a call; the answer says how many were new and repeated."""
    check_call_size(request.events)
    now = clock.now_ms()
    skew_ms = skew(settings, request.sentAt, now)
    received = [e.entry_fields() for e in request.events]
    events, _ = story.fresh_events(received, ())   # an eventId twice in one call counts once
    session = store.get_session(request.sessionId, consistent=True)
    if not session or session.get("userId") != user.user_id:
        raise NotFound("session not found")
    if session.get("status") != "active":
        return record_on_item(store, user, session, events, received=len(received), now=now,
                              entries_of=_client_entries_of(now, skew_ms))
    on_item = set(session.get("eventIds") or ())
    batches = store.event_batches(request.sessionId)
    held = story.batched_entries(batches, on_item)
    count = int(session.get("eventCount") or 0) + len(held)
    fresh, _ = story.fresh_events(events, on_item | {e["eventId"] for e in held})
    if not fresh:   # every one recorded already: a retried call
        return _answer(request.sessionId, accepted=0, duplicates=len(received), event_count=count)
    check_session_room({"eventCount": count}, len(fresh))
    entries = client_entries(fresh, now=now, low=int(session["startedAt"]), high=now, skew_ms=skew_ms)
    store.put_event_batch(session_id=request.sessionId, user_id=user.user_id,
                          batch_id=batch_id(len(batches), [e["eventId"] for e in fresh]), entries=entries,
                          expires_at=batch_expires_at(session))
    # A read bills the whole item whatever it projects, so the status is read with the session
    # it closes: closed meanwhile, its fold may lack this batch.
    after = store.get_session(request.sessionId, consistent=True)
    if after.get("status") != "active":
        record_on_item(store, user, after, fresh, received=len(fresh), now=now,
                       entries_of=_client_entries_of(now, skew_ms))
    return _answer(request.sessionId, accepted=len(fresh), duplicates=len(received) - len(fresh),
                   event_count=count + len(fresh))


def _client_entries_of(now: int, skew_ms: int) -> EntriesOf:
    return lambda fresh, low, high: client_entries(fresh, now=now, low=low, high=high, skew_ms=skew_ms)


def record_on_item(store: MeteringStore, user: UserRef, session: dict, events: list[dict], *, received: int,
                   now: int, entries_of: EntriesOf) -> dict:
    """Puts events on a closed session's item (its story is read there), each eventId once;
    `session` is the item as read, `entries_of(fresh, low, high)` the entries of the new ones
    in the session's span [low, high]. Refused: ended more than EVENTS_AFTER_END_MS ago (409),
    no room (413). A lost condition (the item changed) reads it from the failure and decides
    again, at most EVENT_ATTEMPTS times."""
    session_id = session["sessionId"]
    for _ in range(EVENT_ATTEMPTS):
        if not session or session.get("userId") != user.user_id:
            raise NotFound("session not found")
        fresh, _ = story.fresh_events(events, session.get("eventIds"))
        if not fresh:   # every one recorded already: a retried call
            return _answer(session_id, accepted=0, duplicates=received,
                           event_count=int(session.get("eventCount") or 0))
        if ended_too_long_ago(session, now):
            raise Conflict("the session ended more than 5 minutes ago", {"endedAt": session.get("endedAt")},
                           code="session_ended")
        check_session_room(session, len(fresh))
        low, high = span(session, now)
        entries = entries_of(fresh, low, high)
        ats = [e["at"] for e in entries]
        try:
            count = store.append_events(user_id=user.user_id, session_id=session_id, entries=entries,
                                        event_ids=[e["eventId"] for e in fresh], lowest=min(ats),
                                        highest=max(ats), cutoff=now - story.EVENTS_AFTER_END_MS)
            return _answer(session_id, accepted=len(fresh), duplicates=received - len(fresh), event_count=count)
        except ConditionLost as lost:
            session = lost.current
    raise Conflict("session events are contended; retry", code="events_contended")

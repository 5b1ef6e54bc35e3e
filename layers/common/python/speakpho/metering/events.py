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

Cost: one UpdateItem in the common case. It is sent before the session is read, clamping
only to now, and its condition checks what was assumed (the session is the caller's, every
time lies in its span, no eventId is recorded yet, the count has room); when that fails the
session as it was comes back with the failure and decides: 404, 409, 413, "all repeats"
(accepted 0, no second request), or one retry with the repeats dropped and the times
clamped to the real span.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho import story
from speakpho.clock import Clock
from speakpho.config import Settings
from speakpho.errors import ConditionLost, Conflict, NotFound, PayloadTooLarge
from speakpho.metering.usage import UserRef
from speakpho.models import SessionEventsRequest

if TYPE_CHECKING:
    from speakpho.metering_store import MeteringStore

EVENT_ATTEMPTS = 4
FIELD = "body.events"


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


def record_events(store: MeteringStore, settings: Settings, clock: Clock, user: UserRef,
                  request: SessionEventsRequest) -> dict:
    """Records the new events of a call; the answer says how many were new and repeated."""
    check_call_size(request.events)
    now = clock.now_ms()
    skew_ms = skew(settings, request.sentAt, now)
    received = [e.entry_fields() for e in request.events]
    events, _ = story.fresh_events(received, ())   # an eventId twice in one call counts once
    fresh = events
    low, high = 0, now     # not read yet: clamp to now only; the write's condition checks the rest
    for _ in range(EVENT_ATTEMPTS):
        entries = client_entries(fresh, now=now, low=low, high=high, skew_ms=skew_ms)
        ats = [e["at"] for e in entries]
        try:
            count = store.append_events(user_id=user.user_id, session_id=request.sessionId, entries=entries,
                                        event_ids=[e["eventId"] for e in fresh], lowest=min(ats),
                                        highest=max(ats), cutoff=now - story.EVENTS_AFTER_END_MS)
            return _answer(request.sessionId, accepted=len(fresh), duplicates=len(received) - len(fresh),
                           event_count=count)
        except ConditionLost as lost:
            session = lost.current
        if not session or session.get("userId") != user.user_id:
            raise NotFound("session not found")
        fresh, _ = story.fresh_events(events, session.get("eventIds"))
        if not fresh:   # every one recorded already: a retried call
            return _answer(request.sessionId, accepted=0, duplicates=len(received),
                           event_count=int(session.get("eventCount") or 0))
        if ended_too_long_ago(session, now):
            raise Conflict("the session ended more than 5 minutes ago", {"endedAt": session.get("endedAt")},
                           code="session_ended")
        check_session_room(session, len(fresh))
        low, high = span(session, now)
    raise Conflict("session events are contended; retry", code="events_contended")

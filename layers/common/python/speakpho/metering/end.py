"""End: charge once (net of the credit for a provider's failure), store the transcript
once, record the end's story, answer the same on every repeat."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from speakpho import story
from speakpho.access.hangup import hang_up, hung_up_entry
from speakpho.clock import Clock
from speakpho.config import Settings
from speakpho.corrections import new_correction_item, session_correction_id, unique_corrections
from speakpho.errors import ConditionLost, Conflict, CorrectionsOverCap
from speakpho.metering import events as client_events
from speakpho.metering import fold
from speakpho.metering.live import other_provider, owned_session
from speakpho.metering.usage import UserRef, credit_left, elapsed_seconds, period_credited, period_totals
from speakpho.models import EndSessionRequest
from speakpho.views import minutes, session_view

if TYPE_CHECKING:
    from speakpho.metering_store import MeteringStore
    from speakpho.providers.ports import ProviderPorts

END_ATTEMPTS = 4
CORRECTIONS_LIMIT_REASON = "corrections_limit"   # why an end kept fewer corrections than said


def end_answer(session: dict) -> dict:
    """The answer of an end, from the session as ended (the same on every repeat)."""
    result = session.get("endResult") or {}
    total = int(result.get("totalSecondsUsed", 0))
    remaining = max(0, int(result.get("secondsLimit", 0)) - total)
    return {
        "totalMinutesUsed": minutes(total),
        "minutesRemaining": minutes(remaining),
        "totalSecondsUsed": total,
        "secondsRemaining": remaining,
        "creditedSeconds": int(session.get("creditedSeconds") or 0),
        "session": session_view(session),
        **_dropped_answer(session),
    }


def _dropped_answer(session: dict) -> dict:
    """The corrections the end did not keep: the learner held Settings.corrections_limit."""
    dropped = int(session.get("correctionsDropped") or 0)
    return {"correctionsDropped": {"count": dropped, "reason": CORRECTIONS_LIMIT_REASON}} if dropped else {}


def kept_within_room(corrections: list[dict], room: int) -> tuple[list[dict], list[dict]]:
    """(kept, dropped): the session's first `room` corrections are kept, the rest dropped."""
    room = max(0, room)
    return corrections[:room], corrections[room:]


def switch_reported_at_end(session: dict, request: EndSessionRequest) -> bool:
    """The end reports a switch the server never saw mid-session."""
    switched = request.providerSwitched or (request.provider is not None
                                            and request.provider != session.get("initialProvider"))
    return bool(switched) and not session.get("switchCount")


def content_fields(session: dict, request: EndSessionRequest, now: int) -> dict:
    """What the end payload records about the session, whoever closed it."""
    fields = {
        "conversationId": request.conversationId,
        "disconnectCode": request.disconnectCode,
        "disconnectReason": request.disconnectReason,
        "provider": request.provider,
        "messageCount": len(request.messages) if request.messages else (request.messageCount or 0),
        "correctionCount": len(unique_corrections(request.corrections)),   # a repeat in the session is one
        # The latency the learner felt, per provider (speakpho.latency); recorded once, with the content.
        "latency": ({p: v.model_dump(exclude_none=True) for p, v in request.latency.items()}
                    if request.latency else None),
        "contentStoredAt": now,
    }
    if switch_reported_at_end(session, request):
        # The client switched without telling us mid-session: record one switch.
        fields["switchCount"] = 1
        fields["providerSwitchedAt"] = now
    return fields


def transcript_expires_at(settings: Settings, now: int) -> int:
    """The epoch second a transcript stored at `now` expires (DynamoDB TTL on session_messages)."""
    return now // 1000 + settings.transcript_retention_days * 86_400


def _content_items(settings: Settings, session: dict, user: UserRef, request: EndSessionRequest,
                   now: int) -> tuple[list, list]:
    """The transcript's messages, numbered (the store packs them into items: speakpho.transcript)
    and the correction items, with deterministic keys (a retry rewrites them)."""
    created_at = session.get("endedAt") or now
    expires_at = transcript_expires_at(settings, now)
    messages = [{"sessionId": session["sessionId"], "seq": i, "userId": user.user_id, "role": m.role,
                 "text": m.text, "timestamp": m.timestamp, "expiresAt": expires_at,
                 **({"provider": m.provider} if m.provider else {})}
                for i, m in enumerate(request.messages)]
    corrections = [new_correction_item(
        user_id=user.user_id, correction_id=session_correction_id(session["sessionId"], i),
        session_id=session["sessionId"], index=i, original=c.original, correction=c.correction,
        explanation=c.explanation, category=c.category, created_at=created_at)
        for i, c in enumerate(unique_corrections(request.corrections))]
    return messages, corrections


def _pending(store: MeteringStore, session: dict, now: int) -> list[dict]:
    """An active session's batched events (speakpho.metering.fold), which its end folds in."""
    if session.get("status") != "active":
        return []
    return fold.pending_events(store, session["sessionId"], session.get("eventIds") or (),
                               int(session["startedAt"]), now)


def _end_story(session: dict, request: EndSessionRequest, events: list[dict], now: int,
               skew_ms: int, pending: list[dict]) -> tuple[list, list]:
    """(entries, eventIds) the end appends before its `ended` entry: its client events not
    recorded yet, moved by `skew_ms` (the client clock's offset, metering.events.skew) and
    clamped into the session's span, and a switch reported only now. The
    events of an end more than EVENTS_AFTER_END_MS after the session was closed (by the
    sweeper or a newer start) are not recorded; its transcript still is. `pending`: the
    batched events the end folds in, which count as recorded."""
    entries, ids = [], []
    if events and not client_events.ended_too_long_ago(session, now):
        fresh, _ = story.fresh_events(events, {*(session.get("eventIds") or ()), *(e["eventId"] for e in pending)})
        client_events.check_session_room({"eventCount": int(session.get("eventCount") or 0) + len(pending)},
                                         len(fresh))
        low, high = client_events.span(session, now)
        entries = client_events.client_entries(fresh, now=now, low=low, high=high, skew_ms=skew_ms)
        ids = [e["eventId"] for e in fresh]
    if switch_reported_at_end(session, request):
        initial = session.get("initialProvider") or "gemini"
        to = request.provider if request.provider not in (None, initial) else other_provider(initial)
        entries.append(story.server_entry("provider_switched", now, **{"from": initial, "to": to}))
    return entries, ids


def _end_fields(settings: Settings, session: dict, request: EndSessionRequest, timeline: list[dict], now: int,
                period: PeriodAtEnd) -> dict:
    """The fields an end by the learner sets on a still active session (charged once, net
    of the credit for the outages the server corroborates: speakpho.story.credited_seconds,
    at most what is left of the period's credit budget: speakpho.metering.usage.credit_left)."""
    elapsed = elapsed_seconds(session["startedAt"], now)
    cap = int(session["remainingAtStart"])
    charge = min(elapsed, cap)
    ended_by = story.ended_by_learner_end(request.disconnectCode, elapsed >= cap, bool(request.pageClosed))
    credit = min(story.credited_seconds(timeline, now, charge),
                 credit_left(settings, period.limit, period.credited))
    return {
        "status": "ended",
        "endedAt": now,
        "endReason": story.end_reason(ended_by),
        "endedBy": ended_by,
        "secondsUsed": charge - credit,
        "creditedSeconds": credit,
        "endResult": {"totalSecondsUsed": period.used + charge - credit, "secondsLimit": period.limit},
    }


@dataclass(frozen=True)
class PeriodAtEnd:
    """The period's totals the end charges against (its transaction is conditioned on them).

    First attempt: what the session carries from its start (usedAtStart, limitAtStart,
    creditedAtStart), so the common end reads nothing but the session. They are exact: only
    the period's active session can charge or credit it, and this one is active (an admin's
    new allowance fails the condition, and the retry reads the row). A session started
    before creditedAtStart existed counts 0: if the period had credited something, the
    condition fails and the retry reads the row. Conditioning the period update on the
    budget instead cannot be done (a condition cannot add credited + credit), and
    recording the budget left on the row would need the same read to know the credit fits.
    """
    used: int
    limit: int
    credited: int

    @classmethod
    def from_session(cls, session: dict) -> PeriodAtEnd:
        return cls(int(session["usedAtStart"]), int(session["limitAtStart"]), int(session.get("creditedAtStart") or 0))

    @classmethod
    def from_row(cls, settings: Settings, row: dict) -> PeriodAtEnd:
        _, limit, used = period_totals(settings, row)
        return cls(used, limit, period_credited(row))


def _facts(session: dict, request: EndSessionRequest, appended: list[dict]) -> dict:
    """What the metrics count of the end this call recorded (speakpho.story.summary)."""
    return {"switchReportedAtEnd": switch_reported_at_end(session, request),
            "summary": story.summary((session.get("story") or []) + appended,
                                     session.get("initialProvider") or "gemini")}


def _delete_written(store: MeteringStore, session: dict, messages: list[dict], corrections: list[dict]) -> None:
    """An end that lost its commit to a withdrawal (learning/withdrawal.py) deletes its
    transcript items and the corrections no counter holds: those at or above the session's
    correctionCount (below it are the counted ones of an earlier end, which the withdrawal
    deletes with their counts)."""
    counted = int(session.get("correctionCount") or 0)
    store.delete_written(messages, [c for c in corrections if c["correctionIndex"] >= counted])


def end_session(store: MeteringStore, settings: Settings, clock: Clock, user: UserRef,
                request: EndSessionRequest, ports: ProviderPorts) -> tuple[dict, dict | None]:
    """Charge once, store the transcript once, answer the same on every repeat.

    Returns the answer and, when this call is the one that recorded the end, what metrics
    count of it (None for a repeat, so that each session is counted once however often
    the client repeats).

    Transcript items use deterministic keys and are written before the state change, so
    a crash in between loses nothing and a retry rewrites the same items. The state
    change is conditional (active -> ended, content not yet stored, the end's eventIds not
    recorded yet): of racing ends and sweeps exactly one charges, and exactly one records
    the content. A repeat answers from the session and records none of its events.
    """
    client_events.check_call_size(request.events)
    session = owned_session(store, user, request.sessionId)
    if session.get("contentStoredAt"):
        return end_answer(session), None
    now = clock.now_ms()
    events = [e.entry_fields() for e in request.events]
    skew_ms = client_events.skew(settings, request.sentAt, now)
    pending = _pending(store, session, now)
    _end_story(session, request, events, now, skew_ms, pending)   # too many events: 413 before anything is written
    messages, corrections = _content_items(settings, session, user, request, now)
    corrections, beyond_cap = kept_within_room(corrections, settings.corrections_limit)   # never written
    dropped = len(beyond_cap)
    store.store_content(messages, corrections)

    period: PeriodAtEnd | None = None
    for _ in range(END_ATTEMPTS):
        content = content_fields(session, request, now)
        if dropped:
            content.update(correctionCount=len(corrections), correctionsDropped=dropped)
        entries, event_ids = _end_story(session, request, events, now, skew_ms, pending)
        entries = pending + entries
        if session.get("status") == "active":
            if period is None:
                period = PeriodAtEnd.from_session(session)
            if session.get("callId"):
                entries.append(hung_up_entry(session["callId"], "end", now))
            ended = _end_fields(settings, session, request, (session.get("story") or []) + entries, now, period)
            entries.append(story.server_entry("ended", now, endReason=ended["endReason"],
                                              endedBy=ended["endedBy"], code=request.disconnectCode))
        else:
            ended = {}
        try:
            store.commit_end(session=session, ended=ended, content=content, corrections=corrections,
                             charge_period=bool(ended), period_used=period.used if period else 0,
                             period_limit=period.limit if period else 0,
                             period_credited=period.credited if period else 0,
                             story_entries=entries, event_ids=event_ids,
                             folded_ids=[e["eventId"] for e in pending],
                             corrections_cap=settings.corrections_limit)
            if ended:   # batches written while this end committed go on the item now
                fold.fold_stragglers(store, user_id=user.user_id, session_id=session["sessionId"], now=now,
                                     folded={*(session.get("eventIds") or ()), *(e["eventId"] for e in entries
                                                                                 if "eventId" in e)})
            answer = end_answer({**session, **ended, **{k: v for k, v in content.items() if v is not None}})
            if ended and session.get("callId"):
                hang_up(ports, session_id=session["sessionId"], call_id=session["callId"], why="end")
            return answer, _facts(session, request, entries)
        except CorrectionsOverCap:
            # The learner holds too many to take them all: keep the first ones that fit,
            # delete the written rest (none counted) and commit again.
            room = settings.corrections_limit - store.corrections_held(user.user_id)
            corrections, beyond = kept_within_room(corrections, room)
            store.delete_written([], beyond)
            dropped += len(beyond)
            continue
        except ConditionLost:
            pass
        # Lost a race (a repeat, the sweeper, a newer start, an events call) or the allowance
        # changed: re-read.
        session = owned_session(store, user, request.sessionId)
        if session.get("contentWithdrawnAt"):
            # Deleted or erased before this commit: what this call wrote is nobody's to see.
            _delete_written(store, session, messages, corrections)
            return end_answer(session), None
        if session.get("contentStoredAt"):
            return end_answer(session), None
        if session.get("status") == "active":
            row = store.get_period(user.user_id, session["period"])
            if row and row.get("activeSessionId") == session["sessionId"]:
                period = PeriodAtEnd.from_row(settings, row)
        pending = _pending(store, session, now)
    raise Conflict("session end is contended; retry", code="end_contended")

"""End: charge once, store the transcript once, answer the same on every repeat."""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho import close_codes
from speakpho.clock import Clock
from speakpho.config import Settings
from speakpho.corrections import new_correction_item, session_correction_id
from speakpho.errors import ConditionLost, Conflict
from speakpho.metering.live import owned_session
from speakpho.metering.usage import UserRef, elapsed_seconds, period_totals
from speakpho.models import EndSessionRequest
from speakpho.views import minutes, session_view

if TYPE_CHECKING:
    from speakpho.metering_store import MeteringStore

END_ATTEMPTS = 4


def end_reason(disconnect_code: int | None, limit_hit: bool) -> str:
    """Why a session the learner ended ended (docs/metering.md, end_reason): the limit wins,
    then a close code reporting trouble, else the learner ended it. The sweeper and a newer
    start close sessions as "stale" themselves."""
    if limit_hit:
        return "limit_reached"
    if close_codes.is_disconnect(disconnect_code):
        return "disconnect"
    return "user_ended"


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
        "session": session_view(session),
    }


def content_fields(session: dict, request: EndSessionRequest, now: int) -> dict:
    """What the end payload records about the session, whoever closed it."""
    switched = request.providerSwitched or (request.provider is not None
                                            and request.provider != session.get("initialProvider"))
    fields = {
        "conversationId": request.conversationId,
        "disconnectCode": request.disconnectCode,
        "disconnectReason": request.disconnectReason,
        "provider": request.provider,
        "messageCount": len(request.messages) if request.messages else (request.messageCount or 0),
        "correctionCount": len(request.corrections),
        "contentStoredAt": now,
    }
    if switched and not session.get("switchCount"):
        # The client switched without telling us mid-session: record one switch.
        fields["switchCount"] = 1
        fields["providerSwitchedAt"] = now
    return fields


def _content_items(session: dict, user: UserRef, request: EndSessionRequest, now: int) -> tuple[list, list]:
    """The transcript and correction items, with deterministic keys (a retry rewrites them)."""
    created_at = session.get("endedAt") or now
    messages = [{"sessionId": session["sessionId"], "seq": i, "userId": user.user_id, "role": m.role,
                 "text": m.text, "timestamp": m.timestamp} for i, m in enumerate(request.messages)]
    corrections = [new_correction_item(
        user_id=user.user_id, correction_id=session_correction_id(session["sessionId"], i),
        session_id=session["sessionId"], index=i, original=c.original, correction=c.correction,
        explanation=c.explanation, category=c.category, created_at=created_at)
        for i, c in enumerate(request.corrections)]
    return messages, corrections


def _end_fields(session: dict, request: EndSessionRequest, now: int, period_used: int, period_limit: int) -> dict:
    """The fields an end by the learner sets on a still active session (charged once)."""
    elapsed = elapsed_seconds(session["startedAt"], now)
    cap = int(session["remainingAtStart"])
    charge = min(elapsed, cap)
    return {
        "status": "ended",
        "endedAt": now,
        "endReason": end_reason(request.disconnectCode, elapsed >= cap),
        "secondsUsed": charge,
        "endResult": {"totalSecondsUsed": period_used + charge, "secondsLimit": period_limit},
    }


def end_session(store: MeteringStore, settings: Settings, clock: Clock, user: UserRef,
                request: EndSessionRequest) -> tuple[dict, bool]:
    """Charge once, store the transcript once, answer the same on every repeat.

    Returns the answer and whether this call is the one that recorded the end (so that
    metrics count each session once, however often the client repeats).

    Transcript items use deterministic keys and are written before the state change, so
    a crash in between loses nothing and a retry rewrites the same items. The state
    change is conditional (active -> ended, content not yet stored): of racing ends and
    sweeps exactly one charges, and exactly one records the content.
    """
    session = owned_session(store, user, request.sessionId)
    if session.get("contentStoredAt"):
        return end_answer(session), False
    now = clock.now_ms()
    messages, corrections = _content_items(session, user, request, now)
    store.store_content(messages, corrections)

    period_used = period_limit = None
    for _ in range(END_ATTEMPTS):
        content = content_fields(session, request, now)
        if session.get("status") == "active":
            if period_used is None:
                period_used, period_limit = session["usedAtStart"], session["limitAtStart"]
            ended = _end_fields(session, request, now, period_used, period_limit)
        else:
            ended = {}
        try:
            store.commit_end(session=session, ended=ended, content=content, corrections=corrections,
                             charge_period=bool(ended), period_used=period_used or 0,
                             period_limit=period_limit or 0)
            return end_answer({**session, **ended, **{k: v for k, v in content.items() if v is not None}}), True
        except ConditionLost:
            pass
        # Lost a race (a repeat, the sweeper, a newer start) or the allowance changed: re-read.
        session = owned_session(store, user, request.sessionId)
        if session.get("contentStoredAt"):
            return end_answer(session), False
        if session.get("status") == "active":
            row = store.get_period(user.user_id, session["period"])
            if row and row.get("activeSessionId") == session["sessionId"]:
                _, period_limit, period_used = period_totals(settings, row)
    raise Conflict("session end is contended; retry", code="end_contended")

"""Voice-minute metering: admit and reserve, heartbeat, switch provider, end, sweep.

Domain logic only: takes plain data, a MeteringStore and the clock; knows nothing of HTTP.
Usage is metered in whole seconds. A session may use at most what remained of the
period when it started (`remainingAtStart`); it is charged once, when it ends.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from botocore.exceptions import ClientError

from speakpho import close_codes, ddb
from speakpho.clock import Clock, utc_day, utc_month
from speakpho.config import Settings
from speakpho.corrections import new_correction_item, session_correction_id
from speakpho.errors import Conflict, LimitReached, NotFound
from speakpho.metering_store import MeteringStore
from speakpho.models import EndSessionRequest, StartSessionRequest
from speakpho.views import minutes, session_view, usage_view

START_ATTEMPTS = 6


@dataclass(frozen=True)
class UserRef:
    user_id: str
    email: str | None = None


def plan_seconds(settings: Settings, plan: str) -> int:
    return int(settings.plan_minutes.get(plan, settings.plan_minutes.get(settings.default_plan, 0))) * 60


def _period_totals(settings: Settings, row: dict | None) -> tuple[str, int, int]:
    plan = (row or {}).get("plan") or settings.default_plan
    limit = (row or {}).get("secondsLimit")
    if limit is None:
        limit = plan_seconds(settings, plan)
    return plan, int(limit), int((row or {}).get("secondsUsed", 0))


def _elapsed_seconds(start_ms: int, end_ms: int) -> int:
    return max(0, (end_ms - start_ms) // 1000)


def _stale_closing(row: dict, plan_limit: int, used_before: int) -> dict:
    """The end fields of the period's active session, charged up to its last heartbeat."""
    charge = min(_elapsed_seconds(row["activeStartedAt"], row["activeLastHeartbeatAt"]),
                 int(row.get("activeRemainingAtStart", 0)))
    return {
        "sessionId": row["activeSessionId"],
        "endReason": "stale",
        "endedAt": row["activeLastHeartbeatAt"],
        "secondsUsed": charge,
        "endResult": {"totalSecondsUsed": used_before + charge, "secondsLimit": plan_limit},
    }


# --------------------------------------------------------------------------- usage
def get_usage(store: MeteringStore, clock: Clock, user: UserRef) -> dict:
    """The period's totals. A live session counts up to its last heartbeat, as the heartbeat
    answer does: that much is charged however the session ends, so the figure never goes back."""
    period = utc_month(clock.now_ms())
    row = store.get_period(user.user_id, period)
    plan, limit, used = _period_totals(store.settings, row)
    if row and row.get("activeSessionId"):
        used += min(_elapsed_seconds(row["activeStartedAt"], row["activeLastHeartbeatAt"]),
                    int(row.get("activeRemainingAtStart", 0)))
    return usage_view(plan=plan, period=period, seconds_limit=limit, seconds_used=used,
                      active_session_id=(row or {}).get("activeSessionId"))


# --------------------------------------------------------------------------- start
def start_session(store: MeteringStore, clock: Clock, user: UserRef, request: StartSessionRequest) -> dict:
    """Admit and reserve in one conditional transaction.

    The transaction is conditioned on the period row's version (and the profile's session
    counter), so of many concurrent starts exactly one commits per version; the others
    re-read and try again, and see the session that won as the one to close.
    """
    settings = store.settings
    for _ in range(START_ATTEMPTS):
        now = clock.now_ms()
        period = utc_month(now)
        row, profile = store.get_period_and_profile(user.user_id, period)
        plan, limit, used = _period_totals(settings, row)
        stale = None
        if row and row.get("activeSessionId"):
            stale = _stale_closing(row, limit, used)
            used += stale["secondsUsed"]
        remaining = limit - used
        if remaining <= 0:
            raise LimitReached("no voice minutes left in this period",
                               {"usage": usage_view(plan=plan, period=period, seconds_limit=limit,
                                                    seconds_used=used, active_session_id=None)})
        seq = int((profile or {}).get("sessionCount", 0)) + 1
        session = {
            "sessionId": str(uuid.uuid4()),
            "userId": user.user_id,
            "userEmail": user.email,
            "status": "active",
            "period": period,
            "startedAt": now,
            "startDay": utc_day(now),
            "topic": request.topic,
            "difficulty": request.difficulty,
            "mode": request.mode,
            "provider": request.provider,
            "initialProvider": request.provider,
            "switchCount": 0,
            "messageCount": 0,
            "correctionCount": 0,
            "secondsUsed": 0,
            "remainingAtStart": remaining,
            "usedAtStart": used,
            "limitAtStart": limit,
            "historyUser": user.user_id,
            "historySeq": seq,
            "version": 1,
        }
        try:
            store.commit_start(user_id=user.user_id, period=period, period_row=row, profile=profile,
                               plan=plan, seconds_limit=limit, seconds_used_after=used,
                               session=session, stale_session=stale)
        except ClientError as exc:
            if ddb.is_condition_failure(exc):
                continue  # another start, end, heartbeat or sweep changed the period: re-read
            raise
        return {
            "sessionId": session["sessionId"],
            "startedAt": now,
            "provider": request.provider,
            "mode": request.mode,
            "topic": request.topic,
            "difficulty": request.difficulty,
            "closedSessionId": stale["sessionId"] if stale else None,
            "usage": usage_view(plan=plan, period=period, seconds_limit=limit, seconds_used=used,
                                active_session_id=session["sessionId"]),
        }
    raise Conflict("too many concurrent session starts; retry", code="start_contended")


# --------------------------------------------------------------------------- heartbeat
def _owned_session(store: MeteringStore, user: UserRef, session_id: str) -> dict:
    session = store.get_session(session_id)
    if not session or session.get("userId") != user.user_id:
        raise NotFound("session not found")
    return session


def heartbeat(store: MeteringStore, clock: Clock, user: UserRef, session_id: str) -> dict:
    now = clock.now_ms()
    row = store.touch_heartbeat(user.user_id, utc_month(now), session_id, now)
    if row is None:
        # Not the active session of this month: unknown, someone else's, ended, or
        # started last month (a session live across midnight UTC on the 1st).
        session = _owned_session(store, user, session_id)
        if session.get("status") != "active":
            raise Conflict("session is not active", {"endReason": session.get("endReason")},
                           code="session_not_active")
        row = store.touch_heartbeat(user.user_id, session["period"], session_id, now)
        if row is None:
            raise Conflict("session is not active", code="session_not_active")
    plan, limit, used = _period_totals(store.settings, row)
    session_seconds = _elapsed_seconds(row["activeStartedAt"], now)
    cap = int(row.get("activeRemainingAtStart", 0))
    return {
        "sessionSeconds": session_seconds,
        "usage": usage_view(plan=plan, period=row["period"], seconds_limit=limit,
                            seconds_used=used + min(session_seconds, cap), active_session_id=session_id),
        "limitReached": session_seconds >= cap,
    }


# --------------------------------------------------------------------------- switch
def switch_provider(store: MeteringStore, clock: Clock, user: UserRef, session_id: str, provider: str,
                    disconnect_code: int | None, disconnect_reason: str | None) -> dict:
    updated, refused = store.switch_provider(user_id=user.user_id, session_id=session_id, provider=provider,
                                             now=clock.now_ms(), disconnect_code=disconnect_code,
                                             disconnect_reason=disconnect_reason)
    if updated is None:
        if not refused or refused.get("userId") != user.user_id:
            raise NotFound("session not found")
        if refused.get("status") != "active":
            raise Conflict("session is not active", code="session_not_active")
        raise Conflict(f"session already uses {provider}", code="provider_unchanged")
    return {"sessionId": session_id, "provider": updated["provider"],
            "providerSwitchedAt": updated["providerSwitchedAt"], "switchCount": updated["switchCount"]}


# --------------------------------------------------------------------------- end
def _end_reason(disconnect_code: int | None, limit_hit: bool) -> str:
    if limit_hit:
        return "limit_reached"
    if close_codes.is_disconnect(disconnect_code):
        return "disconnect"
    return "user_ended"


def _end_answer(session: dict) -> dict:
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


def _content_fields(session: dict, request: EndSessionRequest, now: int) -> dict:
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


def end_session(store: MeteringStore, clock: Clock, user: UserRef,
                request: EndSessionRequest) -> tuple[dict, bool]:
    """Charge once, store the transcript once, answer the same on every repeat.

    Returns the answer and whether this call is the one that recorded the end (so that
    metrics count each session once, however often the client repeats).

    Transcript items use deterministic keys and are written before the state change, so
    a crash in between loses nothing and a retry rewrites the same items. The state
    change is conditional (active -> ended, content not yet stored): of racing ends and
    sweeps exactly one charges, and exactly one records the content.
    """
    session = _owned_session(store, user, request.sessionId)
    if session.get("contentStoredAt"):
        return _end_answer(session), False
    now = clock.now_ms()
    created_at = session.get("endedAt") or now
    messages = [{"sessionId": session["sessionId"], "seq": i, "userId": user.user_id, "role": m.role,
                 "text": m.text, "timestamp": m.timestamp} for i, m in enumerate(request.messages)]
    corrections = [new_correction_item(
        user_id=user.user_id, correction_id=session_correction_id(session["sessionId"], i),
        session_id=session["sessionId"], index=i, original=c.original, correction=c.correction,
        explanation=c.explanation, category=c.category, created_at=created_at)
        for i, c in enumerate(request.corrections)]
    store.store_content(messages, corrections)

    period_used = period_limit = None
    for _ in range(4):
        content = _content_fields(session, request, now)
        if session.get("status") == "active":
            if period_used is None:
                period_used, period_limit = session["usedAtStart"], session["limitAtStart"]
            elapsed = _elapsed_seconds(session["startedAt"], now)
            cap = int(session["remainingAtStart"])
            charge = min(elapsed, cap)
            ended = {
                "status": "ended",
                "endedAt": now,
                "endReason": _end_reason(request.disconnectCode, elapsed >= cap),
                "secondsUsed": charge,
                "endResult": {"totalSecondsUsed": period_used + charge, "secondsLimit": period_limit},
            }
        else:
            ended = {}
        try:
            store.commit_end(session=session, ended=ended, content=content, corrections=corrections,
                             charge_period=bool(ended), period_used=period_used or 0,
                             period_limit=period_limit or 0)
            return _end_answer({**session, **ended, **{k: v for k, v in content.items() if v is not None}}), True
        except ClientError as exc:
            if not ddb.is_condition_failure(exc):
                raise
        # Lost a race (a repeat, the sweeper, a newer start) or the allowance changed: re-read.
        session = _owned_session(store, user, request.sessionId)
        if session.get("contentStoredAt"):
            return _end_answer(session), False
        if session.get("status") == "active":
            row = store.get_period(user.user_id, session["period"])
            if row and row.get("activeSessionId") == session["sessionId"]:
                _, period_limit, period_used = _period_totals(store.settings, row)
    raise Conflict("session end is contended; retry", code="end_contended")


# --------------------------------------------------------------------------- sweep
def close_stale_sessions(store: MeteringStore, clock: Clock) -> list[str]:
    """Close sessions with no heartbeat for STALE_AFTER_SECONDS, charged to the last heartbeat."""
    settings = store.settings
    cutoff = clock.now_ms() - settings.stale_after_seconds * 1000
    closed = []
    for candidate in store.stale_candidates(cutoff):
        row = store.get_period(candidate["userId"], candidate["period"])
        if not row or not row.get("activeSessionId") or row.get("activeLastHeartbeatAt", cutoff) >= cutoff:
            continue  # ended or heartbeat arrived since the index was read
        _, limit, used = _period_totals(settings, row)
        closing = _stale_closing(row, limit, used)
        try:
            store.commit_close(user_id=candidate["userId"], period_row=row, closing=closing)
        except ClientError as exc:
            if ddb.is_condition_failure(exc):
                continue  # an end or a start got there first; it did the charging
            raise
        closed.append(closing["sessionId"])
    return closed


# --------------------------------------------------------------------------- allowance
def set_allowance(store: MeteringStore, clock: Clock, admin: UserRef, user_id: str,
                  seconds_limit: int, reason: str) -> dict:
    now = clock.now_ms()
    period = utc_month(now)
    audit = {
        "userId": user_id,
        "period": f"allowance#{period}#{now:015d}#{uuid.uuid4().hex[:8]}",
        "secondsLimit": seconds_limit,
        "reason": reason,
        "changedBy": admin.user_id,
        "changedByEmail": admin.email,
        "changedAt": now,
    }
    row = store.set_allowance(user_id=user_id, period=period, plan=store.settings.default_plan,
                              seconds_limit=seconds_limit, audit=audit)
    plan, limit, used = _period_totals(store.settings, row)
    return {
        "userId": user_id,
        "usage": usage_view(plan=plan, period=period, seconds_limit=limit, seconds_used=used,
                            active_session_id=row.get("activeSessionId")),
        "change": {k: audit[k] for k in ("secondsLimit", "reason", "changedBy", "changedAt")},
    }


def allowance_history(store: MeteringStore, user_id: str, period: str) -> list[dict]:
    return [{k: i.get(k) for k in ("secondsLimit", "reason", "changedBy", "changedAt")}
            for i in store.allowance_changes(user_id, period)]


__all__ = ["UserRef", "get_usage", "start_session", "heartbeat", "switch_provider", "end_session",
           "close_stale_sessions", "set_allowance", "allowance_history"]

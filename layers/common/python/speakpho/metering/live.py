"""A live session: heartbeats on the period's meter, and provider switches."""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho.clock import Clock, utc_month
from speakpho.config import Settings
from speakpho.errors import ConditionLost, Conflict, NotFound
from speakpho.metering.usage import UserRef, elapsed_seconds, period_totals
from speakpho.views import usage_view

if TYPE_CHECKING:
    from speakpho.metering_store import MeteringStore


def owned_session(store: MeteringStore, user: UserRef, session_id: str) -> dict:
    """The caller's session, read consistently; someone else's or none is not found."""
    session = store.get_session(session_id, consistent=True)
    if not session or session.get("userId") != user.user_id:
        raise NotFound("session not found")
    return session


def _touch(store: MeteringStore, user: UserRef, session_id: str, now: int) -> dict:
    """The period row after recording the heartbeat."""
    try:
        return store.touch_heartbeat(user.user_id, utc_month(now), session_id, now)
    except ConditionLost:
        pass
    # Not the active session of this month: unknown, someone else's, ended, or
    # started last month (a session live across midnight UTC on the 1st).
    session = owned_session(store, user, session_id)
    if session.get("status") != "active":
        raise Conflict("session is not active", {"endReason": session.get("endReason")},
                       code="session_not_active")
    try:
        return store.touch_heartbeat(user.user_id, session["period"], session_id, now)
    except ConditionLost:
        raise Conflict("session is not active", code="session_not_active") from None


def heartbeat(store: MeteringStore, settings: Settings, clock: Clock, user: UserRef, session_id: str) -> dict:
    now = clock.now_ms()
    row = _touch(store, user, session_id, now)
    plan, limit, used = period_totals(settings, row)
    session_seconds = elapsed_seconds(row["activeStartedAt"], now)
    cap = int(row.get("activeRemainingAtStart", 0))
    return {
        "sessionSeconds": session_seconds,
        "usage": usage_view(plan=plan, period=row["period"], seconds_limit=limit,
                            seconds_used=used + min(session_seconds, cap), active_session_id=session_id),
        "limitReached": session_seconds >= cap,
    }


def switch_provider(store: MeteringStore, clock: Clock, user: UserRef, session_id: str, provider: str,
                    disconnect_code: int | None, disconnect_reason: str | None) -> dict:
    try:
        updated = store.switch_provider(user_id=user.user_id, session_id=session_id, provider=provider,
                                        now=clock.now_ms(), disconnect_code=disconnect_code,
                                        disconnect_reason=disconnect_reason)
    except ConditionLost as lost:
        refused = lost.current or {}  # the session as it was when the switch was refused
        if refused.get("userId") != user.user_id:
            raise NotFound("session not found") from None
        if refused.get("status") != "active":
            raise Conflict("session is not active", code="session_not_active") from None
        raise Conflict(f"session already uses {provider}", code="provider_unchanged") from None
    return {"sessionId": session_id, "provider": updated["provider"],
            "providerSwitchedAt": updated["providerSwitchedAt"], "switchCount": updated["switchCount"]}

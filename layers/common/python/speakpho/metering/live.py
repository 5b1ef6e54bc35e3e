"""A live session: heartbeats on the period's meter, and provider switches."""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho import story
from speakpho.access.grant import openai_access
from speakpho.access.hangup import hang_up, hung_up_entry
from speakpho.access.lease import MAX_GRANTS_PER_SESSION, hangup_at, renewal_due
from speakpho.clock import Clock, utc_month
from speakpho.config import Settings
from speakpho.errors import AppError, ConditionLost, Conflict, NotFound, TooManyRequests
from speakpho.metering.grants import grant_gemini, renew_gemini
from speakpho.metering.usage import UserRef, elapsed_seconds, period_credit, period_totals, sweep_at
from speakpho.models import PROVIDERS
from speakpho.providers.catalog import require_key
from speakpho.views import usage_view

if TYPE_CHECKING:
    from speakpho.metering_store import MeteringStore
    from speakpho.providers.ports import ProviderPorts


def owned_session(store: MeteringStore, user: UserRef, session_id: str) -> dict:
    """The caller's session, read consistently; someone else's or none is not found."""
    session = store.get_session(session_id, consistent=True)
    if not session or session.get("userId") != user.user_id:
        raise NotFound("session not found")
    return session


SWITCH_ATTEMPTS = 3
# Switches a session may make (429 switch_limit beyond): a real session switches once or twice
# when a provider fails; each switch is a grant and a provider call, and one learner's repeated
# switches must not move the switch-rate alarm (docs/security.md).
MAX_SWITCHES_PER_SESSION = 10


def _touch(store: MeteringStore, settings: Settings, user: UserRef, session_id: str,
           now: int) -> tuple[dict, int | None]:
    """The period row after recording the heartbeat, and the heartbeat time it replaced."""
    deadline = sweep_at(settings, now)
    try:
        return store.touch_heartbeat(user.user_id, utc_month(now), session_id, now, deadline)
    except ConditionLost:
        pass
    # Not the active session of this month: unknown, someone else's, ended, or
    # started last month (a session live across midnight UTC on the 1st).
    session = owned_session(store, user, session_id)
    if session.get("status") != "active":
        raise Conflict("session is not active", {"endReason": session.get("endReason")},
                       code="session_not_active")
    try:
        return store.touch_heartbeat(user.user_id, session["period"], session_id, now, deadline)
    except ConditionLost:
        raise Conflict("session is not active", code="session_not_active") from None


def _record_gap(store: MeteringStore, user: UserRef, session_id: str, gap: dict) -> None:
    """Best effort: the heartbeat is recorded already and answers whatever happens here. A
    lost condition (the session ended meanwhile, or its story is full) records nothing."""
    try:
        store.append_to_live_story(user_id=user.user_id, session_id=session_id, entry=gap)
    except ConditionLost:
        pass


def heartbeat(store: MeteringStore, settings: Settings, clock: Clock, user: UserRef, session_id: str,
              ports: ProviderPorts) -> dict:
    """One UpdateItem on the period row; after a silence of more than twice the heartbeat
    interval (seen from the heartbeat time it replaced), one more to record the gap. On
    Gemini, once the token has less than RENEW_BEFORE_SECONDS left and minutes remain, the
    answer carries the next `providerAccess` (a read and a write more, about once a lease)."""
    now = clock.now_ms()
    row, previous = _touch(store, settings, user, session_id, now)
    gap = story.heartbeat_gap(previous, now, settings.heartbeat_interval_seconds)
    if gap:
        _record_gap(store, user, session_id, gap)
    plan, limit, used = period_totals(settings, row)
    session_seconds = elapsed_seconds(row["activeStartedAt"], now)
    cap = int(row.get("activeRemainingAtStart", 0))
    answer = {
        "sessionSeconds": session_seconds,
        "usage": usage_view(plan=plan, period=row["period"], seconds_limit=limit,
                            seconds_used=used + min(session_seconds, cap), active_session_id=session_id,
                            **period_credit(settings, row, limit)),
        "limitReached": session_seconds >= cap,
    }
    if (row.get("activeProvider") == "gemini" and session_seconds < cap
            and renewal_due(settings, row.get("activeAccessUntil"), now, cap - session_seconds)):
        renewed = renew_gemini(store, ports, settings, session_id, now)
        if renewed:
            answer["providerAccess"] = renewed
    return answer


def other_provider(provider: str) -> str:
    return next(p for p in PROVIDERS if p != provider)


def switch_provider(store: MeteringStore, settings: Settings, clock: Clock, user: UserRef, session_id: str,
                    provider: str, disconnect_code: int | None, disconnect_reason: str | None,
                    ports: ProviderPorts) -> dict:
    """One UpdateItem: the switch and its provider_switched story entry (recorded while the
    story has room; a full story costs one more request and records the switch alone); then
    the new provider's access (one transaction): a Gemini token, or the OpenAI call's terms
    (its call comes with POST /api/session/connect). A call on the provider left behind is
    hung up. 503 provider_unavailable, before anything is written, when `provider` has no key
    (a text session, which gets no provider access, switches all the same). 429 switch_limit,
    nothing written, after MAX_SWITCHES_PER_SESSION switches (the switch's own condition: no
    request more)."""
    if ports.keys.key(provider) is None and not _text_session(store, user, session_id):
        require_key(settings, ports.keys, provider)   # raises 503, naming those available
    now = clock.now_ms()
    from_provider = other_provider(provider)
    record_entry = True
    for _ in range(SWITCH_ATTEMPTS):
        entry = story.server_entry("provider_switched", now, **{
            "from": from_provider, "to": provider, "code": disconnect_code, "reason": disconnect_reason,
        }) if record_entry else None
        try:
            updated = store.switch_provider(user_id=user.user_id, session_id=session_id, provider=provider,
                                            from_provider=from_provider, now=now, disconnect_code=disconnect_code,
                                            disconnect_reason=disconnect_reason, story_entry=entry,
                                            max_switches=MAX_SWITCHES_PER_SESSION)
            break
        except ConditionLost as lost:
            refused = lost.current or {}  # the session as it was when the switch was refused
        if refused.get("userId") != user.user_id:
            raise NotFound("session not found") from None
        if refused.get("status") != "active":
            raise Conflict("session is not active", code="session_not_active") from None
        if refused.get("provider") == provider:
            raise Conflict(f"session already uses {provider}", code="provider_unchanged") from None
        if int(refused.get("switchCount") or 0) >= MAX_SWITCHES_PER_SESSION:
            raise TooManyRequests(f"a session switches provider at most {MAX_SWITCHES_PER_SESSION} times",
                                  {"limit": MAX_SWITCHES_PER_SESSION}, code="switch_limit") from None
        if int(refused.get("accessCount") or 0) >= MAX_GRANTS_PER_SESSION:
            raise TooManyRequests(f"a session gets provider access at most {MAX_GRANTS_PER_SESSION} times",
                                  {"limit": MAX_GRANTS_PER_SESSION}, code="access_limit") from None
        if refused.get("provider") != from_provider:
            from_provider = refused["provider"]
        elif len(refused.get("story") or ()) >= story.MAX_STORY_ENTRIES:
            record_entry = False
    else:
        raise Conflict("provider switch is contended; retry", code="switch_contended")
    answer = {"sessionId": session_id, "provider": updated["provider"],
              "providerSwitchedAt": updated["providerSwitchedAt"], "switchCount": updated["switchCount"]}
    try:
        answer["providerAccess"] = _access_after_switch(store, ports, settings, updated, now)
    except ConditionLost:
        # Ended, switched again or given access meanwhile: the switch stands; access again
        # through POST /api/session/access (Gemini) or /connect (OpenAI).
        raise Conflict("the session changed while switching; ask for access again", code="switch_contended",
                       retry_after=1) from None
    return answer


def _text_session(store: MeteringStore, user: UserRef, session_id: str) -> bool:
    session = store.get_session(session_id, consistent=True) or {}
    return session.get("userId") == user.user_id and session.get("channel") == "text"


def _access_after_switch(store: MeteringStore, ports: ProviderPorts, settings: Settings, session: dict,
                         now: int) -> dict | None:
    if session.get("channel") == "text":
        return None   # typed practice: no provider access to give
    call_id = session.get("callId")
    dropped = (hung_up_entry(call_id, "switch", now),) if call_id else ()
    if session["provider"] == "gemini":
        try:
            access = grant_gemini(store, ports, settings, session, now, extra_entries=dropped, drop_call=True)
        except AppError:
            # No token (502, 402, 503), but the switch is recorded: the call left behind is not wanted either.
            if call_id:
                _drop_call(store, ports, settings, session, call_id, dropped, now)
            raise
    else:
        store.record_access(user_id=session["userId"], period=session["period"], session_id=session["sessionId"],
                            provider="openai", now=now, sweep_at=sweep_at(settings, now), entries=list(dropped))
        access = openai_access(hangup_at(settings, session["startedAt"], session["remainingAtStart"]))
    if call_id:
        hang_up(ports, session_id=session["sessionId"], call_id=call_id, why="switch")
    return access


def _drop_call(store: MeteringStore, ports: ProviderPorts, settings: Settings, session: dict, call_id: str,
               dropped: tuple, now: int) -> None:
    """Records the call as hung up (best effort: a session that moved on meanwhile is closed by
    whoever moved it) and hangs it up."""
    try:
        store.record_access(user_id=session["userId"], period=session["period"], session_id=session["sessionId"],
                            provider=session["provider"], now=now, sweep_at=sweep_at(settings, now),
                            entries=list(dropped), call_id=None)
    except ConditionLost:
        pass
    hang_up(ports, session_id=session["sessionId"], call_id=call_id, why="switch")

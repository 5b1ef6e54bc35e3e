"""The routes of provider access inside a session: POST /api/session/access (a Gemini
reconnect or renewal), POST /api/session/connect (an OpenAI call placed by the server with
the browser's offer) and the hangup at the limit (the Scheduler's target)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho.access.hangup import hang_up, hung_up_entry
from speakpho.access.lease import MAX_GRANTS_PER_SESSION, hangup_at
from speakpho.access.grant import provider_failed
from speakpho.clock import Clock
from speakpho.coach import coach_profile, openai_session
from speakpho.config import Settings
from speakpho.errors import ConditionLost, Conflict, NotFound, TooManyRequests
from speakpho.idempotency import KeyedCall
from speakpho.metering.grants import grant_gemini, left_in_session
from speakpho.metering.live import owned_session
from speakpho.metering.usage import UserRef, sweep_at
from speakpho.providers.catalog import require_key
from speakpho.providers.ports import ProviderError
from speakpho import story

if TYPE_CHECKING:
    from speakpho.metering_store import MeteringStore
    from speakpho.providers.ports import ProviderPorts

ACCESS_ATTEMPTS = 2


def _usable(session: dict, provider: str) -> None:
    """409 unless the session is active and on `provider`; 429 at its grant limit."""
    if session.get("status") != "active":
        raise Conflict("session is not active", {"endReason": session.get("endReason")}, code="session_not_active")
    if session.get("channel") == "text":
        raise Conflict("a text session gets no provider access", {"channel": "text"}, code="wrong_transport")
    if session.get("provider") != provider:
        raise Conflict(f"this session is on {session.get('provider')}, which connects another way",
                       {"provider": session.get("provider")}, code="wrong_transport")
    if int(session.get("accessCount") or 0) >= MAX_GRANTS_PER_SESSION:
        raise TooManyRequests(f"a session gets provider access at most {MAX_GRANTS_PER_SESSION} times",
                              {"limit": MAX_GRANTS_PER_SESSION}, code="access_limit")


def grant_access(store: MeteringStore, ports: ProviderPorts, settings: Settings, clock: Clock, user: UserRef,
                 session_id: str) -> dict:
    """A new Gemini token for the caller's live Gemini session (a reconnect, or a renewal)."""
    for _ in range(ACCESS_ATTEMPTS):
        session = owned_session(store, user, session_id)
        _usable(session, "gemini")
        try:
            return {"sessionId": session_id,
                    "providerAccess": grant_gemini(store, ports, settings, session, clock.now_ms())}
        except ConditionLost:
            continue   # a switch, an end or another grant got there first: decide again on a fresh read
    raise Conflict("provider access is contended; retry", code="access_contended", retry_after=1)


def connect_call(store: MeteringStore, ports: ProviderPorts, settings: Settings, clock: Clock, user: UserRef,
                 session_id: str, sdp: str, *, once: KeyedCall | None = None) -> tuple[dict, bool]:
    """Places the OpenAI call for the browser's offer: (answer {provider, sdp, callId, expiresAt},
    whether it is a replay). The call is held by the server: its hangup is scheduled at the
    limit (plus the grace) before the call is recorded, so no recorded call lacks its backstop;
    a second connect replaces the first call, which is hung up."""
    key = require_key(settings, ports.keys, "openai")
    session, record = store.get_session_with_record(session_id, once.record_id if once else None)
    now = clock.now_ms()
    if once:
        replayed = once.replay(record, now)
        if replayed is not None and session and session.get("userId") == user.user_id:
            return replayed, True
    if not session or session.get("userId") != user.user_id:
        raise NotFound("session not found")
    _usable(session, "openai")
    left_in_session(session, now)
    profile = coach_profile(session["topic"], session["difficulty"], session["mode"])
    try:
        answer_sdp, call_id = ports.openai.create_call(key, sdp=sdp, session=openai_session(settings.openai_model,
                                                                                           profile))
    except ProviderError as error:
        raise provider_failed(error) from None
    until = hangup_at(settings, session["startedAt"], session["remainingAtStart"])
    previous = session.get("callId")
    try:
        ports.schedules.schedule(session_id=session_id, user_id=user.user_id, call_id=call_id, at_ms=until)
    except Exception:
        hang_up(ports, session_id=session_id, call_id=call_id, why="not_scheduled", cancel_schedule=False)
        raise
    answer = {"provider": "openai", "sdp": answer_sdp, "callId": call_id, "expiresAt": until}
    entries = ([hung_up_entry(previous, "replaced", now)] if previous else []) + [
        story.server_entry("call_connected", now, callId=call_id)]
    try:
        store.record_access(user_id=user.user_id, period=session["period"], session_id=session_id, provider="openai",
                            now=now, sweep_at=sweep_at(settings, now), entries=entries, access_until=until,
                            call_id=call_id,
                            expected_call_id=previous, key_record=once.record(answer, now) if once else None)
    except ConditionLost:
        # The session moved on meanwhile (ended, switched, or another connect): this call is not wanted.
        hang_up(ports, session_id=session_id, call_id=call_id, why="contended", cancel_schedule=False)
        raise Conflict("the session changed while connecting; retry", code="connect_contended", retry_after=1) from None
    if previous:
        hang_up(ports, session_id=session_id, call_id=previous, why="replaced", cancel_schedule=False)
    return answer, False


def hang_up_at_limit(store: MeteringStore, ports: ProviderPorts, clock: Clock, *, session_id: str,
                     call_id: str) -> list[str]:
    """The Scheduler's hangup at the limit: the scheduled call, and the session's own call if
    it is another (a connect replaced it after the schedule moved). Raises when a hangup fails,
    so that Scheduler retries it (then its dead-letter queue). Returns the calls hung up."""
    session = store.get_session(session_id, consistent=True) or {}
    calls = [call_id] + ([session["callId"]] if session.get("status") == "active" and session.get("callId")
                         and session["callId"] != call_id else [])
    for call in calls:
        if not hang_up(ports, session_id=session_id, call_id=call, why="limit", cancel_schedule=False):
            raise RuntimeError(f"hangup of a call of session {session_id} failed")
    if session.get("status") == "active" and session.get("callId"):
        # Recorded, and the call taken off the session and its live meter, so that no end or
        # sweep hangs it up (and records it) a second time.
        try:
            store.record_access(user_id=session["userId"], period=session["period"], session_id=session_id,
                                provider="openai", now=clock.now_ms(), sweep_at=None, call_id=None,
                                expected_call_id=session["callId"],
                                entries=[hung_up_entry(session["callId"], "limit", clock.now_ms())])
        except ConditionLost:
            pass   # ended, switched or reconnected meanwhile: the hangup is done all the same
    return calls

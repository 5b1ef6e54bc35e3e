"""Start: admit and reserve in one conditional transaction (with an Idempotency-Key, its record too)."""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Callable

from speakpho import story
from speakpho.access.grant import gemini_access, openai_access
from speakpho.access.hangup import hang_up
from speakpho.access.lease import hangup_at
from speakpho.clock import Clock, utc_day, utc_month
from speakpho.config import Settings
from speakpho.errors import ConditionLost, Conflict, Forbidden, LimitReached
from speakpho.idempotency import KeyedCall
from speakpho.metering import fold
from speakpho.metering.limits import StartTokens, admit_start
from speakpho.metering.usage import (UserRef, period_credit, period_credited, period_totals, stale_closing,
                                     sweep_at)
from speakpho.models import StartSessionRequest
from speakpho.providers.catalog import require_key
from speakpho.providers.ports import ProviderPorts
from speakpho.views import usage_view

if TYPE_CHECKING:
    from speakpho.metering_store import MeteringStore

START_ATTEMPTS = 6
CONTENDED_RETRY_AFTER_SECONDS = 1


def new_session(user: UserRef, request: StartSessionRequest, *, now: int, period: str, seq: int,
                remaining: int, used: int, limit: int, credited: int = 0) -> dict:
    """The session item a start creates; remainingAtStart/usedAtStart/limitAtStart fix its
    cap and its end answer; its story opens with `started` (speakpho.story). Only a verified
    email is stored (start refuses unverified callers anyway)."""
    return {
        "sessionId": str(uuid.uuid4()),
        "userId": user.user_id,
        "userEmail": user.email if user.email_verified else None,
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
        "creditedAtStart": credited,   # the period's credit so far: the end's credit budget (metering.end)
        "historyUser": user.user_id,
        "historySeq": seq,
        "story": [story.server_entry("started", now, provider=request.provider)],
        "eventCount": 0,
        "version": 1,
    }


def start_session(store: MeteringStore, settings: Settings, clock: Clock, user: UserRef,
                  request: StartSessionRequest, *, ports: ProviderPorts, once: KeyedCall | None = None) -> dict:
    """The start's answer (see start_or_replay)."""
    return start_or_replay(store, settings, clock, user, request, ports=ports, once=once)[0]


def _access(ports: ProviderPorts, settings: Settings, key: str, request: StartSessionRequest, now: int,
            remaining: int, minted: tuple | None) -> tuple[dict, list[dict], int | None, tuple | None]:
    """(providerAccess, story entries, the live meter's accessUntil, what was minted). A Gemini
    token minted by an earlier attempt is kept when it does not outlive this attempt's minutes."""
    if request.provider == "openai":
        return openai_access(hangup_at(settings, now, remaining)), [], None, minted
    if minted is None or minted[0]["expiresAt"] > now + (remaining + settings.lease_grace_seconds) * 1000:
        minted = gemini_access(ports, settings, key=key, session=request.model_dump(), now=now, left_seconds=remaining)
    access, entry = minted
    return access, [entry], access["expiresAt"], minted


def start_or_replay(store: MeteringStore, settings: Settings, clock: Clock, user: UserRef,
                    request: StartSessionRequest, *, ports: ProviderPorts,
                    once: KeyedCall | None = None,
                    admitted: Callable[[StartTokens], None] | None = None) -> tuple[dict, bool]:
    """Admit and reserve in one conditional transaction: (the answer, whether it is a replay).

    The transaction is conditioned on the period row's version (and the profile's session
    counter), so of many concurrent starts exactly one commits per version; the others
    re-read and try again, and see the session that won as the one to close.

    With `once` (an Idempotency-Key), the read also reads the key's record and the
    transaction puts it (speakpho.idempotency): a start whose record exists answers the
    recorded answer (a replay) and writes nothing. A transaction that loses to this key's own
    earlier call (its answer lost, or a duplicate sent meanwhile) re-reads like any loser and
    finds the record: whatever the cancellation reason, the re-read decides.

    Refused, writing nothing: a caller whose email is not verified (403 email_unverified,
    before any read), nothing left of the period (402), no token left in the learner's bucket of
    starts an hour or of sessions a day (429, speakpho.metering.limits). A replay is answered
    before any of the last two: it starts nothing.

    `admitted`, when given, is called with the learner's start buckets after a start that
    committed (not a replay): the session telemetry counts a learner once an hour from them.
    """
    if not user.email_verified:
        raise Forbidden("verify your email address before starting a session", code="email_unverified")
    voice = request.channel == "voice"
    key = require_key(settings, ports.keys, request.provider) if voice else None   # 503 before any read
    minted = None
    for _ in range(START_ATTEMPTS):
        now = clock.now_ms()
        period = utc_month(now)
        row, profile, record = store.get_start_reads(user.user_id, period, once.record_id if once else None)
        if once:
            replayed = once.replay(record, now)
            if replayed is not None:
                return replayed, True
        plan, limit, used = period_totals(settings, row)
        stale = None
        if row and row.get("activeSessionId"):
            stale = stale_closing(settings, row, limit, used, ended_by="superseded", now=now)
            used += stale["secondsUsed"]
        remaining = limit - used
        if remaining <= 0:
            raise LimitReached("no voice minutes left in this period",
                               {"usage": usage_view(plan=plan, period=period, seconds_limit=limit,
                                                    seconds_used=used, active_session_id=None,
                                                    **period_credit(settings, row, limit))})
        tokens = admit_start(settings, profile, now)
        access, entries, access_until, minted = (_access(ports, settings, key, request, now, remaining, minted)
                                                 if voice else (None, [], None, None))
        seq = int((profile or {}).get("sessionCount", 0)) + 1
        session = new_session(user, request, now=now, period=period, seq=seq, remaining=remaining,
                              used=used, limit=limit, credited=period_credited(row))
        session["story"] += entries
        session["channel"] = request.channel
        if access_until is not None:
            session.update(accessUntil=access_until, accessCount=1)
        answer = {
            "sessionId": session["sessionId"],
            "startedAt": now,
            "provider": request.provider,
            "mode": request.mode,
            "topic": request.topic,
            "difficulty": request.difficulty,
            "closedSessionId": stale["sessionId"] if stale else None,
            "providerAccess": access,
            "usage": usage_view(plan=plan, period=period, seconds_limit=limit, seconds_used=used,
                                active_session_id=session["sessionId"], **period_credit(settings, row, limit)),
            "heartbeatIntervalSeconds": settings.heartbeat_interval_seconds,
        }
        if stale:   # only a start that will commit reads the closed session's batches
            stale = fold.fold_into_closing(store, stale, row)
        try:
            store.commit_start(user_id=user.user_id, period=period, period_row=row, profile=profile,
                               plan=plan, seconds_limit=limit, seconds_used_after=used,
                               session=session, stale_session=stale, start_limits=tokens.profile_fields(),
                               sweep_at=sweep_at(settings, now), access_until=access_until,
                               key_record=once.record(answer, now) if once else None)
        except ConditionLost:
            continue  # another start (maybe this key's own), end, heartbeat or sweep changed things: re-read
        if stale:   # batches written while this start committed go on the closed session's item
            fold.fold_stragglers(store, user_id=user.user_id, session_id=stale["sessionId"],
                                 folded=stale["foldedIds"], now=now)
        if stale and stale.get("callId"):
            hang_up(ports, session_id=stale["sessionId"], call_id=stale["callId"], why="superseded")
        if admitted:
            admitted(tokens)
        return answer, False
    raise Conflict("too many concurrent session starts; retry", code="start_contended",
                   retry_after=CONTENDED_RETRY_AFTER_SECONDS)

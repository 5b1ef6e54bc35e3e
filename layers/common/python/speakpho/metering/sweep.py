"""The stale sweeper: closes sessions whose heartbeats stopped."""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho.access.hangup import hang_up
from speakpho.clock import Clock
from speakpho.config import Settings
from speakpho.errors import ConditionLost
from speakpho.metering import fold
from speakpho.metering.usage import period_totals, stale_closing

if TYPE_CHECKING:
    from speakpho.metering_store import MeteringStore
    from speakpho.providers.ports import ProviderPorts


def close_stale_sessions(store: MeteringStore, settings: Settings, clock: Clock, ports: ProviderPorts) -> list[str]:
    """Close sessions with no sign of life for STALE_AFTER_SECONDS, charged as
    speakpho.metering.usage.charged_until says (endReason timeout, endedBy client_vanished, a
    timed_out story entry, the session's batched events folded in: speakpho.metering.fold), and hang up the OpenAI call each still held.
    The candidates are the live meters whose sweep deadline has passed (activeSweepAt <= now,
    speakpho.metering.usage.sweep_at): silent for at least the stale window by construction,
    so a session is closed between STALE_AFTER_SECONDS and that + SWEEP_BUCKET_SECONDS (+ the
    sweep interval) after its last sign of life. Each row is re-read and closed only if it is
    still silent past the stale window. Returns the ids of the sessions this run closed."""
    now = clock.now_ms()
    cutoff = now - settings.stale_after_seconds * 1000
    closed = []
    for candidate in store.stale_candidates(now, cutoff):
        row = store.get_period(candidate["userId"], candidate["period"])
        if not row or not row.get("activeSessionId") or row.get("activeLastHeartbeatAt", cutoff) >= cutoff:
            continue  # ended or a sign of life arrived since the index was read
        _, limit, used = period_totals(settings, row)
        closing = fold.fold_into_closing(
            store, stale_closing(settings, row, limit, used, ended_by="client_vanished", now=now), row)
        try:
            store.commit_close(user_id=candidate["userId"], period_row=row, closing=closing)
        except ConditionLost:
            continue  # an end or a start got there first; it did the charging
        fold.fold_stragglers(store, user_id=candidate["userId"], session_id=closing["sessionId"],
                             folded=closing["foldedIds"], now=now)
        closed.append(closing["sessionId"])
        if closing.get("callId"):
            hang_up(ports, session_id=closing["sessionId"], call_id=closing["callId"], why="client_vanished")
    return closed

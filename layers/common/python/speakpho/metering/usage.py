"""The period's totals and what a live session counts: the arithmetic every transition shares,
and GET /api/usage.

Pure functions of plain data (a period row, the settings), so they are tested table-driven
(tests/session/test_metering_rules.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from speakpho import story
from speakpho.clock import Clock, utc_month
from speakpho.config import Settings
from speakpho.views import usage_view

if TYPE_CHECKING:
    from speakpho.metering_store import MeteringStore


@dataclass(frozen=True)
class UserRef:
    user_id: str
    email: str | None = None
    # The token's email_verified claim; a missing claim counts as not verified. Start refuses
    # an unverified caller (403 email_unverified), and only a verified email is ever stored.
    email_verified: bool = False


def plan_seconds(settings: Settings, plan: str) -> int:
    """A plan's monthly allowance in seconds (an unknown plan gets the default plan's)."""
    return int(settings.plan_minutes.get(plan, settings.plan_minutes.get(settings.default_plan, 0))) * 60


def period_totals(settings: Settings, row: dict | None) -> tuple[str, int, int]:
    """(plan, secondsLimit, secondsUsed) of a period row; no row is a fresh default period.
    An explicit secondsLimit (set by an admin) wins over the plan's allowance."""
    plan = (row or {}).get("plan") or settings.default_plan
    limit = (row or {}).get("secondsLimit")
    if limit is None:
        limit = plan_seconds(settings, plan)
    return plan, int(limit), int((row or {}).get("secondsUsed", 0))


def credit_budget_seconds(settings: Settings, seconds_limit: int) -> int:
    """The most a period may credit for outages: CREDIT_BUDGET_PERCENT of its limit (10 % of
    the free plan's 30 minutes: 180 s), whatever the sessions' own caps would allow."""
    return max(0, int(seconds_limit)) * settings.credit_budget_percent // 100


def credit_left(settings: Settings, seconds_limit: int, credited_seconds: int) -> int:
    """What the period may still credit: its budget less what it credited already."""
    return max(0, credit_budget_seconds(settings, seconds_limit) - int(credited_seconds))


def period_credited(row: dict | None) -> int:
    """The seconds a period row says were credited in it (each end adds its session's)."""
    return int((row or {}).get("creditedSeconds") or 0)


def period_credit(settings: Settings, row: dict | None, seconds_limit: int) -> dict:
    """usage_view's credit arguments for a period row."""
    return {"credited_seconds": period_credited(row),
            "credit_budget_seconds": credit_budget_seconds(settings, seconds_limit)}


def elapsed_seconds(start_ms: int, end_ms: int) -> int:
    """Whole seconds from start to end; never negative (a clock going back counts nothing)."""
    return max(0, (end_ms - start_ms) // 1000)


def sweep_at(settings: Settings, last_sign_of_life: int) -> int:
    """The live meter's `activeSweepAt` (epoch ms), the sort key of the sweeper's index: the end
    of the stale window after the last sign of life, rounded up to the sweep bucket,
    ceil((t + STALE_AFTER_SECONDS) / SWEEP_BUCKET_SECONDS) * SWEEP_BUCKET_SECONDS. Every sign of
    life (start, heartbeat, a grant the client asked for) writes it with `activeLastHeartbeatAt`
    in the same request; within one bucket the value does not change, so DynamoDB writes no
    index entry (most heartbeats cost 1 write unit, the one that crosses into the next bucket
    3: docs/metering.md "Heartbeats and the sweeper"). A meter whose sweepAt has passed has had
    no sign of life for at least the stale window; the sweeper closes it at most a bucket (and
    a sweep interval) later."""
    due = int(last_sign_of_life) + settings.stale_after_seconds * 1000
    bucket = settings.sweep_bucket_seconds * 1000
    return -(-due // bucket) * bucket


def heartbeat_charge(row: dict) -> int:
    """What the period's live session has used by its last heartbeat, capped at what remained
    at its start: charged however the session ends."""
    return min(elapsed_seconds(row["activeStartedAt"], row["activeLastHeartbeatAt"]),
               int(row.get("activeRemainingAtStart", 0)))


# The story entry of each server-side close (speakpho.story).
CLOSE_ENTRY_TYPE = {"client_vanished": "timed_out", "superseded": "superseded"}


def charged_until(settings: Settings, row: dict, now: int) -> int:
    """Up to when a session closed without an end (swept, or superseded by a newer start) is
    charged (docs/metering.md "Sessions closed without an end"). The learner's first
    VANISHED_FAIR_SESSIONS such sessions in a period: its last sign of life (a heartbeat, or
    a grant of provider access, which also moves it). Later ones: until the provider access it
    held runs out: an OpenAI call is hung up now by whoever closes it; a Gemini token cannot be
    revoked and works until its expiry, even one later than now. So a client that follows none
    of the protocol gains at most those few leases a month."""
    last = int(row["activeLastHeartbeatAt"])
    if int(row.get("vanishedSessions") or 0) < settings.vanished_fair_sessions:
        return last
    held_until = now if row.get("activeProvider") == "openai" else int(row.get("activeAccessUntil") or last)
    return max(last, held_until)


def stale_closing(settings: Settings, row: dict, plan_limit: int, used_before: int, *, ended_by: str,
                  now: int) -> dict:
    """The end fields of the period's active session when the sweeper (ended_by
    client_vanished) or a newer start (superseded) closes it at `now`: charged up to
    `charged_until`, with no credit. Its timeline is incomplete (the client never sent the
    end with its last events), so an outage could not be told from the client vanishing.
    A live OpenAI call is hung up by whoever commits this (`callId`)."""
    until = charged_until(settings, row, now)
    charge = min(elapsed_seconds(row["activeStartedAt"], until), int(row.get("activeRemainingAtStart", 0)))
    reason = story.end_reason(ended_by)
    entries = [story.server_entry(CLOSE_ENTRY_TYPE[ended_by], now, endReason=reason, endedBy=ended_by)]
    call_id = row.get("activeCallId")
    if call_id:
        entries.append(story.server_entry("call_hung_up", now, callId=call_id, why=ended_by))
    return {
        "sessionId": row["activeSessionId"],
        "endReason": reason,
        "endedBy": ended_by,
        "endedAt": min(until, max(now, int(row["activeLastHeartbeatAt"]))),
        # When it was closed: the late end's events count from here (speakpho.metering.events),
        # as the close may come minutes after `endedAt` (docs/metering.md "Heartbeats and the sweeper").
        "closedAt": now,
        "secondsUsed": charge,
        "creditedSeconds": 0,
        "endResult": {"totalSecondsUsed": used_before + charge, "secondsLimit": plan_limit},
        "storyEntries": entries,
        "callId": call_id,
    }


def get_usage(store: MeteringStore, settings: Settings, clock: Clock, user: UserRef) -> dict:
    """The period's totals. A live session counts up to its last heartbeat, as the heartbeat
    answer does: that much is charged however the session ends, so the figure never goes back."""
    period = utc_month(clock.now_ms())
    row = store.get_period(user.user_id, period)
    plan, limit, used = period_totals(settings, row)
    if row and row.get("activeSessionId"):
        used += heartbeat_charge(row)
    return usage_view(plan=plan, period=period, seconds_limit=limit, seconds_used=used,
                      active_session_id=(row or {}).get("activeSessionId"), **period_credit(settings, row, limit))

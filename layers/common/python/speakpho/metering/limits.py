"""Per-learner start limits: starts per UTC clock hour and sessions stored per UTC day.

Every start stores a session, so both count starts; they differ in their window. The counts
live on the learner's profile row, which every start already reads (MeteringStore.get_start_reads)
and updates in its transaction on the condition that the session counter is as read
(MeteringStore.commit_start): the limits add no request, and of concurrent starts only one can
take a count, the others re-read it. A window is fixed, not sliding: the hour is the UTC clock
hour, the day the UTC day; a new window starts again from zero.

Pure functions of plain data (the profile row, the settings, the time): tested table-driven
(tests/session/test_start_limits.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from speakpho.config import Settings
from speakpho.errors import TooManyRequests

HOUR_MS = 3_600_000
DAY_MS = 86_400_000


@dataclass(frozen=True)
class StartCounts:
    """The learner's starts in the current windows: `hour` is the UTC hour number (epoch ms //
    HOUR_MS) and `day` the UTC day number (epoch ms // DAY_MS) they count in."""
    hour: int
    in_hour: int
    day: int
    in_day: int

    def profile_fields(self) -> dict[str, int]:
        """The profile row's attributes holding these counts."""
        return {"startsHour": self.hour, "startsInHour": self.in_hour,
                "startsDay": self.day, "startsInDay": self.in_day}


def window_count(stored_window: object, stored_count: object, window: int) -> int:
    """What the stored count says about `window`: the count when it was kept for that window,
    0 for any other window (an older one, or none yet)."""
    if stored_window is None or int(stored_window) != window:
        return 0
    return int(stored_count or 0)


def counts_so_far(profile: dict | None, now_ms: int) -> StartCounts:
    """The starts already made in the windows `now_ms` falls in."""
    row = profile or {}
    hour, day = now_ms // HOUR_MS, now_ms // DAY_MS
    return StartCounts(hour=hour, in_hour=window_count(row.get("startsHour"), row.get("startsInHour"), hour),
                       day=day, in_day=window_count(row.get("startsDay"), row.get("startsInDay"), day))


def seconds_until(boundary_ms: int, now_ms: int) -> int:
    """Whole seconds from now until the boundary, rounded up and at least 1 (Retry-After)."""
    return max(1, -(-(boundary_ms - now_ms) // 1000))


def admit_start(settings: Settings, profile: dict | None, now_ms: int) -> StartCounts:
    """The counts after this start, or TooManyRequests (429, Retry-After until the window that
    refuses ends). The day's limit answers first: waiting for the next hour would not help."""
    counts = counts_so_far(profile, now_ms)
    if counts.in_day >= settings.sessions_per_day:
        raise _refusal("daily_session_limit", f"at most {settings.sessions_per_day} sessions a day (UTC)",
                       settings.sessions_per_day, "day", (counts.day + 1) * DAY_MS, now_ms)
    if counts.in_hour >= settings.starts_per_hour:
        raise _refusal("start_rate_limited", f"at most {settings.starts_per_hour} session starts an hour",
                       settings.starts_per_hour, "hour", (counts.hour + 1) * HOUR_MS, now_ms)
    return StartCounts(hour=counts.hour, in_hour=counts.in_hour + 1, day=counts.day, in_day=counts.in_day + 1)


def _refusal(code: str, message: str, limit: int, window: str, resets_at: int, now_ms: int) -> TooManyRequests:
    return TooManyRequests(f"{message}; try again later", {"limit": limit, "window": window, "resetsAt": resets_at},
                           code=code, retry_after=seconds_until(resets_at, now_ms))

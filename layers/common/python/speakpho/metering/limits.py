"""Per-learner start limits: token buckets of session starts per hour and sessions per day.

Every start stores a session, so both limits count starts; they differ in their rate. Each is a
token bucket: it holds at most `limit` tokens (STARTS_PER_HOUR, SESSIONS_PER_DAY), refills
continuously at `limit` tokens per window (an hour, a day), and a start takes a token from
each; a start that finds less than a whole token in either is refused (429), with `resetsAt`
and Retry-After at the time both buckets hold a token again.

Why a token bucket. The fixed windows it replaced (the UTC clock hour, the UTC day) started
again from zero at each turn: 20 starts at 12:59 and 20 more at 13:00, 40 in two minutes. A
token bucket admits at most `limit + elapsed × limit / window` starts in any interval (it
holds at most `limit` when the interval begins, and refills no faster than the rate), wherever
the interval falls: 20 and a few in a few minutes, never 40; over long times `limit` a window
(over one whole window, still up to 2 × limit: the full bucket, then its refill). An exact
sliding window (at most `limit` in any window) would need the times of the last `limit`
starts, 50 numbers on the profile row that every start rewrites (transactional writes are
billed per KB); the sliding-window approximations (this window's count plus a weighted share
of the last one's) keep two counters but bound nothing exactly. A bucket is two integers.

Stored on the learner's profile row, which every start already reads (MeteringStore.
get_start_reads) and updates in its transaction on the condition that the session counter is
as read (MeteringStore.commit_start): no request is added, and of concurrent starts only one
can take a token, the others re-read. `startTokensHour` and `startTokensDay` are milli-tokens
(integers: no float is stored) as of `startTokensAt`, the epoch ms of the learner's latest
start. The refill is rounded down (less than a milli-token lost a start: never faster than the
rate), and counted from the latest time seen: `startTokensAt` never moves back, so a clock
that goes back refills nothing twice.

A row written under the fixed windows (startsHour/startsInHour, startsDay/startsInDay, no
startTokensAt) is read as the bucket those counts leave: `limit - count` tokens, refilling from
the end of the counted window (a count of the current window waits for its end, as it did), so
the change hands out no new burst and the first resetsAt is right. The start that takes a token
writes the buckets as of its time and removes the old counters.

Pure functions of plain data (the profile row, the settings, the time): tested table-driven
(tests/session/test_start_limits.py, tests/session/test_start_buckets.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from speakpho.config import Settings
from speakpho.errors import TooManyRequests

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
MILLI = 1000                       # milli-tokens in a token
AT = "startTokensAt"               # the profile row's time of the buckets (epoch ms)
LEGACY_FIELDS = ("startsHour", "startsInHour", "startsDay", "startsInDay")   # the fixed windows' counters


@dataclass(frozen=True)
class Bucket:
    """One limit: at most `limit` tokens, refilled at `limit` per `window_ms`; its tokens in
    the profile row's `field`, and the fixed window it replaced in `legacy` (window, count)."""
    code: str
    window: str
    window_ms: int
    limit: int
    message: str
    field: str
    legacy: tuple[str, str]

    @property
    def capacity(self) -> int:
        return self.limit * MILLI

    def refilled(self, level: int, at: int, now: int) -> int:
        """Milli-tokens at `now` of a bucket holding `level` at `at` (none refilled before `at`)."""
        return min(self.capacity, level + max(0, now - at) * self.limit * MILLI // self.window_ms)

    def next_token_at(self, level: int, at: int) -> int | None:
        """When a bucket holding `level` at `at` next holds a whole token (the first ms at which
        `refilled` reaches MILLI); None when it holds one already."""
        missing = MILLI - level
        if missing <= 0:
            return None
        return at - (-missing * self.window_ms // (self.limit * MILLI))

    def state(self, row: dict, now: int) -> tuple[int, int]:
        """(milli-tokens, the epoch ms from which they refill) as the profile row keeps them."""
        if row.get(AT) is not None:
            return int(row.get(self.field, self.capacity)), int(row[AT])
        window, count = row.get(self.legacy[0]), row.get(self.legacy[1])
        if window is None:                           # a new learner, or a row from before any limit
            return self.capacity, now
        return max(0, self.limit - int(count or 0)) * MILLI, (int(window) + 1) * self.window_ms


def buckets(settings: Settings) -> tuple[Bucket, Bucket]:
    """The day's bucket, then the hour's: when both wait equally long, the day answers."""
    day, hour = settings.sessions_per_day, settings.starts_per_hour
    return (Bucket("daily_session_limit", "day", DAY_MS, day, f"at most {day} sessions a day",
                   "startTokensDay", ("startsDay", "startsInDay")),
            Bucket("start_rate_limited", "hour", HOUR_MS, hour, f"at most {hour} session starts an hour",
                   "startTokensHour", ("startsHour", "startsInHour")))


@dataclass(frozen=True)
class StartTokens:
    """The learner's buckets after a start: milli-tokens left in the day's and the hour's, as
    of `at` (epoch ms); `first_of_hour` when that start was the learner's first in its UTC hour
    (the session telemetry counts a learner once an hour from it)."""
    at: int
    day: int
    hour: int
    first_of_hour: bool = False

    def profile_fields(self) -> dict[str, int | None]:
        """The profile row's attributes to set (None: to remove, the fixed windows' counters)."""
        return {AT: self.at, "startTokensDay": self.day, "startTokensHour": self.hour,
                **dict.fromkeys(LEGACY_FIELDS)}


def previous_start_hour(row: dict) -> int | None:
    """The UTC hour number (epoch ms // HOUR_MS) of the learner's latest start, if known."""
    if row.get(AT) is not None:
        return int(row[AT]) // HOUR_MS
    return None if row.get("startsHour") is None else int(row["startsHour"])


def seconds_until(boundary_ms: int, now_ms: int) -> int:
    """Whole seconds from now until the boundary, rounded up and at least 1 (Retry-After)."""
    return max(1, -(-(boundary_ms - now_ms) // 1000))


def admit_start(settings: Settings, profile: dict | None, now_ms: int) -> StartTokens:
    """The buckets after this start, or TooManyRequests (429) from the bucket that waits the
    longest for a token (the other has one by then): resetsAt and Retry-After at that time."""
    row = profile or {}
    states = [(bucket, *bucket.state(row, now_ms)) for bucket in buckets(settings)]
    refusing: tuple[Bucket, int] | None = None
    for bucket, level, at in states:
        ready = bucket.next_token_at(level, at)
        if ready is not None and ready > now_ms and (refusing is None or ready > refusing[1]):
            refusing = (bucket, ready)
    if refusing:
        bucket, ready = refusing
        raise TooManyRequests(f"{bucket.message}; try again later",
                              {"limit": bucket.limit, "window": bucket.window, "resetsAt": ready},
                              code=bucket.code, retry_after=seconds_until(ready, now_ms))
    day, hour = (bucket.refilled(level, at, now_ms) - MILLI for bucket, level, at in states)
    before = previous_start_hour(row)
    return StartTokens(at=max(now_ms, int(row.get(AT) or 0)), day=day, hour=hour,
                       first_of_hour=before is None or now_ms // HOUR_MS > before)

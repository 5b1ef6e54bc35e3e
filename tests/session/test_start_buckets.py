"""The start limits' burst bound (speakpho.metering.limits, issue 22 §3): whatever the sequence of
starts, no interval admits more than `limit + elapsed × limit / window` of them, for the hour's
and the day's limit; in particular never 2 × limit in the minutes around the turn of an hour or
a day, which the fixed windows did (run on the fixed windows, the burst rows fail). Each row
plays a sequence of attempts against admit_start on one profile row, as the start's transaction
writes it, and checks every interval between two admitted starts."""
from __future__ import annotations

import random

import pytest

from apitest import T0
from speakpho.config import Settings
from speakpho.errors import TooManyRequests
from speakpho.metering.limits import DAY_MS, HOUR_MS, MILLI, admit_start, buckets

MINUTE, SECOND = 60_000, 1000
NOON = T0 - T0 % DAY_MS + DAY_MS // 2                       # 12:00 UTC (T0 is on it)
SETTINGS = Settings(starts_per_hour=20, sessions_per_day=50)
ODD = Settings(starts_per_hour=7, sessions_per_day=11)      # rates of no whole ms per token


def play(settings: Settings, attempts, admit=admit_start) -> list[int]:
    """The times of the admitted starts among `attempts` (epoch ms, in order, or a callable
    giving the next attempt from the last answer: see greedy), the profile row updated as
    commit_start updates it (None removes an attribute)."""
    row: dict = {}
    admitted: list[int] = []
    for now in attempts(row, admitted) if callable(attempts) else attempts:
        try:
            fields = admit(settings, row, now).profile_fields()
        except TooManyRequests:
            continue
        row.update(fields)
        for name in [n for n, v in row.items() if v is None]:
            del row[name]
        admitted.append(now)
    return admitted


def greedy(start: int, end: int, settings: Settings):
    """A client that starts again at once after each start, and at resetsAt after each refusal."""
    def attempts(row, admitted):
        now = start
        while now < end:
            before = len(admitted)
            yield now
            if len(admitted) == before:                     # refused: when does it take a token?
                try:
                    admit_start(settings, row, now)
                except TooManyRequests as refused:
                    now = refused.details["resetsAt"]
    return attempts


def burst(at: int, count: int, step: int = SECOND) -> list[int]:
    return [at + i * step for i in range(count)]


def excess(settings: Settings, admitted: list[int]) -> list[tuple]:
    """The intervals [t_i, t_j] holding more starts than limit + (t_j - t_i) × limit / window,
    for either bucket (integers: (n - limit) × window > elapsed × limit)."""
    found = []
    for bucket in buckets(settings):
        for i, first in enumerate(admitted):
            for j in range(i + bucket.limit, len(admitted)):       # fewer than limit + 1 never exceed
                if (j - i + 1 - bucket.limit) * bucket.window_ms > (admitted[j] - first) * bucket.limit:
                    found.append((bucket.window, first, admitted[j], j - i + 1))
    return found


def _seeded(seed: int, count: int, span: int) -> list[int]:
    """Clustered random attempts: bursts of up to 30 at random times in `span` ms from 11:30."""
    rng = random.Random(seed)
    times: list[int] = []
    while len(times) < count:
        at = NOON - 30 * MINUTE + rng.randrange(span)
        times += burst(at, rng.randint(1, 30), rng.choice((1, 250, SECOND, 10 * SECOND)))
    return sorted(times)


CASES = [
    ("20 before and 20 after the hour turns", SETTINGS,
     burst(NOON + HOUR_MS - MINUTE, 30) + burst(NOON + HOUR_MS, 30)),
    ("5 before and 5 after midnight (UTC)", Settings(starts_per_hour=100, sessions_per_day=5),
     burst(NOON + DAY_MS // 2 - MINUTE, 10) + burst(NOON + DAY_MS // 2, 10)),
    ("the same ms, 100 times", SETTINGS, [NOON] * 100),
    ("a start a second for 3 hours", SETTINGS, burst(NOON - 30 * MINUTE, 3 * 3600)),
    ("a start every 179 s for 2 days", SETTINGS, burst(NOON, 2 * 86_400 // 179, 179 * SECOND)),
    ("greedy for 3 days", SETTINGS, greedy(NOON - 10 * MINUTE, NOON + 3 * DAY_MS, SETTINGS)),
    ("greedy, odd rates", ODD, greedy(NOON, NOON + 2 * DAY_MS, ODD)),
    ("clustered at random (seed 1)", SETTINGS, _seeded(1, 3000, 2 * DAY_MS)),
    ("clustered at random (seed 2), odd rates", ODD, _seeded(2, 3000, DAY_MS)),
]


@pytest.mark.parametrize("settings, attempts", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_no_interval_admits_more_than_the_limit_and_its_refill(settings, attempts):
    admitted = play(settings, attempts)
    assert len(admitted) >= min(settings.starts_per_hour, settings.sessions_per_day)   # the burst is there
    assert excess(settings, admitted) == []


@pytest.mark.parametrize("settings, start, count", [
    (SETTINGS, NOON + HOUR_MS - MINUTE, 20),                 # 12:59 and 13:00: 20, not 40
    (Settings(starts_per_hour=100, sessions_per_day=5), NOON + DAY_MS // 2 - MINUTE, 5),   # 23:59 and 00:00
])
def test_the_turn_of_a_window_hands_out_no_second_burst(settings, start, count):
    admitted = play(settings, burst(start, 60) + burst(start + MINUTE, 60))
    assert len(admitted) == count


@pytest.mark.parametrize("settings, hours, expected", [
    (Settings(starts_per_hour=20, sessions_per_day=10_000), 1, 39),    # 20, then one each 3 min until 12:57
    (Settings(starts_per_hour=20, sessions_per_day=10_000), 5, 119),
    (SETTINGS, 24, 99),                                                # the day's 50, then one each 28.8 min
    (ODD, 24, 21),                                                     # 11 + 10 of 11 refilled in 24 h - 1 ms
])
def test_a_client_waiting_for_resets_at_gets_the_whole_rate(settings, hours, expected):
    """Not stricter than promised: retrying at resetsAt gets the burst and then every token
    (fewer than one lost to rounding over the whole run)."""
    assert len(play(settings, greedy(NOON, NOON + hours * HOUR_MS, settings))) == expected


@pytest.mark.parametrize("limit, window, level, at", [
    (20, HOUR_MS, 0, T0), (20, HOUR_MS, 999, T0), (7, HOUR_MS, 1, T0), (50, DAY_MS, 333, T0 + 17),
    (11, DAY_MS, 0, T0), (1, DAY_MS, 500, T0),
])
def test_the_next_token_is_the_first_ms_holding_one(limit, window, level, at):
    bucket = next(b for b in buckets(Settings(starts_per_hour=limit, sessions_per_day=limit))
                  if b.window_ms == window)
    ready = bucket.next_token_at(level, at)
    assert bucket.refilled(level, at, ready - 1) < MILLI <= bucket.refilled(level, at, ready)
    assert bucket.next_token_at(MILLI, at) is None

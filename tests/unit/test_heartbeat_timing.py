"""The live meter's timing (docs/metering.md "Heartbeats and the sweeper"): the windows derived
from the heartbeat interval (speakpho.config Settings.derive_timing) and the sweep deadline of a
sign of life (speakpho.metering.usage.sweep_at), table by table."""
from __future__ import annotations

import pytest

from speakpho.config import Settings, get_settings
from speakpho.metering.usage import sweep_at

NOW = 1_794_312_000_000   # on a 300 s boundary (tests/apitest.py T0)


@pytest.mark.parametrize("given, interval, stale, bucket, renew", [
    ({}, 60, 180, 300, 180),                                         # the defaults
    ({"heartbeat_interval_seconds": 30}, 30, 90, 150, 90),          # all three follow the interval
    ({"heartbeat_interval_seconds": 90}, 90, 270, 450, 270),
    ({"stale_after_seconds": 1}, 60, 1, 300, 180),                  # an explicit value wins (tests/faults)
    ({"stale_after_seconds": 1, "sweep_bucket_seconds": 1}, 60, 1, 1, 180),
    ({"heartbeat_interval_seconds": 30, "sweep_bucket_seconds": 600}, 30, 90, 600, 90),
    ({"renew_before_seconds": 120}, 60, 180, 300, 120),
    ({"heartbeat_interval_seconds": "45", "stale_after_seconds": "200"}, 45, 200, 225, 135),  # as from env
])
def test_windows_derive_from_the_heartbeat_interval_unless_given(given, interval, stale, bucket, renew):
    settings = Settings(**given)
    assert (settings.heartbeat_interval_seconds, settings.stale_after_seconds, settings.sweep_bucket_seconds,
            settings.renew_before_seconds) == (interval, stale, bucket, renew)


@pytest.mark.parametrize("field, value", [
    ("heartbeat_interval_seconds", 0), ("stale_after_seconds", 0), ("sweep_bucket_seconds", 0),
    ("renew_before_seconds", 5),
])
def test_a_window_out_of_range_is_refused(field, value):
    with pytest.raises(ValueError):
        Settings(**{field: value})


def test_the_environment_sets_them(settings_env):
    settings_env(HEARTBEAT_INTERVAL_SECONDS=20, STALE_AFTER_SECONDS=1)
    settings = get_settings()
    assert (settings.heartbeat_interval_seconds, settings.stale_after_seconds, settings.sweep_bucket_seconds) == \
        (20, 1, 100)
    settings_env(SWEEP_BUCKET_SECONDS=7)
    assert get_settings().sweep_bucket_seconds == 7


DEFAULTS = Settings()   # stale 180 s, bucket 300 s


@pytest.mark.parametrize("settings, last, deadline", [
    (DEFAULTS, NOW, NOW + 300_000),                    # 180 s rounded up to the bucket
    (DEFAULTS, NOW + 60_000, NOW + 300_000),           # the next 4 heartbeats: the same deadline
    (DEFAULTS, NOW + 120_000, NOW + 300_000),          # stale window ends exactly on the bucket
    (DEFAULTS, NOW + 120_001, NOW + 600_000),          # a millisecond later: the next bucket
    (DEFAULTS, NOW + 180_000, NOW + 600_000),
    (DEFAULTS, NOW + 419_999, NOW + 600_000),
    (DEFAULTS, NOW + 420_000, NOW + 600_000),
    (DEFAULTS, NOW + 420_001, NOW + 900_000),
    (Settings(stale_after_seconds=1, sweep_bucket_seconds=1), NOW + 1_500, NOW + 3_000),
    (Settings(heartbeat_interval_seconds=30), NOW + 10_000, NOW + 150_000),   # stale 90 s, bucket 150 s
])
def test_the_sweep_deadline(settings, last, deadline):
    assert sweep_at(settings, last) == deadline


@pytest.mark.parametrize("interval", [15, 30, 60, 90])
def test_the_deadline_is_at_least_the_stale_window_and_under_a_bucket_more(interval):
    settings = Settings(heartbeat_interval_seconds=interval)
    stale, bucket = settings.stale_after_seconds * 1000, settings.sweep_bucket_seconds * 1000
    for last in range(NOW, NOW + 3 * bucket, 997):
        deadline = sweep_at(settings, last)
        assert last + stale <= deadline < last + stale + bucket and deadline % bucket == 0


@pytest.mark.parametrize("interval, phase_ms", [(60, 0), (60, 1), (60, 37_500), (60, 59_999), (30, 12_345)])
def test_one_heartbeat_in_bucket_over_interval_moves_the_deadline(interval, phase_ms):
    """Heartbeats every interval: the deadline moves at one in SWEEP_BUCKET_SECONDS /
    HEARTBEAT_INTERVAL_SECONDS of them (1 in 5): only those write the index entry."""
    settings = Settings(heartbeat_interval_seconds=interval)
    beats = [NOW + phase_ms + k * interval * 1000 for k in range(1, 101)]
    deadlines = [sweep_at(settings, t) for t in [NOW + phase_ms] + beats]
    moved = sum(1 for before, after in zip(deadlines, deadlines[1:]) if after != before)
    assert moved == len(beats) * interval // settings.sweep_bucket_seconds

"""The lease arithmetic (speakpho.access.lease): a Gemini token's expiry and new-session
window, when a heartbeat renews it, and when the server hangs up an OpenAI call."""
from __future__ import annotations

import pytest

from speakpho.access.lease import gemini_lease, hangup_at, renewal_due, seconds_left
from speakpho.config import Settings

NOW = 1_000_000_000
DEFAULTS = Settings()   # lease 600 s, grace 30 s, new-session window 60 s, renew before 180 s (3 heartbeats)


@pytest.mark.parametrize("started_at, cap, now, left", [
    (NOW, 1800, NOW, 1800),                  # just started
    (NOW, 1800, NOW + 90_500, 1710),         # whole seconds used: 90
    (NOW, 1800, NOW + 1_800_000, 0),         # the cap reached
    (NOW, 1800, NOW + 3_600_000, 0),         # past it: never negative
    (NOW, 40, NOW - 5_000, 40),              # a clock gone back counts nothing
    (NOW, 0, NOW, 0),                        # nothing to start with
])
def test_seconds_left(started_at, cap, now, left):
    assert seconds_left(started_at, cap, now) == left


@pytest.mark.parametrize("settings, left, expires_in, new_session_in", [
    (DEFAULTS, 1800, 600, 60),               # plenty left: one lease
    (DEFAULTS, 570, 600, 60),                # left + grace is exactly one lease
    (DEFAULTS, 569, 599, 60),                # just under: left + grace
    (DEFAULTS, 40, 70, 60),                  # little left: left + grace
    (DEFAULTS, 10, 40, 40),                  # the new-session window never outlives the token
    (DEFAULTS, 0, 30, 30),                   # nothing left: the grace alone
    (Settings(lease_grace_seconds=0), 40, 40, 40),
    (Settings(lease_max_seconds=300), 1800, 300, 60),
    (Settings(new_session_window_seconds=120), 1800, 600, 120),
])
def test_gemini_lease(settings, left, expires_in, new_session_in):
    assert gemini_lease(settings, NOW, left) == (NOW + expires_in * 1000, NOW + new_session_in * 1000)


@pytest.mark.parametrize("access_until, now, left, due", [
    (None, NOW, 1800, True),                       # no token held: give one
    (None, NOW, 0, False),                         # ... unless no minutes are left
    (NOW + 600_000, NOW, 1800, False),             # a fresh lease
    (NOW + 180_000, NOW, 1800, False),             # exactly 3 minutes left: not yet
    (NOW + 179_999, NOW, 1800, True),              # under 3 minutes
    (NOW + 1_000, NOW, 1800, True),
    (NOW - 1_000, NOW, 1800, True),                # expired already
    # Near the end of the minutes: the next token would end with the current one (150 s left + 30 s
    # grace = the current expiry), so no mint; with 60 s more minutes it lasts a heartbeat longer.
    (NOW + 180_000 - 1, NOW, 150, False),
    (NOW + 100_000, NOW, 130, True),              # 160 s >= 100 s + 60 s: worth a token
    (NOW + 100_000, NOW, 129, False),
])
def test_renewal_due(access_until, now, left, due):
    assert renewal_due(DEFAULTS, access_until, now, left) is due


@pytest.mark.parametrize("settings, started_at, cap, at", [
    (DEFAULTS, NOW, 1800, NOW + 1_830_000),  # the cap plus the 30 s grace
    (DEFAULTS, NOW, 40, NOW + 70_000),
    (Settings(lease_grace_seconds=0), NOW, 40, NOW + 40_000),
])
def test_hangup_at(settings, started_at, cap, at):
    assert hangup_at(settings, started_at, cap) == at


@pytest.mark.parametrize("interval", [15, 30, 60, 90])
def test_a_lost_heartbeat_still_renews_the_token_in_time(interval):
    """With the default RENEW_BEFORE_SECONDS (3 heartbeat intervals), wherever the heartbeats fall
    against a fresh token's expiry, the first two heartbeats at which renewal is due both come
    with at least one interval left: one heartbeat may be lost and the next still renews it
    before the token expires."""
    settings = Settings(heartbeat_interval_seconds=interval)
    expires = NOW + settings.lease_max_seconds * 1000
    for phase_ms in range(0, interval * 1000, 250):
        beats = range(NOW + phase_ms, expires, interval * 1000)
        due = [t for t in beats if renewal_due(settings, expires, t, 1800)]
        assert len(due) >= 2, (interval, phase_ms)
        assert expires - due[1] >= interval * 1000, (interval, phase_ms)

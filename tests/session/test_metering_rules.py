"""The pure rules of metering and of close codes, table by table (no DynamoDB)."""
from __future__ import annotations

import pytest

from speakpho import close_codes
from speakpho.config import Settings
from speakpho.metering.end import end_reason
from speakpho.metering.usage import elapsed_seconds, heartbeat_charge, period_totals, stale_closing

SETTINGS = Settings(default_plan="free", plan_minutes={"free": 30, "pro": 600})


@pytest.mark.parametrize("code, limit_hit, reason", [
    (None, False, "user_ended"),        # no close code reported
    (1000, False, "user_ended"),        # normal closure
    (1006, False, "disconnect"),
    (1011, False, "disconnect"),
    (4999, False, "disconnect"),        # a code outside the table still reports trouble
    (1000, True, "limit_reached"),      # the limit wins over everything
    (1006, True, "limit_reached"),
    (None, True, "limit_reached"),
])
def test_end_reason(code, limit_hit, reason):
    assert end_reason(code, limit_hit) == reason


@pytest.mark.parametrize("row, totals", [
    (None, ("free", 1800, 0)),                                               # no row: the default plan
    ({}, ("free", 1800, 0)),
    ({"plan": "pro", "secondsUsed": 90}, ("pro", 36000, 90)),                 # the plan's allowance
    ({"plan": "gold"}, ("gold", 1800, 0)),                                    # unknown plan: default's allowance
    ({"plan": "pro", "secondsLimit": 100, "secondsUsed": 40}, ("pro", 100, 40)),  # an admin's limit wins
    ({"secondsLimit": 0}, ("free", 0, 0)),                                    # even a zero one
    ({"plan": None, "secondsUsed": 1799}, ("free", 1800, 1799)),
])
def test_period_totals(row, totals):
    assert period_totals(SETTINGS, row) == totals


@pytest.mark.parametrize("start, end, seconds", [
    (0, 0, 0),
    (0, 999, 0),            # whole seconds, rounded down
    (0, 1000, 1),
    (1_000, 126_500, 125),
    (5_000, 1_000, 0),      # a clock going back counts nothing
])
def test_elapsed_seconds(start, end, seconds):
    assert elapsed_seconds(start, end) == seconds


def _live_row(started: int, last_heartbeat: int, remaining: int | None) -> dict:
    row = {"activeSessionId": "s-1", "activeStartedAt": started, "activeLastHeartbeatAt": last_heartbeat}
    if remaining is not None:
        row["activeRemainingAtStart"] = remaining
    return row


@pytest.mark.parametrize("heartbeat_after_ms, remaining, charge", [
    (0, 600, 0),             # closed before any heartbeat
    (50_000, 600, 50),       # charged to the last heartbeat
    (900_000, 600, 600),     # capped at what remained at its start
    (600_000, 600, 600),
    (50_000, None, 0),       # no cap recorded: nothing can be charged
])
def test_stale_closing_charges_to_the_last_heartbeat_capped(heartbeat_after_ms, remaining, charge):
    started = 1_794_312_000_000
    row = _live_row(started, started + heartbeat_after_ms, remaining)
    assert heartbeat_charge(row) == charge
    closing = stale_closing(row, plan_limit=1800, used_before=300)
    assert closing == {"sessionId": "s-1", "endReason": "stale", "endedAt": started + heartbeat_after_ms,
                       "secondsUsed": charge,
                       "endResult": {"totalSecondsUsed": 300 + charge, "secondsLimit": 1800}}


@pytest.mark.parametrize("code, normal, disconnect, side, label", [
    (1000, True, False, "learner", "Normal closure"),
    (1001, False, True, "network", "Going away"),
    (1006, False, True, "network", "Abnormal closure"),
    (1011, False, True, "provider", "Server error"),
    (1012, False, True, "provider", "Service restart"),
    (1013, False, True, "provider", "Try again later"),
    (4000, False, True, "unknown", ""),   # outside the table: a disconnect, side unknown, no label
    (None, False, False, "unknown", ""),  # no code at all
])
def test_close_code_classification(code, normal, disconnect, side, label):
    assert close_codes.is_normal(code) is normal
    assert close_codes.is_disconnect(code) is disconnect
    assert close_codes.side(code) == side
    assert close_codes.label(code) == label

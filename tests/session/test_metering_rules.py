"""The pure rules of metering and of close codes, table by table (no DynamoDB)."""
from __future__ import annotations

import pytest

from speakpho import close_codes, story
from speakpho.config import Settings
from speakpho.metering.usage import (charged_until, elapsed_seconds, heartbeat_charge, period_totals,
                                      stale_closing)

SETTINGS = Settings(default_plan="free", plan_minutes={"free": 30, "pro": 600})


@pytest.mark.parametrize("code, limit_hit, ended_by, reason", [
    (None, False, "learner", "user_ended"),        # no close code reported
    (1000, False, "learner", "user_ended"),        # normal closure
    (1001, False, "network", "disconnect"),
    (1006, False, "network", "disconnect"),
    (1011, False, "provider", "error"),
    (1012, False, "provider", "error"),
    (1013, False, "provider", "error"),
    (4000, False, "provider", "error"),            # the provider range
    (4999, False, "provider", "error"),
    (1002, False, "network", "disconnect"),        # a code of no known side
    (3000, False, "network", "disconnect"),
    (1000, True, "limit", "limit_reached"),        # the limit wins over everything
    (1011, True, "limit", "limit_reached"),
    (None, True, "limit", "limit_reached"),
])
def test_who_ended_an_end_and_why(code, limit_hit, ended_by, reason):
    assert story.ended_by_learner_end(code, limit_hit) == ended_by
    assert story.end_reason(ended_by) == reason


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
    now = started + 999_000
    for ended_by, reason, entry in (("client_vanished", "timeout", "timed_out"), ("superseded", "stale", "superseded")):
        closing = stale_closing(Settings(), row, plan_limit=1800, used_before=300, ended_by=ended_by, now=now)
        assert closing == {"sessionId": "s-1", "endReason": reason, "endedBy": ended_by,
                           "endedAt": started + heartbeat_after_ms, "closedAt": now, "secondsUsed": charge,
                           "creditedSeconds": 0,
                           "endResult": {"totalSecondsUsed": 300 + charge, "secondsLimit": 1800},
                           "storyEntries": [{"type": entry, "source": "server", "at": now, "endReason": reason,
                                             "endedBy": ended_by}],
                           "callId": None}


# A session closed without an end (docs/metering.md): the first VANISHED_FAIR_SESSIONS of a period
# are charged to the last sign of life; later ones until the provider access they held ran out.
@pytest.mark.parametrize("vanished_before, provider, access_until_s, now_s, charged_until_s, ended_at_s", [
    (0, "gemini", 600, 900, 50, 50),      # fair: the last heartbeat, though the token ran to 600 s
    (2, "gemini", 600, 900, 50, 50),      # still among the first three
    (3, "gemini", 600, 900, 600, 600),    # the fourth: until the token's expiry
    (3, "gemini", 600, 300, 600, 300),    # ... even past now: a token cannot be revoked (ended now)
    (3, "openai", 2000, 300, 300, 300),   # an OpenAI call is hung up now: charged to now
    (3, "gemini", 30, 900, 50, 50),       # access that ended before the last heartbeat: the heartbeat
    (5, "gemini", None, 900, 50, 50),     # no access recorded: the heartbeat
])
def test_a_session_closed_without_an_end_is_charged_until(vanished_before, provider, access_until_s, now_s,
                                                        charged_until_s, ended_at_s):
    started = 1_794_312_000_000
    row = {**_live_row(started, started + 50_000, 1800), "vanishedSessions": vanished_before,
           "activeProvider": provider}
    if access_until_s is not None:
        row["activeAccessUntil"] = started + access_until_s * 1000
    assert charged_until(Settings(), row, started + now_s * 1000) == started + charged_until_s * 1000
    closing = stale_closing(Settings(), row, 1800, 0, ended_by="client_vanished", now=started + now_s * 1000)
    assert closing["secondsUsed"] == charged_until_s and closing["endedAt"] == started + ended_at_s * 1000


def test_a_closed_session_with_a_live_call_records_its_hangup():
    started = 1_794_312_000_000
    row = {**_live_row(started, started + 50_000, 1800), "activeCallId": "rtc_1"}
    closing = stale_closing(Settings(), row, 1800, 0, ended_by="superseded", now=started + 60_000)
    assert closing["callId"] == "rtc_1"
    assert closing["storyEntries"][1] == {"type": "call_hung_up", "source": "server", "at": started + 60_000,
                                          "callId": "rtc_1", "why": "superseded"}


@pytest.mark.parametrize("code, normal, disconnect, side, label", [
    (1000, True, False, "learner", "Normal closure"),
    (1001, False, True, "network", "Going away"),
    (1006, False, True, "network", "Abnormal closure"),
    (1011, False, True, "provider", "Server error"),
    (1012, False, True, "provider", "Service restart"),
    (1013, False, True, "provider", "Try again later"),
    (4000, False, True, "provider", "Provider code 4000"),   # the range left to applications: the provider's
    (4999, False, True, "provider", "Provider code 4999"),
    (1002, False, True, "unknown", "Application code 1002"),  # outside the table and that range
    (3999, False, True, "unknown", "Application code 3999"),
    (None, False, False, "unknown", ""),  # no code at all
])
def test_close_code_classification(code, normal, disconnect, side, label):
    assert close_codes.is_normal(code) is normal
    assert close_codes.is_disconnect(code) is disconnect
    assert close_codes.side(code) == side
    assert close_codes.label(code) == label

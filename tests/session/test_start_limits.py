"""Per-learner start limits (speakpho.metering.limits): starts per UTC clock hour (429
start_rate_limited) and sessions per UTC day (429 daily_session_limit), with Retry-After until
the window that refuses ends; counted on the profile row the start already reads and writes, so
no request is added. Races on dynoxide: tests/race/test_limit_races.py."""
from __future__ import annotations

import pytest

from apitest import T0, count_requests, data, error, start_session, stored_session
from speakpho import ddb
from speakpho.config import Settings
from speakpho.errors import TooManyRequests
from speakpho.metering.limits import DAY_MS, HOUR_MS, StartCounts, admit_start, counts_so_far, seconds_until
from speakpho.tables import profile_key

START = "/api/session/start"
HOUR, DAY = T0 // HOUR_MS, T0 // DAY_MS          # T0 is 2026-11-10T12:00:00Z
SETTINGS = Settings(starts_per_hour=20, sessions_per_day=50)


def _row(hour=HOUR, in_hour=0, day=DAY, in_day=0) -> dict:
    return {"startsHour": hour, "startsInHour": in_hour, "startsDay": day, "startsInDay": in_day}


@pytest.mark.parametrize("profile, now, counts", [
    (None, T0, StartCounts(HOUR, 0, DAY, 0)),                                      # a new learner
    ({"sessionCount": 7}, T0, StartCounts(HOUR, 0, DAY, 0)),                       # a profile from before the limits
    (_row(in_hour=5, in_day=9), T0 + HOUR_MS - 1, StartCounts(HOUR, 5, DAY, 9)),   # the hour's last ms
    (_row(in_hour=5, in_day=9), T0 + HOUR_MS, StartCounts(HOUR + 1, 0, DAY, 9)),   # the next hour: only the day counts
    (_row(in_hour=5, in_day=9), T0 + 12 * HOUR_MS, StartCounts(HOUR + 12, 0, DAY + 1, 0)),  # the next UTC day
    (_row(hour=HOUR + 1, in_hour=5, in_day=9), T0, StartCounts(HOUR, 0, DAY, 9)),  # the clock went back an hour
])
def test_counts_so_far_keep_only_the_current_windows(profile, now, counts):
    assert counts_so_far(profile, now) == counts


@pytest.mark.parametrize("boundary, now, seconds", [
    (T0 + HOUR_MS, T0, 3600),
    (T0 + HOUR_MS, T0 + 1, 3600),          # rounded up: 3599.999 s
    (T0 + HOUR_MS, T0 + 1000, 3599),
    (T0 + 1500, T0, 2),
    (T0 + 1, T0, 1),
    (T0, T0, 1),                           # at least a second
    (T0, T0 + 5000, 1),
])
def test_retry_after_is_whole_seconds_rounded_up(boundary, now, seconds):
    assert seconds_until(boundary, now) == seconds


@pytest.mark.parametrize("profile, now, outcome", [
    (None, T0, StartCounts(HOUR, 1, DAY, 1)),
    (_row(in_hour=19, in_day=19), T0, StartCounts(HOUR, 20, DAY, 20)),            # the 20th of the hour
    (_row(in_hour=20, in_day=20), T0 + 600_000, ("start_rate_limited", 3000)),    # the 21st, at 12:10
    (_row(in_hour=20, in_day=20), T0 + HOUR_MS, StartCounts(HOUR + 1, 1, DAY, 21)),
    (_row(in_hour=0, in_day=49), T0, StartCounts(HOUR, 1, DAY, 50)),              # the day's 50th
    (_row(in_hour=3, in_day=50), T0, ("daily_session_limit", 12 * 3600)),         # until 00:00 UTC
    (_row(in_hour=20, in_day=50), T0 + 1000, ("daily_session_limit", 12 * 3600 - 1)),  # the day wins
    (_row(in_hour=20, in_day=50), T0 + 12 * HOUR_MS, StartCounts(HOUR + 12, 1, DAY + 1, 1)),
])
def test_admit_start_counts_or_refuses_until_the_window_ends(profile, now, outcome):
    if isinstance(outcome, StartCounts):
        assert admit_start(SETTINGS, profile, now) == outcome
        return
    with pytest.raises(TooManyRequests) as refused:
        admit_start(SETTINGS, profile, now)
    code, retry_after = outcome
    window, limit, size = ("hour", 20, HOUR_MS) if code == "start_rate_limited" else ("day", 50, DAY_MS)
    assert (refused.value.status, refused.value.code, refused.value.retry_after) == (429, code, retry_after)
    assert refused.value.details == {"limit": limit, "window": window, "resetsAt": (now // size + 1) * size}


# --------------------------------------------------------------------------- through the API
def _profile(dynamodb, user_id: str) -> dict | None:
    return ddb.deserialize(dynamodb.get_item(TableName="usage_periods",
                                             Key=ddb.serialize(profile_key(user_id))).get("Item"))


def _minutes_for_many_starts(api, user_id: str) -> None:
    """Minutes enough that the starts, not the allowance, run out: a session closed without an
    end past the period's first few is charged the Gemini lease it held (speakpho.metering.usage)."""
    data(api.as_user("root", admin=True).put(f"/api/admin/users/{user_id}/allowance",
                                             {"secondsLimit": 36_000, "reason": "many starts"}))


def test_the_21st_start_in_an_hour_waits_for_the_next_hour(api, clock, dynamodb):
    _minutes_for_many_starts(api, "alice")
    alice = api.as_user("alice")
    clock.advance(600)                                       # 12:10 UTC
    for _ in range(20):
        start_session(alice)
    usage = data(alice.get("/api/usage"))
    with count_requests(dynamodb) as meter:
        refused = alice.post(START, {})
    assert dict(meter.ops) == {"TransactGetItems": 1}        # refused on what the start reads anyway
    assert error(refused, 429) == {
        "code": "start_rate_limited", "message": "at most 20 session starts an hour; try again later",
        "details": {"limit": 20, "window": "hour", "resetsAt": T0 + HOUR_MS}}
    assert refused.headers["Retry-After"] == "3000"
    assert data(alice.get("/api/usage")) == usage            # nothing written: the live session stays
    assert _profile(dynamodb, "alice")["sessionCount"] == 20

    clock.advance(2999)
    assert alice.post(START, {}).headers["Retry-After"] == "1"
    clock.advance(1)                                         # 13:00: a new hour
    started = start_session(alice)
    assert started["closedSessionId"] == usage["activeSessionId"]
    assert _profile(dynamodb, "alice").items() >= {"sessionCount": 21, "startsInHour": 1, "startsInDay": 21}.items()


def test_a_keyed_start_still_replays_at_the_limit(api, clock):
    _minutes_for_many_starts(api, "alice")
    alice = api.as_user("alice")
    for _ in range(19):
        start_session(alice)
    key = {"Idempotency-Key": "twentieth"}
    first = start_session(alice, {"topic": "food"}, headers=key)
    assert start_session(alice, {"topic": "food"}, headers=key) == first     # a replay starts nothing
    assert error(alice.post(START, {"topic": "food"}, headers={"Idempotency-Key": "21st"}), 429)["code"] == \
        "start_rate_limited"


def test_the_day_limit_waits_for_the_next_utc_day(api, clock, dynamodb, settings_env):
    settings_env(STARTS_PER_HOUR=3, SESSIONS_PER_DAY=5)
    bob = api.as_user("bob")
    for _ in range(3):
        start_session(bob)
    assert error(bob.post(START, {}), 429)["code"] == "start_rate_limited"
    clock.advance(3600)                                      # 13:00
    start_session(bob)
    start_session(bob)
    refused = bob.post(START, {})
    assert error(refused, 429) == {
        "code": "daily_session_limit", "message": "at most 5 sessions a day (UTC); try again later",
        "details": {"limit": 5, "window": "day", "resetsAt": (DAY + 1) * DAY_MS}}
    assert refused.headers["Retry-After"] == str(11 * 3600)  # 13:00 to midnight
    clock.advance(11 * 3600 - 1)
    assert error(bob.post(START, {}), 429)["code"] == "daily_session_limit"
    clock.advance(1)                                         # 2026-11-11T00:00Z
    start_session(bob)
    assert _profile(dynamodb, "bob").items() >= {"sessionCount": 6, "startsInHour": 1, "startsInDay": 1}.items()
    assert data(api.as_user("carol").post(START, {}), 201)   # the limits are each learner's own


# --------------------------------------------------------------------------- trusted identities
@pytest.mark.parametrize("verified", [False, None])          # refused, or no email_verified claim at all
def test_an_unverified_email_cannot_start_and_nothing_is_written(api, dynamodb, verified):
    dan = api.as_user("dan", email_verified=verified)
    for headers in ({}, {"Idempotency-Key": "k-1"}):
        with count_requests(dynamodb) as meter:
            refused = dan.post(START, {"topic": "food"}, headers=headers)
        assert error(refused, 403) == {"code": "email_unverified",
                                       "message": "verify your email address before starting a session"}
        assert meter.total == 0
    usage = data(dan.get("/api/usage"))
    assert (usage["secondsUsed"], usage["activeSessionId"]) == (0, None)
    assert _profile(dynamodb, "dan") is None
    assert data(dan.get("/api/learning/history"))["pagination"]["total"] == 0

    verified_dan = api.as_user("dan", email="dan@example.com")
    started = start_session(verified_dan)
    assert stored_session(started["sessionId"])["userEmail"] == "dan@example.com"

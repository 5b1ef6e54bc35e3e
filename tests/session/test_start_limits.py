"""Per-learner start limits (speakpho.metering.limits): token buckets of starts an hour (429
start_rate_limited) and sessions a day (429 daily_session_limit), with resetsAt and Retry-After
at the next token; kept on the profile row the start already reads and writes, so no request is
added. The burst bound: tests/session/test_start_buckets.py. Races on dynoxide:
tests/race/test_limit_races.py."""
from __future__ import annotations

import pytest

from apitest import T0, count_requests, data, error, start_session, stored_session
from speakpho import ddb
from speakpho.config import Settings
from speakpho.errors import TooManyRequests
from speakpho.metering.limits import DAY_MS, HOUR_MS, StartTokens, admit_start, seconds_until
from speakpho.tables import profile_key

START = "/api/session/start"
HOUR, DAY = T0 // HOUR_MS, T0 // DAY_MS          # T0 is 2026-11-10T12:00:00Z
SETTINGS = Settings(starts_per_hour=20, sessions_per_day=50)   # a token each 3 min, each 28.8 min
GONE = {"startsHour": None, "startsInHour": None, "startsDay": None, "startsInDay": None}


def _bucket(at=T0, day=50_000, hour=20_000) -> dict:
    """A profile row's buckets: milli-tokens as of `at`."""
    return {"startTokensAt": at, "startTokensDay": day, "startTokensHour": hour}


def _row(hour=HOUR, in_hour=0, day=DAY, in_day=0) -> dict:
    """A profile row written under the fixed windows."""
    return {"startsHour": hour, "startsInHour": in_hour, "startsDay": day, "startsInDay": in_day}


@pytest.mark.parametrize("profile, now, outcome", [
    (None, T0, StartTokens(T0, 49_000, 19_000, True)),                          # a new learner: full buckets
    ({"sessionCount": 7}, T0, StartTokens(T0, 49_000, 19_000, True)),           # a profile from before the limits
    (_bucket(hour=0, day=30_000), T0 + 179_999, ("start_rate_limited", T0 + 180_000, 1)),   # 999 milli-tokens
    (_bucket(hour=0, day=30_000), T0 + 180_000, StartTokens(T0 + 180_000, 29_104, 0)),      # the 3 min refill
    (_bucket(day=0), T0, ("daily_session_limit", T0 + 1_728_000, 1728)),
    (_bucket(day=0, hour=0), T0 + 60_000, ("daily_session_limit", T0 + 1_728_000, 1668)),   # the day waits longer
    (_bucket(day=990, hour=0), T0, ("start_rate_limited", T0 + 180_000, 180)),               # the hour waits longer
    (_bucket(day=995, hour=952), T0, ("daily_session_limit", T0 + 8_640, 9)),               # as long: the day
    (_bucket(day=49_000, hour=19_000), T0 + 10 * DAY_MS, StartTokens(T0 + 10 * DAY_MS, 49_000, 19_000, True)),
    (_bucket(day=90_000, hour=50_000), T0 + 1, StartTokens(T0 + 1, 49_000, 19_000)),         # limits lowered
    (_bucket(at=T0 - 1), T0, StartTokens(T0, 49_000, 19_000, True)),            # the last start in the last hour
    (_bucket(at=T0 + 60_000, day=10_000, hour=5_000), T0, StartTokens(T0 + 60_000, 9_000, 4_000)),  # clock back
    (_bucket(at=T0 + 60_000, hour=500), T0, ("start_rate_limited", T0 + 150_000, 150)),     # no refill before `at`
    # rows of the fixed windows: what their counts leave, refilled from their window's end
    (_row(in_hour=15, in_day=30), T0 + 600_000, StartTokens(T0 + 600_000, 19_000, 4_000)),
    (_row(hour=HOUR - 1, in_hour=20, in_day=20), T0 + 60_000, ("start_rate_limited", T0 + 180_000, 120)),  # no burst
    (_row(hour=HOUR - 3, in_hour=20, day=DAY - 1, in_day=50), T0, StartTokens(T0, 24_000, 19_000, True)),
    (_row(in_hour=20, in_day=20), T0 + 600_000, ("start_rate_limited", T0 + 3_780_000, 3180)),  # 13:03
    (_row(hour=HOUR + 1, in_hour=20, in_day=50), T0, ("daily_session_limit", T0 + 44_928_000, 44_928)),  # clock back
])
def test_admit_start_takes_a_token_or_refuses_until_the_next(profile, now, outcome):
    if isinstance(outcome, StartTokens):
        assert admit_start(SETTINGS, profile, now) == outcome
        return
    with pytest.raises(TooManyRequests) as refused:
        admit_start(SETTINGS, profile, now)
    code, resets_at, retry_after = outcome
    window, limit = ("hour", 20) if code == "start_rate_limited" else ("day", 50)
    assert (refused.value.status, refused.value.code, refused.value.retry_after) == (429, code, retry_after)
    assert refused.value.details == {"limit": limit, "window": window, "resetsAt": resets_at}


def test_the_buckets_replace_the_fixed_windows_counters_on_the_row():
    assert StartTokens(T0, 49_000, 19_000).profile_fields() == {
        "startTokensAt": T0, "startTokensDay": 49_000, "startTokensHour": 19_000, **GONE}


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


# --------------------------------------------------------------------------- through the API
def _profile(dynamodb, user_id: str) -> dict | None:
    return ddb.deserialize(dynamodb.get_item(TableName="usage_periods",
                                             Key=ddb.serialize(profile_key(user_id))).get("Item"))


def _minutes_for_many_starts(api, user_id: str) -> None:
    """Minutes enough that the starts, not the allowance, run out: a session closed without an
    end past the period's first few is charged the Gemini lease it held (speakpho.metering.usage)."""
    data(api.as_user("root", admin=True).put(f"/api/admin/users/{user_id}/allowance",
                                             {"secondsLimit": 36_000, "reason": "many starts"}))


def test_the_21st_start_at_once_waits_for_the_next_token(api, clock, dynamodb):
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
        "details": {"limit": 20, "window": "hour", "resetsAt": T0 + 780_000}}   # 12:13: a token each 3 min
    assert refused.headers["Retry-After"] == "180"
    assert data(alice.get("/api/usage")) == usage            # nothing written: the live session stays
    assert _profile(dynamodb, "alice")["sessionCount"] == 20

    clock.advance(179)
    assert alice.post(START, {}).headers["Retry-After"] == "1"
    clock.advance(1)                                         # 12:13
    started = start_session(alice)
    assert started["closedSessionId"] == usage["activeSessionId"]
    assert _profile(dynamodb, "alice").items() >= {
        "sessionCount": 21, "startTokensAt": T0 + 780_000, "startTokensHour": 0, "startTokensDay": 29_104}.items()
    assert error(alice.post(START, {}), 429)["details"]["resetsAt"] == T0 + 960_000


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


def test_the_day_limit_waits_for_its_own_token(api, clock, dynamodb, settings_env):
    settings_env(STARTS_PER_HOUR=3, SESSIONS_PER_DAY=5)      # tokens each 20 min and each 4.8 h
    bob = api.as_user("bob")
    for _ in range(3):
        start_session(bob)
    assert error(bob.post(START, {}), 429)["code"] == "start_rate_limited"
    clock.advance(3600)                                      # 13:00: the hour's bucket is full again
    start_session(bob)
    start_session(bob)
    refused = bob.post(START, {})                            # the day's: 2 + 1 h of refill - 2 = 0.208
    ready = T0 + 3_600_000 + 13_685_760                      # 0.792 of a token at 5 a day
    assert error(refused, 429) == {
        "code": "daily_session_limit", "message": "at most 5 sessions a day; try again later",
        "details": {"limit": 5, "window": "day", "resetsAt": ready}}
    assert refused.headers["Retry-After"] == "13686"
    clock.advance(13_685)
    assert error(bob.post(START, {}), 429)["code"] == "daily_session_limit"
    clock.advance(1)                                         # past 16:48 UTC: not the next UTC day
    start_session(bob)
    assert _profile(dynamodb, "bob").items() >= {"sessionCount": 6, "startTokensDay": 0}.items()
    assert data(api.as_user("carol").post(START, {}), 201)   # the limits are each learner's own


def test_a_row_of_the_fixed_windows_keeps_its_count_and_is_rewritten(api, clock, dynamodb):
    """20 starts this hour before the change: its tokens refill from the hour's end; the next
    start writes the buckets and removes the old counters."""
    _minutes_for_many_starts(api, "erin")
    dynamodb.put_item(TableName="usage_periods", Item=ddb.serialize(
        {**profile_key("erin"), "sessionCount": 20, **_row(in_hour=20, in_day=20)}))
    erin = api.as_user("erin")
    with count_requests(dynamodb) as meter:
        assert error(erin.post(START, {}), 429)["details"]["resetsAt"] == T0 + 3_780_000   # 13:03
    assert dict(meter.ops) == {"TransactGetItems": 1}
    clock.advance(3779)
    assert erin.post(START, {}).headers["Retry-After"] == "1"
    clock.advance(1)
    with count_requests(dynamodb) as meter:
        start_session(erin)
    assert dict(meter.ops) == {"TransactGetItems": 1, "TransactWriteItems": 1}   # as any start
    profile = _profile(dynamodb, "erin")
    assert profile.items() >= {"sessionCount": 21, "startTokensAt": T0 + 3_780_000, "startTokensHour": 0,
                               "startTokensDay": 29_000}.items()
    assert not set(GONE) & set(profile)


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

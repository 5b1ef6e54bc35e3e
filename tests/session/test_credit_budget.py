"""The period's credit budget: at most CREDIT_BUDGET_PERCENT (10) % of the period's secondsLimit
is credited for outages in a period, kept on the period row (`creditedSeconds`), shown by the
usage views, and enforced by the end with no request of its own."""
from __future__ import annotations

import pytest

from apitest import (T0, client_event, count_requests, data, end_session, grant_access_again, start_session,
                     stored_session)
from speakpho.config import Settings
from speakpho.metering.usage import credit_budget_seconds, credit_left


@pytest.mark.parametrize("percent, limit, credited, budget, left", [
    (10, 1800, 0, 180, 180),        # the free plan: 3 minutes a month
    (10, 1800, 120, 180, 60),
    (10, 1800, 180, 180, 0),
    (10, 1800, 250, 180, 0),        # never negative (a budget lowered by an admin's new limit)
    (10, 36_000, 0, 3600, 3600),    # pro: 60 minutes
    (0, 1800, 0, 0, 0),             # no credit at all
    (10, 0, 0, 0, 0),
])
def test_the_budget_and_what_is_left(percent, limit, credited, budget, left):
    settings = Settings(credit_budget_percent=percent)
    assert credit_budget_seconds(settings, limit) == budget
    assert credit_left(settings, limit, credited) == left


def _session_with_outage(alice, clock, start_at: int) -> str:
    """A 300 s session with a corroborated 120 s outage (the provider's 1011, access given again)."""
    clock.set(start_at)
    sid = start_session(alice)["sessionId"]
    grant_access_again("alice", sid, start_at + 179_000)
    clock.advance(300)
    return sid


def _end_with_outage(alice, sid: str, start_at: int) -> dict:
    events = [client_event("provider_disconnected", start_at + 60_000, code=1011),
              client_event("provider_connected", start_at + 180_000, connectMs=300)]
    return end_session(alice, sid, disconnectCode=1000, events=events)


def _period_row(dynamodb) -> dict:
    return dynamodb.get_item(TableName="usage_periods", ConsistentRead=True,
                             Key={"userId": {"S": "alice"}, "period": {"S": "2026-11"}})["Item"]


def test_the_budget_caps_the_credit_across_sessions_and_the_usage_shows_it(api, clock, dynamodb):
    alice = api.as_user("alice")
    credits = []
    for n in range(3):
        start_at = T0 + n * 1_000_000
        sid = _session_with_outage(alice, clock, start_at)
        if n == 1:    # the start and the heartbeat show the period's credit so far
            assert stored_session(sid)["creditedAtStart"] == 120
            beat = data(alice.post("/api/session/heartbeat", {"sessionId": sid}))["usage"]
            assert (beat["creditedSeconds"], beat["creditBudgetSeconds"]) == (120, 180)
        out = _end_with_outage(alice, sid, start_at)
        credits.append(out["creditedSeconds"])
        assert out["totalSecondsUsed"] == sum(300 - c for c in credits)
    assert credits == [120, 60, 0]          # 120, then what is left of 180, then nothing
    usage = data(alice.get("/api/usage"))
    assert (usage["creditedSeconds"], usage["creditBudgetSeconds"], usage["secondsUsed"]) == (180, 180, 720)
    assert int(_period_row(dynamodb)["creditedSeconds"]["N"]) == 180
    # The next start carries it, and says so in its usage.
    clock.advance(1000)
    started = start_session(alice)
    assert (started["usage"]["creditedSeconds"], started["usage"]["creditBudgetSeconds"]) == (180, 180)


def test_an_admins_larger_allowance_raises_the_budget(api, clock):
    alice = api.as_user("alice")
    root = api.as_user("root", admin=True)
    answer = data(root.put("/api/admin/users/alice/allowance", {"secondsLimit": 6000, "reason": "pro trial"}))
    assert (answer["usage"]["creditedSeconds"], answer["usage"]["creditBudgetSeconds"]) == (0, 600)
    sid = start_session(alice)["sessionId"]
    for at in (149_000, 289_000, 398_000):
        grant_access_again("alice", sid, T0 + at)
    clock.advance(400)
    events = [client_event(kind, T0 + at, code=1011) if kind == "provider_disconnected"
              else client_event(kind, T0 + at)
              for down, back in ((0, 150_000), (160_000, 290_000), (300_000, 399_000))
              for kind, at in (("provider_disconnected", down), ("provider_connected", back))]
    out = end_session(alice, sid, events=events)
    assert out["creditedSeconds"] == 300    # the session's own cap binds now, not the budget (600)


def test_the_end_with_credit_costs_no_request_more(api, clock, dynamodb):
    alice = api.as_user("alice")
    sid = _session_with_outage(alice, clock, T0)
    _end_with_outage(alice, sid, T0)
    sid = _session_with_outage(alice, clock, T0 + 1_000_000)
    with count_requests(dynamodb) as meter:
        out = _end_with_outage(alice, sid, T0 + 1_000_000)
    # the session read, its event batches read before and after the commit, the commit
    assert out["creditedSeconds"] == 60 and meter.ops == {"GetItem": 1, "Query": 2, "TransactWriteItems": 1}


def test_a_session_started_before_the_budget_existed_reads_the_period_once(api, clock, dynamodb):
    """No creditedAtStart on the session (started by the code before): the end assumes 0, the
    period row's credit fails its condition, and the retry reads the row and caps right."""
    alice = api.as_user("alice")
    sid = _session_with_outage(alice, clock, T0)
    _end_with_outage(alice, sid, T0)
    sid = _session_with_outage(alice, clock, T0 + 1_000_000)
    dynamodb.update_item(TableName="sessions", Key={"sessionId": {"S": sid}}, UpdateExpression="REMOVE creditedAtStart")
    with count_requests(dynamodb) as meter:
        out = _end_with_outage(alice, sid, T0 + 1_000_000)
    assert out["creditedSeconds"] == 60 and int(_period_row(dynamodb)["creditedSeconds"]["N"]) == 180
    # + the session and the row re-read, + the batches read again, + the retry
    assert meter.ops == {"GetItem": 3, "Query": 3, "TransactWriteItems": 2}

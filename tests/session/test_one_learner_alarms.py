"""One learner cannot trip an alarm (issue 19, section 3): the worst one learner can do through the
API in an hour (every start the start limits allow in a row, each session with 80 forged
connection events, every switch the cap allows and one more, each ended with 1006), and the
datapoints session.telemetry emits for it, period by period: no ratio alarm's expression, as the
template carries it (with the thresholds and minimums of cdk.json's context), reaches its
threshold in any period. Without the learner guard the same datapoints would page the on-call:
that is what the guard stops."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from metric_math import evaluate

from apitest import client_event, end_session, send_events, set_allowance, start_session

ROOT = Path(__file__).resolve().parents[2]
SESSION_SECONDS = 30
START = "/api/session/start"


@pytest.fixture
def stack_settings():
    from aws_cdk import App

    from infra.settings import StackSettings

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    return StackSettings.from_context(App(context=context))


@pytest.fixture
def timed_points(monkeypatch, clock):
    """(epoch ms, name, value, dimensions) of every datapoint telemetry emits."""
    from session import telemetry

    seen: list[tuple[int, str, float, dict]] = []
    monkeypatch.setattr(telemetry, "_emit", lambda name, value, dimensions=None: seen.append(
        (clock.now_ms(), name, value, dict(dimensions or {}))))
    return seen


def forget_stream_records() -> None:
    """Moto keeps every stream record of a table and copies the whole table, records included, at
    each transaction: an hour of 80-event sessions grows that to gigabytes. Nothing here reads the
    stream (it feeds the admin rollups, not the metrics), so the records are dropped as they come."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    for backend in dynamodb_backends[DEFAULT_ACCOUNT_ID].values():
        for table in backend.tables.values():
            if table.stream_shard is not None:
                table.stream_shard.items.clear()


def forged_events(now: int) -> list[dict]:
    """80 events: 40 drops (1011) each followed by a reconnect, all inside the session so far."""
    events = []
    for i in range(40):
        events.append(client_event("provider_disconnected", now - 29_000 + i * 500, code=1011))
        events.append(client_event("provider_connected", now - 29_000 + i * 500 + 250))
    return events


def worst_hour(api, clock) -> None:
    from speakpho.config import get_settings
    from speakpho.metering.live import MAX_SWITCHES_PER_SESSION

    mallory = api.as_user("mallory")
    set_allowance(api, "mallory", 10 * 3600)
    # Starts until refused: the hour bucket's 20, and the 3 tokens it refills meanwhile (one each
    # 3 minutes in 11.5 minutes); later starts, one each 3 minutes, fall in periods where the
    # learner is not counted again (ActiveLearners 0: those ratios are 0 whatever they carry).
    n = 0
    while n <= 2 * get_settings().starts_per_hour and (started := mallory.post(START, {})).status == 201:
        sid = started.json()["data"]["sessionId"]
        clock.advance(SESSION_SECONDS)
        events = forged_events(clock.now_ms())
        send_events(mallory, sid, events[:50])
        send_events(mallory, sid, events[50:])
        # The first session switches to the cap and past it (429); the others switch 6 times,
        # as much as counts (3 switches, 3 openai segments), to keep the test's moto affordable.
        switches = MAX_SWITCHES_PER_SESSION + 1 if n == 0 else 6
        for i in range(switches):
            answer = mallory.post("/api/session/switch-provider",
                                  {"sessionId": sid, "provider": "openai" if i % 2 == 0 else "gemini",
                                   "disconnectCode": 1011})
            assert answer.status == (200 if i < MAX_SWITCHES_PER_SESSION else 429), answer.body
            if answer.status == 429:
                assert answer.json()["error"]["code"] == "switch_limit"
        end_session(mallory, sid, provider="gemini", disconnectCode=1006, providerSwitched=True)
        forget_stream_records()
        n += 1
    assert started.status == 429 and started.json()["error"]["code"] == "start_rate_limited"
    assert n == get_settings().starts_per_hour + 3


def period_sums(points, period_minutes: int) -> dict[int, dict[tuple[str, str | None], float]]:
    """Sum per (metric, provider) in each alarm period (CloudWatch's periods are aligned on the epoch)."""
    sums: dict[int, dict] = defaultdict(lambda: defaultdict(float))
    for at, name, value, dimensions in points:
        sums[at // (period_minutes * 60_000)][(name, dimensions.get("provider"))] += value
    return sums


def alarm_values(spec, settings, sums, expression: str | None = None) -> float:
    values = {i: sums.get((name, None if name == "ActiveLearners" else spec.provider))
              for i, name in spec.ids().items()}
    return evaluate(expression or spec.expression(settings), values)


def test_one_learners_worst_hour_meets_no_alarm_condition(api, clock, timed_points, stack_settings):
    from infra.constructs.monitoring import RATIO_ALARMS, ratio_percent

    worst_hour(api, clock)
    periods = period_sums(timed_points, stack_settings.alarm_period_minutes)
    assert len(periods) >= 2      # the alarms need 2 breaching periods of 3: the hour spans several
    busiest = max(periods.values(), key=lambda s: s[("SessionsStarted", None)])
    assert busiest[("SessionsStarted", None)] >= stack_settings.alarm_min_sessions
    # What the caps left of 80 forged events and 10 switches per session: 3 of each at most.
    assert max(v for _, n, v, _ in timed_points if n in ("ProviderConnections", "ProviderFailures")) == 3
    assert sum(1 for _, n, _, _ in timed_points if n == "ActiveLearners") == 1   # one learner, one hour

    for spec in RATIO_ALARMS:
        threshold = spec.threshold(stack_settings)
        for period, sums in periods.items():
            value = alarm_values(spec, stack_settings, sums)
            assert value < threshold, (spec.name, period, value, dict(sums))

    # The same datapoints without the learner guard: the session ratios and Gemini's failure rate
    # breach in at least two periods, so the guard, not a lack of traffic, keeps them quiet.
    for name in ("AbnormalCloseShare", "ProviderSwitchRate", "ProviderFailureRateGemini"):
        spec = next(s for s in RATIO_ALARMS if s.name == name)
        num, den, _ = spec.ids()
        unguarded = ratio_percent(num, den, getattr(stack_settings, spec.min_setting))
        breaching = [p for p, sums in periods.items()
                     if alarm_values(spec, stack_settings, sums, unguarded) >= spec.threshold(stack_settings)]
        assert len(breaching) >= 2, (name, breaching)

"""`make bench`'s own arithmetic: what a reading says, which budgets fail it, and the counters
of provider and Scheduler calls (bench/meter.py, bench/run.py record, bench/provider_bench.py)."""
from __future__ import annotations

from collections import Counter

import pytest

from bench import run as bench_run
from bench.meter import Reading
from bench.provider_bench import OutsideCalls
from speakpho.providers.ports import ProviderError


@pytest.mark.parametrize("providers, scheduler, shown, hidden", [
    ({}, 0, "2 requests", "provider"),
    ({"gemini": 1}, 0, "+1 provider call (gemini 1)", "scheduler"),
    ({"gemini": 1, "openai": 1}, 1, "+2 provider calls (gemini 1, openai 1)  +1 scheduler call", "calls  +1 s"),
    ({}, 2, "+2 scheduler calls", "provider"),
])
def test_a_reading_names_the_calls_beyond_dynamodb(providers, scheduler, shown, hidden):
    text = Reading(requests=2, provider_calls=Counter(providers), scheduler_calls=scheduler).describe()
    assert shown in text and hidden not in text


@pytest.mark.parametrize("requests, providers, scheduler, budgets, failed", [
    (2, {"gemini": 1}, 0, dict(budget=2, providers=1, schedules=0), []),
    (3, {"gemini": 1}, 0, dict(budget=2, providers=1, schedules=0), ["3 requests > budget 2"]),
    (2, {"gemini": 2}, 0, dict(budget=2, providers=1), ["2 provider calls > budget 1"]),
    (2, {"openai": 1}, 2, dict(budget=2, providers=1, schedules=1), ["2 scheduler calls > budget 1"]),
    (9, {"openai": 5}, 5, dict(), []),   # no budget: printed, never failed
])
def test_record_fails_the_bench_on_any_budget_exceeded(monkeypatch, capsys, requests, providers, scheduler,
                                                       budgets, failed):
    monkeypatch.setattr(bench_run, "FAILURES", [])
    monkeypatch.setattr(bench_run, "RESULTS", [])
    reading = Reading(requests=requests, provider_calls=Counter(providers), scheduler_calls=scheduler)
    bench_run.record("session", "POST /x", reading, **budgets)
    assert bench_run.FAILURES == [f"POST /x: {f}" for f in failed]
    assert bench_run.RESULTS[0]["within_budget"] is (not failed)
    assert ("OVER BUDGET" in capsys.readouterr().out) is bool(failed)


def test_the_cold_init_caps_are_the_guides():
    assert bench_run.COLD_INIT_CAPS == {"session": 1.52, "learning": 1.52, "admin": 1.52,
                                        "sweeper": 1.45, "rollups": 1.45, "hangup": 1.45}


def test_provider_calls_are_counted_through_every_binding_of_post_and_restored():
    from speakpho.providers import http, openai_rest
    from speakpho.providers.gemini_rest import GeminiRestTokens
    from speakpho.providers.openai_rest import OpenAIRestCalls

    original = http.post
    calls = OutsideCalls()
    calls.install()
    try:
        assert http.post is not original and openai_rest.post is http.post
        closed = "http://127.0.0.1:1"   # nothing listens: refused at once, counted all the same
        with pytest.raises(ProviderError):
            OpenAIRestCalls(closed).hangup("k", "rtc_1")
        with pytest.raises(ProviderError):
            GeminiRestTokens(closed).mint("k", setup={}, uses=1, expire_at_ms=1, new_session_expire_at_ms=1)
        assert calls.providers == Counter({"openai": 1, "gemini": 1})
    finally:
        calls.uninstall()
    assert http.post is original and openai_rest.post is original


def test_scheduler_calls_are_counted_on_the_ports_client():
    from moto import mock_aws

    from speakpho import deps
    from speakpho.aws import scheduler_client

    with mock_aws():
        deps.reset()
        calls = OutsideCalls()
        _, before = calls.snapshot()
        scheduler_client().list_schedule_groups()
        _, after = calls.snapshot()   # registers once per client: a second snapshot adds no count
        scheduler_client().list_schedule_groups()
        assert (before, after, calls.snapshot()[1]) == (0, 1, 2)
    deps.reset()

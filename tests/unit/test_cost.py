"""bench.cost: the dollars make load prints, from its measured totals."""
from __future__ import annotations

import pytest

from bench.cost import TARGET_PER_1000_LEARNER_HOURS, cost_lines, cost_per_1000_learner_hours, priced

# One learner-hour of 100 API calls, 1,000 write and 100 read units, 1 s in handlers; no connects.
BASE = {"api_calls": 100.0, "write_units": 1000.0, "read_units": 100.0, "lambda_ms": 1000.0}


@pytest.mark.parametrize(("item", "expected"), [
    ("DynamoDB writes", 1000 * 1000 * 0.625 / 1e6),       # 1,000,000 WRU at $0.625 per million
    ("DynamoDB reads", 100 * 1000 * 0.125 / 1e6),
    ("API Gateway", 100 * 1000 * 3.50 / 1e6),
    ("WAF", 100 * 1000 * 0.60 / 1e6),
    ("Lambda requests", (100 + 10) * 1000 * 0.20 / 1e6),  # API calls and 10 stream invocations
    ("Lambda duration", 1000 * 1.0 * 0.0000166667),       # 1,000 GB-s
])
def test_each_item_is_its_quantity_times_its_price(item, expected):
    items = cost_per_1000_learner_hours(BASE, openai_sessions_per_learner_hour=0, invocations_per_learner_hour=10)
    assert items[item] == pytest.approx(expected)


def test_the_total_is_the_sum_and_connects_add_calls_and_writes():
    plain = cost_per_1000_learner_hours(BASE, openai_sessions_per_learner_hour=0, invocations_per_learner_hour=0)
    assert plain["total"] == pytest.approx(sum(v for k, v in plain.items() if k != "total"))
    connected = cost_per_1000_learner_hours(BASE, openai_sessions_per_learner_hour=3, invocations_per_learner_hour=0)
    assert connected["API Gateway"] == pytest.approx(103 * 1000 * 3.50 / 1e6)
    assert connected["DynamoDB writes"] == pytest.approx((1000 + 3 * 8) * 1000 * 0.625 / 1e6)


@pytest.mark.parametrize(("total", "verdict"), [(TARGET_PER_1000_LEARNER_HOURS, "within"),
                                                (TARGET_PER_1000_LEARNER_HOURS + 0.001, "OVER")])
def test_the_printed_total_says_whether_it_meets_the_target(total, verdict):
    lines = cost_lines({"DynamoDB writes": total, "total": total})
    assert verdict in lines[-1] and "100.0 %" in lines[1]


def test_a_load_run_connects_a_call_for_half_its_starts_and_switches_and_counts_its_invocations():
    rows = [{"route": "POST /api/session/start", "calls": 4}, {"route": "POST /api/session/switch-provider", "calls": 2},
            {"route": "job: mistakes", "calls": 3}, {"route": "stream: admin.rollups (per batch)", "calls": 2}]
    items = priced(rows, BASE, learner_hours=1.0)
    expected = cost_per_1000_learner_hours(BASE, openai_sessions_per_learner_hour=3, invocations_per_learner_hour=5)
    assert items == {name: round(dollars, 4) for name, dollars in expected.items()}

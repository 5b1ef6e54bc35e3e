"""`make bench`'s WRITE UNITS table (bench/write_units.py): the table it prints, the budgets that
fail it, the per-index units the meter reads (local.ddb_meter.RequestMeter), and the check that
decides whether the engine's ConsumedCapacity is the source of truth (bench/capacity_rules.py)."""
from __future__ import annotations

import boto3
import pytest

from bench import capacity_rules
from bench.write_units import REQUIRED, Row, check, render
from local.ddb_meter import RequestMeter

PERIOD, SWEEP, SESSIONS, VIEW, BATCHES = "usage_periods", "usage_periods/active_by_sweep", "sessions", \
    "sessions/learning_history_view", "session_events"


def _row(call: str, units: dict, kind: str = "", *, documented: dict | None = None, items=None, weight=None):
    return Row(call, 1, units, dict(units) if documented is None else documented, kind,
               list(items or []), weight)


def _good() -> list[Row]:
    return [_row("POST /session/start", {PERIOD: 4, SWEEP: 1, SESSIONS: 2, VIEW: 1}),
            _row("POST /session/heartbeat (ordinary)", {PERIOD: 1}, "heartbeat", items=[PERIOD]),
            _row("POST /session/heartbeat (into the next sweep bucket)", {PERIOD: 1, SWEEP: 2}, "heartbeat_crossing"),
            _row("POST /session/events (1 new)", {BATCHES: 1}, "events", items=[BATCHES], weight=1),
            _row("POST /session/events (20 new; the session holds 60 events)", {BATCHES: 4}, "events",
                 items=[BATCHES], weight=4, documented={BATCHES: 5}),
            _row("GET /learning/history", {}, "read")]


def _line(lines: list[str], call: str) -> str:
    """What the table shows after the call's name."""
    return next(line.strip().removeprefix(call) for line in lines if line.strip().startswith(call))


def test_the_table_shows_each_call_its_units_per_table_and_index_and_the_verdicts():
    text = render(_good())
    lines = text.splitlines()
    assert lines[0].startswith("WRITE UNITS per call: the engine's ConsumedCapacity")
    start = _line(lines, "POST /session/start")
    assert start.split()[:4] == ["1", "6", "2", "8"]   # requests, table, index, total
    assert "sessions 2, sessions/learning_history_view 1, usage_periods 4, usage_periods/active_by_sweep 1" in start
    crossing = _line(lines, "POST /session/heartbeat (into the next sweep bucket)")
    assert crossing.split()[:4] == ["1", "1", "2", "3"] and "ok (budget)" in crossing
    story = _line(lines, "POST /session/events (20 new; the session holds 60 events)")
    assert "[sim: session_events 5]" in story     # the documented rules' figure, where it differs
    assert "OVER BUDGET" not in text and check(_good()) == []


def test_the_header_says_when_the_figures_are_the_documented_rules_not_the_engines():
    text = render(_good(), "documented", ["a new item in all three indexes: billed {'table': 1.0}, documented ..."])
    assert "DOCUMENTED-RULE figures, NOT the engine's" in text
    assert "a new item in all three indexes: billed" in text


@pytest.mark.parametrize("broken, expected", [
    (_row("POST /session/heartbeat (ordinary)", {PERIOD: 1, SWEEP: 2}, "heartbeat"), "3 WU, budget exactly 1"),
    (_row("POST /session/heartbeat (ordinary)", {PERIOD: 2}, "heartbeat"), "2 WU, budget exactly 1"),
    (_row("POST /session/heartbeat (crossing)", {PERIOD: 1, SWEEP: 1}, "heartbeat_crossing"),
     "2 WU, budget exactly 3"),
    (_row("POST /session/events", {BATCHES: 1, "session_events/some_index": 4}, "events", items=[BATCHES],
          weight=1), "4 WU on indexes, budget 0"),
    (_row("POST /session/events", {SESSIONS: 2, BATCHES: 1}, "events", items=[SESSIONS, BATCHES],
          weight=3), "items written in ['session_events', 'sessions']"),
    (_row("POST /session/events", {SESSIONS: 10}, "events", items=[SESSIONS], weight=10),   # the whole story again
     "items written in ['sessions'], budget the call's batch alone"),
    (_row("POST /session/events", {BATCHES: 4}, "events", items=[BATCHES], weight=2),   # in a transaction
     "4 WU on the table, budget the batch's weight 2"),
    (_row("GET /learning/history", {SESSIONS: 1}, "read"), "1 WU, budget 0"),
    (_row("POST /session/switch-provider", {SESSIONS: 6}, documented={SESSIONS: 6, VIEW: 1}),
     "do not write the same tables and indexes: sessions/learning_history_view"),
])
def test_a_broken_budget_or_a_write_the_rules_do_not_make_fails_the_bench(broken, expected):
    failures = check(_good() + [broken])
    assert len(failures) == 1 and expected in failures[0] and broken.call in failures[0]
    assert ("OVER BUDGET" in render([broken])) is (broken.kind != "")


@pytest.mark.parametrize("kind", REQUIRED)
def test_a_budget_the_scenario_did_not_measure_fails(kind):
    failures = check([r for r in _good() if r.kind != kind])
    assert len(failures) == 1 and "no call measured for the budget" in failures[0]


class _Model:
    def __init__(self, name: str) -> None:
        self.name = name


def test_the_meter_asks_for_the_indexes_and_reads_each_writes_units():
    meter = RequestMeter(client=None, indexes=True)
    params = {"ReturnConsumedCapacity": "TOTAL"}   # what speakpho.ddb_calls asks for first
    meter._ask_capacity(params, _Model("UpdateItem"))
    assert params["ReturnConsumedCapacity"] == "INDEXES"
    meter._record_capacity({"ConsumedCapacity": {
        "TableName": "periods", "CapacityUnits": 3.0, "Table": {"CapacityUnits": 1.0},
        "GlobalSecondaryIndexes": {"active_by_sweep": {"CapacityUnits": 2.0}}}}, _Model("UpdateItem"))
    meter._record_capacity({"ConsumedCapacity": [{
        "TableName": "sessions", "CapacityUnits": 5.0, "WriteCapacityUnits": 5.0,
        "Table": {"WriteCapacityUnits": 4.0, "CapacityUnits": 4.0},
        "GlobalSecondaryIndexes": {"view": {"WriteCapacityUnits": 1.0, "CapacityUnits": 1.0}}}]},
        _Model("TransactWriteItems"))
    meter._record_capacity({"ConsumedCapacity": {"TableName": "sessions", "CapacityUnits": 0.5,
                                                 "Table": {"CapacityUnits": 0.5}}}, _Model("GetItem"))
    assert meter.write_units == {("periods", None): 1, ("periods", "active_by_sweep"): 2,
                                 ("sessions", None): 4, ("sessions", "view"): 1}
    assert meter.capacity == 8.5


def test_the_rules_check_finds_an_engine_that_does_not_bill_indexes():
    from moto import mock_aws

    with mock_aws():   # moto reports the table's units only
        found = capacity_rules.probe(boto3.client("dynamodb", region_name="us-east-1"))
    assert any(d.startswith("a new item in all three indexes: billed {'table': 1.0}") for d in found)


def test_dynoxide_bills_as_dynamodb_documents():
    from local import dynoxide

    try:
        proc, endpoint = dynoxide.start()
    except dynoxide.DynoxideUnavailable as exc:
        pytest.skip(str(exc))
    try:
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
        assert capacity_rules.probe(client) == []
        weigh = capacity_rules.Weigher(client)
        small, big = {"sessionId": {"S": "s"}}, {"sessionId": {"S": "s"}, "story": {"S": "x" * 2500}}
        assert (weigh.units({"sessionId": {"S": "s"}}, small, big), weigh.units(small, small)) == (3, 1)
    finally:
        proc.terminate()
        proc.wait()

"""The common-mistakes stream consumer (admin/mistakes_stream.py) against dynoxide (real conditions
and transactions, DynamoDB's limits): the same records handled by several invocations at once (a
retried batch racing its first run) count each correction once and leave exact top maps; a batch
of 150 corrections over 30 topics is split into transactions DynamoDB accepts."""
from __future__ import annotations

import uuid

import pytest

from speakpho import ddb
from test_races import run_together

pytestmark = pytest.mark.race

DAY_MS = 86_400_000
CREATED = 1_794_333_600_000            # 2026-11-10T18:00Z (each test its own day: the tables are shared)
CATEGORIES = ("grammar", "vocabulary", "tone", "word_order", "pronunciation")


def _records(client, topics: list[str], day: int, per: int = 5) -> list[dict]:
    """A session end per topic: `per` corrections of the same `per` pairs, each session a new learner."""
    from speakpho.table_setup import table_name
    from speakpho.tables import SESSIONS

    run, records = uuid.uuid4().hex[:6], []
    for n, topic in enumerate(topics):
        session_id, user = f"mistakes-{run}-{n}", f"learner-{run}-{n}"
        client.put_item(TableName=table_name(SESSIONS), Item=ddb.serialize(
            {"sessionId": session_id, "userId": user, "topic": topic, "difficulty": "beginner"}))
        for i in range(per):
            image = {"userId": user, "correctionId": f"c-{run}-{n}-{i}", "sessionId": session_id,
                     "original": f"sai {i}", "correction": f"đúng {i}", "category": CATEGORIES[i % 5],
                     "createdAt": CREATED + day * DAY_MS, "version": 1}
            records.append({"eventName": "INSERT", "dynamodb": {
                "Keys": ddb.serialize({"userId": user, "correctionId": image["correctionId"]}),
                "NewImage": ddb.serialize(image), "SequenceNumber": str(len(records) + 1)}})
    return records


def _deliver(records: list[dict]) -> None:
    """As the event source mapping does: again from the first failed record, until none fails."""
    from admin.mistakes_stream import process

    for _ in range(5):
        failed = {f["itemIdentifier"] for f in process(records)["batchItemFailures"]}
        if not failed:
            return
        records = [r for r in records if r["dynamodb"]["SequenceNumber"] in failed]
    raise AssertionError("the records kept failing")


def _sketch_estimate(records: list[dict]) -> int:
    """The learners' estimate of one sketch that holds every learner of `records`."""
    from admin.mistakes import sketch

    learners = {ddb.deserialize(r["dynamodb"]["NewImage"])["userId"] for r in records}
    return sketch.estimate(sketch.of_elements(sketch.element(learner) for learner in learners))


def _stats(day: int, **filters) -> dict:
    from admin.mistakes.stats import mistakes_stats
    from admin.mistakes_store import mistakes_store

    on = f"2026-11-{10 + day}"
    return mistakes_stats(mistakes_store(), day_from=on, day_to=on, **filters)


def test_racing_deliveries_of_the_same_records_count_once(real_dynamodb):
    records = _records(real_dynamodb, ["food"] * 4 + ["travel"] * 2, day=0)
    run_together(4, lambda i: _deliver(records))
    everyone = _stats(0)
    assert everyone["byCategory"] == {category: 6 for category in CATEGORIES}
    assert [p["count"] for p in everyone["topPairs"]] == [6] * 5
    # Every pair had the same 6 learners, spread over the shards: the estimate is that of their one
    # sketch (the shards' sketches merged), whose own error at 6 depends on the random ids.
    assert {p["learners"] for p in everyone["topPairs"]} == {_sketch_estimate(records)}
    food = _stats(0, topic="food")
    assert food["byCategory"] == {category: 4 for category in CATEGORIES}
    assert {(p["original"], p["count"]) for p in food["topPairs"]} == {(f"sai {i}", 4) for i in range(5)}


def test_a_batch_bigger_than_a_transaction_is_split_into_accepted_ones(real_dynamodb):
    from local.ddb_meter import RequestMeter

    records = _records(real_dynamodb, [f"topic {n}" for n in range(30)], day=2)
    with RequestMeter(real_dynamodb) as meter:
        _deliver(records)
    assert meter.ops["TransactWriteItems"] >= 2
    assert _stats(2)["byCategory"] == {category: 30 for category in CATEGORIES}
    assert [p["count"] for p in _stats(2)["topPairs"]] == [30] * 5
    assert [p["count"] for p in _stats(2, topic="topic 7")["topPairs"]] == [1] * 5

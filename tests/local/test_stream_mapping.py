"""The event source mapping's rules (local.stream_mapping), without any engine: a fake
function answers batchItemFailures (or raises), and a fake shard hands over the records
after the mapping's position, as local.stream_reader does."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from local.stream_mapping import MAX_ATTEMPTS, EventSourceMapping, first_failed_index
from local.stream_reader import parents_first

ARN = "arn:aws:dynamodb:local:000000000000:table/sessions/stream/1"
SHARD = "shard-1"


def record(seq: str) -> dict:
    return {"eventName": "MODIFY", "dynamodb": {"SequenceNumber": seq, "Keys": {"sessionId": {"S": f"s{seq}"}}}}


class FakeFunction:
    """Fails a record in batchItemFailures as long as `fail[seq]` > 0 (one less per delivery),
    raises while `raise_on[seq]` > 0 for a batch holding that record (a function error)."""

    def __init__(self, fail: dict[str, int], raise_on: dict[str, int], reverse: bool = False,
                 unknown: tuple[str, ...] = ()) -> None:
        self.fail = dict(fail)
        self.unknown = unknown
        self.raise_on = dict(raise_on)
        self.reverse = reverse
        self.calls: list[list[str]] = []

    def __call__(self, event: dict) -> dict:
        assert all(r["eventSourceARN"] == ARN for r in event["Records"])
        sequence = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        self.calls.append(sequence)
        for seq in sequence:
            if self.raise_on.get(seq, 0) > 0:
                self.raise_on[seq] -= 1
                raise RuntimeError(f"handler crashed on {seq}")
        failed = [seq for seq in sequence if self.fail.get(seq, 0) > 0]
        for seq in failed:
            self.fail[seq] -= 1
        if self.reverse:
            failed.reverse()
        return {"batchItemFailures": [{"itemIdentifier": seq} for seq in [*failed, *self.unknown]]}


@dataclass
class Case:
    name: str
    records: int
    drains: int
    calls: list[list[int]]              # sequence numbers of each invocation, in order
    delivered: list[int]                # what each drain returns
    position: int | None                # the shard's position at the end
    fail: dict[int, int] = field(default_factory=dict)
    raise_on: dict[int, int] = field(default_factory=dict)
    reverse: bool = False
    unknown: tuple[str, ...] = ()       # identifiers reported that are in no batch
    batch_size: int = 3
    max_attempts: int = MAX_ATTEMPTS


FOREVER = 1000
CASES = [
    Case("every batch succeeds: the position moves to the last record",
         records=7, drains=2, calls=[[1, 2, 3], [4, 5, 6], [7]], delivered=[7, 0], position=7),
    Case("a reported failure keeps the records before it and stops; redelivery starts at it",
         records=7, drains=2, fail={5: 1}, calls=[[1, 2, 3], [4, 5, 6], [5, 6, 7]], delivered=[4, 3], position=7),
    Case("several failures: redelivery from the earliest, whatever the report's order",
         records=7, drains=2, fail={6: 1, 5: 1}, reverse=True,
         calls=[[1, 2, 3], [4, 5, 6], [5, 6, 7]], delivered=[4, 3], position=7),
    Case("a failure on a batch's first record leaves the position where it was",
         records=4, drains=2, fail={1: 1}, calls=[[1, 2, 3], [1, 2, 3], [4]], delivered=[0, 4], position=4),
    Case("an identifier not in the batch is not a failure",
         records=2, drains=1, unknown=("9",), calls=[[1, 2]], delivered=[2], position=2),
    Case("a function error fails the whole batch from its first record",
         records=5, drains=2, raise_on={4: 1}, calls=[[1, 2, 3], [4, 5], [4, 5]], delivered=[3, 2], position=5),
    Case("a poison record is given up after max_attempts deliveries, then the rest follows",
         records=4, drains=4, fail={2: FOREVER},
         calls=[[1, 2, 3], [2, 3, 4], [2, 3, 4], [3, 4]], delivered=[1, 0, 1, 2], position=4),
    Case("max_attempts=1: a failed record is skipped at once",
         records=3, drains=2, fail={2: FOREVER}, max_attempts=1, calls=[[1, 2, 3], [3]], delivered=[2, 1],
         position=3),
    Case("a function error on every delivery is given up too",
         records=2, drains=4, raise_on={1: FOREVER}, batch_size=1,
         calls=[[1], [1], [1], [2]], delivered=[0, 0, 1, 1], position=2),
    Case("nothing pending: no invocation", records=0, drains=1, calls=[], delivered=[0], position=None),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_mapping_batches_retries_and_gives_up(case: Case):
    records = [record(str(i)) for i in range(1, case.records + 1)]
    function = FakeFunction({str(k): v for k, v in case.fail.items()},
                            {str(k): v for k, v in case.raise_on.items()}, reverse=case.reverse,
                            unknown=case.unknown)
    mapping = EventSourceMapping(function, batch_size=case.batch_size, max_attempts=case.max_attempts)

    delivered = []
    for _ in range(case.drains):
        position = mapping.position(SHARD)
        after = 0 if position is None else int(position)
        delivered.append(mapping.deliver(SHARD, records[after:], ARN) if records[after:] else 0)

    assert function.calls == [[str(s) for s in call] for call in case.calls]
    assert delivered == case.delivered
    assert mapping.position(SHARD) == (None if case.position is None else str(case.position))
    assert mapping.records_delivered == sum(case.delivered)


def test_attempts_are_counted_per_failed_record_until_given_up(caplog):
    function = FakeFunction({"2": FOREVER}, {})
    mapping = EventSourceMapping(function, batch_size=10, max_attempts=3)
    records = [record(str(i)) for i in (1, 2, 3)]
    assert mapping.deliver(SHARD, records, ARN) == 1
    assert mapping.attempts == {"2": 1} and mapping.position(SHARD) == "1"
    assert mapping.deliver(SHARD, records[1:], ARN) == 0
    assert mapping.attempts == {"2": 2} and mapping.position(SHARD) == "1"
    with caplog.at_level(logging.ERROR, logger="local.stream_mapping"):
        assert mapping.deliver(SHARD, records[1:], ARN) == 1
    assert mapping.attempts == {} and mapping.position(SHARD) == "2"
    assert [r.getMessage() for r in caplog.records] == ["stream pump: giving up on record 2 after 3 attempts"]


def test_shards_keep_their_own_positions_and_rewind():
    mapping = EventSourceMapping(FakeFunction({}, {}))
    mapping.deliver("a", [record("1"), record("2")], ARN)
    mapping.deliver("b", [record("7")], ARN)
    assert (mapping.position("a"), mapping.position("b"), mapping.position("c")) == ("2", "7", None)
    mapping.rewind("a")     # the position aged out of the stream: read from the oldest record kept
    assert mapping.position("a") is None and mapping.position("b") == "7"


@pytest.mark.parametrize("sequence,failed,expected", [
    (["1", "2", "3"], [], None),
    (["1", "2", "3"], ["3", "2"], 1),
    (["1", "2", "3"], ["9"], None),
    (["1", "2", "3"], [None, "3"], 2),
])
def test_first_failed_index(sequence, failed, expected):
    assert first_failed_index(sequence, failed) == expected


@pytest.mark.parametrize("shards,order", [
    ([{"ShardId": "child", "ParentShardId": "parent"}, {"ShardId": "parent"}], ["parent", "child"]),
    ([{"ShardId": "c2", "ParentShardId": "c1"}, {"ShardId": "c1", "ParentShardId": "p"}, {"ShardId": "p"}],
     ["p", "c1", "c2"]),
    # The parent aged out of the stream (not listed): its child is not held back.
    ([{"ShardId": "child", "ParentShardId": "gone"}, {"ShardId": "other"}], ["child", "other"]),
    # A cycle (never from DynamoDB) still lists every shard once.
    ([{"ShardId": "a", "ParentShardId": "b"}, {"ShardId": "b", "ParentShardId": "a"}], ["a", "b"]),
])
def test_shards_are_read_parents_first(shards, order):
    assert [s["ShardId"] for s in parents_first(shards)] == order

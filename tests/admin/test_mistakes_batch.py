"""admin.mistakes.batch against an in-memory store with DynamoDB's rules (a transaction of at most
100 items, each once; conditional ledger rows and top maps): a session end is one transaction and
one top write per cell; a batch too big for one transaction is split and counted once; a lost race
is planned again; a failure stops the batch at the first record not done, and delivering the rest
again finishes the job exactly; the handler answers the failed record and every later one."""
from __future__ import annotations

import pytest

from admin.mistakes import sketch
from admin.mistakes.batch import TRANSACTION_ITEMS, Change, apply_batch
from admin.mistakes.counts import counted, pair_row
from admin.mistakes.ledger import APPLIED, SKIPPED, UNCHANGED
from speakpho.errors import ConditionLost

DAY_MS = 1_794_333_600_000          # 2026-11-10T18:00Z


class FakeStore:
    def __init__(self) -> None:
        self.ledgers: dict = {}
        self.sessions: dict = {}
        self.cells: dict = {}
        self.pairs: dict = {}        # (cell, pair) -> {n, seq, o, c, cat, learners}
        self.tops: dict = {}         # cell -> (top, version)
        self.commits: list[dict] = []
        self.top_writes: list = []
        self.fail_commit = None      # callable(commit number) -> exception to raise, or None
        self.fail_top = set()        # cells whose top write raises

    def get_ledgers(self, ids):
        return {i: dict(self.ledgers[i]) for i in ids if i in self.ledgers}

    def session_contexts(self, ids):
        return {i: self.sessions[i] for i in ids if i in self.sessions}

    def commit_mistakes(self, *, ledgers, cell_deltas, pair_deltas, pair_learners, pair_texts):
        rows = {(pair_row(cell), pair) for cell, pair in pair_deltas}
        assert len(cell_deltas) + len(rows) + len(ledgers) <= TRANSACTION_ITEMS
        self.commits.append({"ledgers": dict(ledgers), "cells": dict(cell_deltas)})
        failure = self.fail_commit and self.fail_commit(len(self.commits))
        if failure:
            raise failure
        for cid, (seen, _) in ledgers.items():
            if (self.ledgers.get(cid) or {}).get("appliedVersion") != seen:
                raise ConditionLost("ledger changed")
        for cid, (_, row) in ledgers.items():
            self.ledgers[cid] = dict(row)
        for cell, counters in cell_deltas.items():
            held = self.cells.setdefault(cell, {})
            for name, value in counters.items():
                held[name] = held.get(name, 0) + value
        for key, delta in pair_deltas.items():
            row = self.pairs.setdefault(key, {"n": 0, "seq": 0, "learners": set(), **pair_texts.get(key[1], {})})
            row["n"] += delta
            row["seq"] += 1
            row["learners"] |= pair_learners.get(key, set())

    def refresh_rows(self, cells, pairs):
        return ({cell: self.tops.get(cell, ({}, None)) for cell in cells},
                {key: dict(self.pairs[key]) for key in pairs if key in self.pairs})

    def put_cell_top(self, cell, top, seen_version):
        if cell in self.fail_top:
            raise RuntimeError("throttled")
        if self.tops.get(cell, ({}, None))[1] != seen_version:
            raise ConditionLost("top changed")
        self.top_writes.append(cell)
        self.tops[cell] = (top, (seen_version or 0) + 1)


def creation(n: int, i: int, *, topic: str = "food", pair: int | None = None) -> tuple[Change, dict]:
    session = {"topic": topic, "difficulty": "beginner"}
    k = i if pair is None else pair
    image = {"userId": f"u{n}", "correctionId": f"c-{n}-{i}", "sessionId": f"s{n}", "original": f"sai {k}",
             "correction": f"đúng {k}", "category": "grammar", "createdAt": DAY_MS, "version": 1}
    return Change(image["correctionId"], image, None), session


def session_ends(store: FakeStore, sessions: int, per: int = 5, **kw) -> list[Change]:
    changes = []
    for n in range(sessions):
        for i in range(per):
            change, session = creation(n, i, **kw)
            store.sessions[f"s{n}"] = session
            changes.append(change)
    return changes


def snapshot(store: FakeStore) -> tuple:
    return ({c: dict(v) for c, v in store.cells.items()}, {k: (v["n"], frozenset(v["learners"]))
                                                           for k, v in store.pairs.items()},
            {c: top for c, (top, _) in store.tops.items()})


def test_a_session_end_is_one_transaction_and_one_top_write_per_cell():
    store = FakeStore()
    result = apply_batch(store, session_ends(store, 1))
    assert result.failed_at is None and result.outcomes == [APPLIED] * 5
    assert len(store.commits) == 1 and len(store.commits[0]["ledgers"]) == 5
    assert sorted(store.top_writes) == sorted(store.cells) and len(store.cells) == 4
    everyone = store.tops[("2026-11-10", "*", "*")][0]
    assert sorted(e["n"] for e in everyone.values()) == [1] * 5
    assert all(sketch.estimate(e["l"]) == 1 for e in everyone.values())


def test_a_batch_bigger_than_a_transaction_is_split_and_a_replay_counts_nothing():
    store = FakeStore()
    changes = session_ends(store, 12, per=5, pair=None)          # 12 sessions: 60 corrections
    changes += [creation(100 + n, 0, topic=f"topic {n}")[0] for n in range(30)]   # 30 more topics
    store.sessions.update({f"s{100 + n}": {"topic": f"topic {n}", "difficulty": "beginner"} for n in range(30)})
    result = apply_batch(store, changes)
    assert result.failed_at is None and set(result.outcomes) == {APPLIED}
    assert len(store.commits) > 1
    assert store.cells[("2026-11-10", "*", "*")]["cat_grammar"] == 90
    before = snapshot(store)
    writes = len(store.top_writes)
    replay = apply_batch(store, changes)
    assert set(replay.outcomes) == {SKIPPED} and snapshot(store) == before and len(store.top_writes) == writes


def test_a_creation_and_its_lapse_in_one_batch_write_one_ledger_row():
    store = FakeStore()
    change, session = creation(1, 0)
    store.sessions["s1"] = session
    reviewed = {**change.new_image, "version": 2, "reviewLog": [[DAY_MS + 86_400_000, 1]]}
    result = apply_batch(store, [change, Change(change.correction_id, reviewed, change.new_image)])
    assert result.outcomes == [APPLIED, APPLIED] and len(store.commits) == 1
    assert store.ledgers["c-1-0"]["appliedVersion"] == 2 and store.ledgers["c-1-0"]["lapses"] == 1
    assert store.cells[("2026-11-11", "*", "*")] == {"lapse_grammar": 1}
    assert store.cells[("2026-11-10", "*", "*")] == {"cat_grammar": 1}


def test_a_removal_takes_the_creation_back_and_its_pair_leaves_the_top_maps():
    store = FakeStore()
    changes = session_ends(store, 1, per=2)
    apply_batch(store, changes)
    removed = changes[0].new_image
    result = apply_batch(store, [Change(removed["correctionId"], None, removed)])
    assert result.outcomes == [APPLIED]
    assert store.cells[("2026-11-10", "*", "*")] == {"cat_grammar": 1}
    pair = counted(removed, store.sessions["s0"]).pair
    assert all(pair not in top for top, _ in store.tops.values())


def test_a_ledger_row_changed_by_another_delivery_is_read_again():
    store = FakeStore()
    changes = session_ends(store, 2)

    def race(number):         # another delivery of the second session's records commits first
        if number == 1:
            for cid in [c.correction_id for c in changes[5:]]:
                store.ledgers[cid] = {"appliedVersion": 1, "counted": True, **_fields(store, cid, changes)}
        return None

    store.fail_commit = race
    result = apply_batch(store, changes)
    assert result.failed_at is None and result.outcomes == [APPLIED] * 5 + [SKIPPED] * 5
    assert len(store.commits) == 2 and len(store.commits[1]["ledgers"]) == 5


def _fields(store, cid, changes):
    image = next(c.new_image for c in changes if c.correction_id == cid)
    target = counted(image, store.sessions[image["sessionId"]])
    return {"day": target.day, "topic": target.topic, "difficulty": target.difficulty, "category": target.category,
            "pair": target.pair, "lapses": 0}


def test_a_failed_transaction_stops_the_batch_and_the_next_delivery_finishes_it():
    store = FakeStore()
    changes = session_ends(store, 1) + [creation(9, i, topic=f"t{i}")[0] for i in range(40)]
    store.sessions["s9"] = {"topic": "x", "difficulty": "beginner"}
    store.fail_commit = lambda number: RuntimeError("throttled") if number == 2 else None
    result = apply_batch(store, changes)
    first_group = len(store.commits[0]["ledgers"])
    assert result.failed_at == first_group and result.outcomes == [APPLIED] * first_group
    assert store.cells[("2026-11-10", "*", "*")]["cat_grammar"] == first_group
    assert ("2026-11-10", "*", "*") in store.tops           # the done records' top maps are refreshed
    store.fail_commit = None
    again = apply_batch(store, changes[result.failed_at:])
    assert again.failed_at is None
    assert store.cells[("2026-11-10", "*", "*")]["cat_grammar"] == len(changes)


def test_a_failed_top_write_answers_the_first_record_that_needs_it():
    store = FakeStore()
    changes = session_ends(store, 1) + session_ends(store, 2)[5:]     # s0 then s1 (food, beginner both)
    store.sessions["s1"] = {"topic": "travel", "difficulty": "beginner"}
    store.fail_top = {("2026-11-10", "travel", "beginner")}
    result = apply_batch(store, changes)
    assert result.failed_at == 5 and result.outcomes == [APPLIED] * 5
    store.fail_top = set()
    again = apply_batch(store, changes[5:])                               # delivered again: counted already
    assert again.outcomes == [SKIPPED] * 5
    assert len(store.tops[("2026-11-10", "travel", "beginner")][0]) == 5
    assert store.cells[("2026-11-10", "*", "*")]["cat_grammar"] == 10


def test_rows_that_never_count_are_not_read():
    store = FakeStore()
    calls = []
    store.get_ledgers = lambda ids: calls.append(ids) or {}
    stats_row = {"userId": "u1", "correctionId": "#stats", "version": 3}
    imported = {"userId": "u1", "correctionId": "c-9", "original": "a", "correction": "b", "createdAt": DAY_MS}
    result = apply_batch(store, [Change("#stats", stats_row, stats_row), Change("c-9", imported, None)])
    assert result.outcomes == [UNCHANGED, UNCHANGED] and calls == [] and store.commits == []


@pytest.mark.parametrize("bad", [1, 3])
def test_the_handler_answers_the_failed_record_and_every_later_one(bad):
    from admin.mistakes_stream import process
    from speakpho import ddb

    store = FakeStore()
    changes = session_ends(store, 1)
    records = [{"dynamodb": {"Keys": ddb.serialize({"userId": c.new_image["userId"], "correctionId": c.correction_id}),
                             "NewImage": ddb.serialize(c.new_image), "SequenceNumber": str(100 + i)}}
               for i, c in enumerate(changes)]
    records[bad]["dynamodb"]["Keys"] = ddb.serialize({"userId": "u0"})          # no correctionId
    answer = process(records, store)
    assert answer["batchItemFailures"] == [{"itemIdentifier": str(100 + i)} for i in range(bad, 5)]
    assert len(store.ledgers) == bad


def test_a_batch_counts_in_one_write_shard_and_a_removal_takes_it_back_there():
    """MISTAKES_SHARDS: a batch's new counts go to one shard, crc32(its first correction id) %
    shards (shard 0: the unsuffixed cell), whatever their sessions; the ledger row keeps it, so a
    removal takes the count back from that shard even after the setting changed and from another
    batch's shard; a row counted before sharding (no shard) is shard 0."""
    from admin.mistakes.batch import batch_shard
    from speakpho.tables import shard_of

    store = FakeStore()
    store.mistakes_shards = 5
    changes = session_ends(store, 6, per=1)
    first = batch_shard(changes, 5)
    assert first == shard_of(changes[0].correction_id, 5) != 0
    result = apply_batch(store, changes)
    assert result.outcomes == [APPLIED] * 6 and len(store.commits) == 1
    cell = ("2026-11-10", "*", "*", first) if first else ("2026-11-10", "*", "*")
    assert [k for k in store.cells if k[1:3] == ("*", "*")] == [cell] and store.cells[cell]["cat_grammar"] == 6
    assert cell in store.tops
    assert {store.ledgers[f"c-{n}-0"].get("shard", 0) for n in range(6)} == {first}
    store.mistakes_shards = 3                                  # the setting changed since
    removed = changes[1].new_image
    removal = [Change(removed["correctionId"], None, removed)]
    assert batch_shard(removal, 3) != first                   # this batch's own shard is another one
    assert apply_batch(store, removal).outcomes == [APPLIED]
    assert store.cells[cell]["cat_grammar"] == 5
    assert sum(c.get("cat_grammar", 0) for k, c in store.cells.items() if k[1:3] == ("*", "*")) == 5
    old = FakeStore()                                          # a ledger row from before sharding
    old.mistakes_shards = 8
    change, session = creation(7, 0)
    old.ledgers["c-7-0"] = {"appliedVersion": 1, "counted": True, "day": "2026-11-10", "topic": "food",
                            "difficulty": "beginner", "category": "grammar", "pair": "p", "lapses": 0}
    apply_batch(old, [Change("c-7-0", None, change.new_image)])
    assert old.cells[("2026-11-10", "*", "*")] == {"cat_grammar": -1}

"""One delivery of the corrections stream, counted with few requests (docs/admin.md "Common
mistakes", "Cost"):

1. reads: the ledger rows of the batch's corrections (consistent, 100 a request) and, for the
   corrections without one, their sessions' topic and difficulty (one request);
2. counting: the records folded in order against the ledger rows (admin.mistakes.ledger.step),
   their deltas summed per item, one transaction per group of consecutive records that fits in
   TRANSACTION_ITEMS items (a session end's 5 corrections: 4 cells, 10 pair counters, 5 ledger
   rows); each ledger row conditioned on the version read, so a replay counts nothing;
3. the top maps of the cells the batch's creations and removals touched: each refreshed once
   (admin.mistakes.refresh).

A transaction lost to a ledger row that changed (another delivery of the same records) is
planned again from its first record, with the rows read again. A failure (a read, a transaction,
a record that cannot be read, a top map) stops the batch at the first record not done: the answer
names it, the stream delivers it and every later record again (ledger: they count once; their
top maps are refreshed again), and the records before it are done, top maps included.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from speakpho.errors import ConditionLost
from speakpho.tables import is_correction_id, shard_of

from admin.health.ledger import LEDGER_ATTEMPTS
from admin.mistakes import refresh
from admin.mistakes.counts import counted, pair_row
from admin.mistakes.ledger import APPLIED, Step, step

if TYPE_CHECKING:
    from admin.mistakes.ports import MistakesLedger, MistakesTops

TRANSACTION_ITEMS = 100          # DynamoDB's limit of items in one TransactWriteItems


@dataclass(frozen=True)
class Change:
    """One stream record: the correction's id and its images."""
    correction_id: str
    new_image: dict | None
    old_image: dict | None

    @property
    def session_id(self) -> str | None:
        session = (self.new_image or self.old_image or {}).get("sessionId")
        return str(session) if session else None

    @property
    def may_count(self) -> bool:
        """False for a learner's own rows (#stats...) and a correction without a session in
        either image (an import): neither was ever counted, so their ledger rows are not read."""
        return is_correction_id(self.correction_id) and any(
            (image or {}).get("sessionId") for image in (self.new_image, self.old_image))


@dataclass
class Group:
    """The records of one transaction: the ledger rows (version read, row to write) and the
    deltas summed per item."""
    first: int
    ledgers: dict = field(default_factory=dict)
    cells: dict = field(default_factory=dict)
    pairs: dict = field(default_factory=dict)
    learners: dict = field(default_factory=dict)
    texts: dict = field(default_factory=dict)

    def items_with(self, correction_id: str, record: Step) -> int:
        cells = self.cells.keys() | record.cells.keys()
        rows = {(pair_row(cell), pair) for cell, pair in self.pairs.keys() | record.pairs.keys()}
        return len(cells) + len(rows) + len(self.ledgers.keys() | {correction_id})

    def add(self, correction_id: str, seen_version: int | None, record: Step, texts: dict) -> None:
        seen = self.ledgers.get(correction_id, (seen_version, None))[0]
        self.ledgers[correction_id] = (seen, record.ledger)
        for cell, counters in record.cells.items():
            summed = self.cells.setdefault(cell, {})
            for name, value in counters.items():
                summed[name] = summed.get(name, 0) + value
        for key, delta in record.pairs.items():
            self.pairs[key] = self.pairs.get(key, 0) + delta
        for key, element in record.learners.items():
            self.learners.setdefault(key, set()).add(element)
        self.texts.update(texts)


@dataclass
class Planned:
    groups: list[Group]
    outcomes: list[str]                  # from the plan's first record on
    work: list[tuple[list, str] | None]  # the cells and pair whose top maps follow each record
    stop: int | None = None              # a record that could not be planned
    error: Exception | None = None


@dataclass
class BatchResult:
    outcomes: list[str]                  # of the records done, in order (the first len(outcomes))
    failed_at: int | None = None         # the first record not done; it and every later one come back
    error: Exception | None = None


def _context(ledger: dict | None, change: Change, sessions: dict, shard: int = 0) -> dict | None:
    """The topic, difficulty and write shard a correction counts under: its ledger row's (as first
    counted; a row without a shard was counted before sharding: shard 0), else its session's
    topic and difficulty in the batch's write shard `shard`."""
    if ledger and ledger.get("topic") is not None:
        return {"topic": ledger["topic"], "difficulty": ledger.get("difficulty"),
                "shard": int(ledger.get("shard") or 0)}
    if not change.session_id:
        return None
    return {**(sessions.get(change.session_id) or {}), "shard": shard}


def batch_shard(changes: list[Change], shards: int) -> int:
    """The write shard of a delivery's new counts: crc32 of its first record's correction id %
    `shards` (Settings.mistakes_shards). One shard per batch, not per session: a batch of many
    sessions then writes its cells and refreshes their top maps once, as unsharded, while the
    batches of the stream's shards and of successive deliveries spread over the write shards."""
    return shard_of(changes[0].correction_id, shards) if changes else 0


def plan(changes: list[Change], start: int, ledgers: dict, sessions: dict, shard: int = 0) -> Planned:
    """The groups of changes[start:] against the ledger rows as read; new counts go to the write
    shard `shard` (batch_shard)."""
    rows = dict(ledgers)                                  # each correction's row as the plan goes
    versions = {cid: int(row.get("appliedVersion", 0)) for cid, row in ledgers.items()}   # as committed
    planned = Planned([Group(start)], [], [])
    for index in range(start, len(changes)):
        change = changes[index]
        try:
            context = _context(rows.get(change.correction_id), change, sessions, shard)
            target = counted(change.new_image, context)
            before = counted(change.old_image, context) if change.old_image else None
            record = step(rows.get(change.correction_id), target, change.new_image, change.old_image)
        except Exception as exc:  # noqa: BLE001 - a record that cannot be read stops the batch there
            planned.stop, planned.error = index, exc
            return planned
        if record.outcome == APPLIED:
            group = planned.groups[-1]
            if group.ledgers and group.items_with(change.correction_id, record) > TRANSACTION_ITEMS:
                versions.update({cid: row["appliedVersion"] for cid, (_, row) in group.ledgers.items()})
                group = Group(index)
                planned.groups.append(group)
            texts = {} if target is None else {target.pair: {"o": target.original, "c": target.correction,
                                                              "cat": target.category}}
            group.add(change.correction_id, versions.get(change.correction_id), record, texts)
            rows[change.correction_id] = record.ledger
        planned.outcomes.append(record.outcome)
        if target is not None and before is None:          # created: its cells' top maps take the pair
            planned.work.append((list(target.cell_keys()), target.pair))
        elif target is None and before is not None:        # removed
            planned.work.append((list(before.cell_keys()), before.pair))
        else:
            planned.work.append(None)
    return planned


def _read(store: MistakesLedger, changes: list[Change]) -> tuple[dict, dict]:
    counting = [change for change in changes if change.may_count]
    ledgers = store.get_ledgers(sorted({c.correction_id for c in counting})) if counting else {}
    sessions = sorted({c.session_id for c in counting if c.correction_id not in ledgers})
    return ledgers, (store.session_contexts(sessions) if sessions else {})


def _commit(store: MistakesLedger, planned: Planned, result: BatchResult, work: dict, start: int) -> int | None:
    """Commits the plan's groups in order, each record's outcome and top map work kept as its group
    commits. Answers the first record of a group lost to a changed ledger row (None: done, or
    failed: result.failed_at)."""
    for k, group in enumerate(planned.groups):
        end = planned.groups[k + 1].first if k + 1 < len(planned.groups) else start + len(planned.outcomes)
        if group.ledgers:
            try:
                store.commit_mistakes(ledgers=group.ledgers, cell_deltas=group.cells, pair_deltas=group.pairs,
                                      pair_learners=group.learners, pair_texts=group.texts)
            except ConditionLost:
                return group.first
            except Exception as exc:  # noqa: BLE001 - reported: the stream delivers the records again
                result.failed_at, result.error = group.first, exc
                return None
        for index in range(group.first, end):
            result.outcomes.append(planned.outcomes[index - start])
            found = planned.work[index - start]
            for cell in found[0] if found else ():
                work.setdefault(cell, {}).setdefault(found[1], index)
    if planned.stop is not None:
        result.failed_at, result.error = planned.stop, planned.error
    return None


def apply_batch(store: MistakesLedger | MistakesTops, changes: list[Change]) -> BatchResult:
    """Counts the changes (stream order) and refreshes their top maps. The store's
    `mistakes_shards` (1 when it has none) is the number of write shards; the batch's new counts
    go to one of them (batch_shard)."""
    result = BatchResult([])
    shard = batch_shard(changes, int(getattr(store, "mistakes_shards", 1) or 1))
    work: dict = {}                        # cell -> {pair: the first record that needs it}
    start, lost = 0, 0
    while start is not None and start < len(changes):
        try:
            ledgers, sessions = _read(store, changes[start:])
        except Exception as exc:  # noqa: BLE001 - reported: the stream delivers the records again
            result.failed_at, result.error = start, exc
            break
        planned = plan(changes, start, ledgers, sessions, shard)
        start = _commit(store, planned, result, work, start)
        if start is not None:                            # a ledger row changed: planned again from there
            lost += 1
            if lost >= LEDGER_ATTEMPTS:
                result.failed_at, result.error = start, RuntimeError("the mistakes ledger kept changing")
                break
    failed_at, error = refresh.refresh_tops(store, work)
    if failed_at is not None and (result.failed_at is None or failed_at < result.failed_at):
        result.failed_at, result.error = failed_at, error
        del result.outcomes[failed_at:]
    return result

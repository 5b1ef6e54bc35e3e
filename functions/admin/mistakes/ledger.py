"""The replay-safe ledger of the common-mistakes rollups: one row per correction holding what
was counted (its creation: day, topic, difficulty, category, pair; its lapses so far) and the
correction `version` it came from, rewritten in the same transaction as the deltas (the
pattern of admin.health.ledger). A replayed or older record changes nothing; a delta is taken
against what was counted, so a record skipped or delivered out of order leaves nothing wrong.
Pure functions: admin.mistakes.batch reads the rows and commits what `step` answers.

The row keeps the creation's fields after a removal (`counted` false): a replayed removal still
knows its cells without reading the session. The top maps (admin.mistakes.topk) are not counted
here: they are copied from the exact counters, so admin.mistakes.refresh redoes them after every
record that creates or removes a correction, replays included. A learner joins its pairs'
sketches with the creation's counters (adding a learner is idempotent anyway).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from admin.health.ledger import APPLIED, SKIPPED, UNCHANGED, record_version
from admin.mistakes import sketch
from admin.mistakes.counts import CATEGORY_PREFIX, LAPSE_PREFIX, Counted, cell_key, cell_parts, last_review_day

__all__ = ["APPLIED", "SKIPPED", "UNCHANGED", "Step", "deltas", "record_version", "step"]
CREATION_FIELDS = ("day", "topic", "difficulty", "category", "pair")
SHARD_FIELD = "shard"        # the write shard counted in; absent: 0 (rows written before sharding)


def _add(cells: dict, cell: tuple, name: str, value: int) -> None:
    counters = cells.setdefault(cell, {})
    counters[name] = counters.get(name, 0) + value


def deltas(ledger: dict | None, target: Counted | None, new_image: dict | None) -> tuple[dict, dict, dict]:
    """(cell deltas, pair deltas, the ledger's new counted fields) moving from `ledger` to `target`."""
    ledger = ledger or {}
    cells: dict = {}
    pairs: dict = {}
    was_counted = bool(ledger.get("counted"))
    counted_fields = {name: ledger[name] for name in (*CREATION_FIELDS, SHARD_FIELD) if name in ledger}
    if target is not None and not was_counted:
        for cell in target.cell_keys():
            _add(cells, cell, CATEGORY_PREFIX + target.category, 1)
            pairs[(cell, target.pair)] = 1
        counted_fields = {name: getattr(target, name) for name in CREATION_FIELDS}
        if target.shard:
            counted_fields[SHARD_FIELD] = target.shard
        was_counted = True
    elif target is None and was_counted:
        shard = int(ledger.get(SHARD_FIELD) or 0)            # removed from the shard it was counted in
        for topic, difficulty in cell_parts(ledger["topic"], ledger["difficulty"]):
            cell = cell_key(ledger["day"], topic, difficulty, shard)
            _add(cells, cell, CATEGORY_PREFIX + ledger["category"], -1)
            pairs[(cell, ledger["pair"])] = -1
        was_counted = False
    applied_lapses = int(ledger.get("lapses") or 0)
    lapses = applied_lapses
    if target is not None and target.lapses > applied_lapses:
        for cell in target.cell_keys(last_review_day(new_image)):
            _add(cells, cell, LAPSE_PREFIX + target.category, target.lapses - applied_lapses)
        lapses = target.lapses
    fields = {"counted": was_counted, **counted_fields, "lapses": lapses}
    return cells, pairs, fields


@dataclass
class Step:
    """What one record does: its outcome; when applied, the deltas and the ledger row to write
    (`ledger`), and the learner's element for each pair counter it adds to."""
    outcome: str
    cells: dict = field(default_factory=dict)
    pairs: dict = field(default_factory=dict)
    learners: dict = field(default_factory=dict)
    ledger: dict | None = None


def step(ledger: dict | None, target: Counted | None, new_image: dict | None, old_image: dict | None) -> Step:
    """The record's effect against the ledger row as it stands (None: none yet): "skipped" for
    a replayed or superseded record, "unchanged" when nothing counted changed (nothing to write)."""
    version = record_version(new_image, old_image)
    applied_version = None if ledger is None else int(ledger.get("appliedVersion", 0))
    if applied_version is not None and applied_version > version:
        return Step(SKIPPED)
    cells, pairs, fields = deltas(ledger, target, new_image)
    if not cells and not pairs:
        return Step(SKIPPED if applied_version == version else UNCHANGED)
    learner = str((new_image or {}).get("userId") or "")
    learners = {key: sketch.element(learner) for key, delta in pairs.items() if delta > 0 and learner}
    return Step(APPLIED, cells, pairs, learners, {"appliedVersion": version, **fields})

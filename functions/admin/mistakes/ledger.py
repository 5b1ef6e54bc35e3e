"""The replay-safe ledger of the common-mistakes rollups: one row per correction holding what
was counted (its creation: day, topic, difficulty, category, pair; its lapses so far) and the
correction `version` it came from, rewritten in the same transaction as the deltas (the
pattern of admin.health.ledger). A replayed or older record changes nothing; a delta is taken
against what was counted, so a record skipped or delivered out of order leaves nothing wrong.

The top maps and learner sketches (admin.mistakes.topk, sketch) are not counted here: they
are copied from the exact counters or idempotent, so the stream handler refreshes them after
every record that creates or removes a correction, replays included.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho.errors import ConditionLost

from admin.health.ledger import APPLIED, LEDGER_ATTEMPTS, SKIPPED, UNCHANGED, record_version
from admin.mistakes.counts import CATEGORY_PREFIX, LAPSE_PREFIX, Counted, cell_parts, last_review_day

if TYPE_CHECKING:
    from admin.mistakes.ports import MistakesLedger

__all__ = ["APPLIED", "SKIPPED", "UNCHANGED", "apply_correction_change", "deltas"]
CREATION_FIELDS = ("day", "topic", "difficulty", "category", "pair")


def _add(cells: dict, cell: tuple, name: str, value: int) -> None:
    counters = cells.setdefault(cell, {})
    counters[name] = counters.get(name, 0) + value


def deltas(ledger: dict | None, target: Counted | None, new_image: dict | None) -> tuple[dict, dict, dict]:
    """(cell deltas, pair deltas, the ledger's new counted fields) moving from `ledger` to `target`."""
    ledger = ledger or {}
    cells: dict = {}
    pairs: dict = {}
    was_counted = bool(ledger.get("counted"))
    counted_fields = {name: ledger.get(name) for name in CREATION_FIELDS} if was_counted else {}
    if target is not None and not was_counted:
        for topic, difficulty in target.cells():
            _add(cells, (target.day, topic, difficulty), CATEGORY_PREFIX + target.category, 1)
            pairs[((target.day, topic, difficulty), target.pair)] = 1
        counted_fields = {name: getattr(target, name) for name in CREATION_FIELDS}
    elif target is None and was_counted:
        for topic, difficulty in cell_parts(ledger["topic"], ledger["difficulty"]):
            _add(cells, (ledger["day"], topic, difficulty), CATEGORY_PREFIX + ledger["category"], -1)
            pairs[((ledger["day"], topic, difficulty), ledger["pair"])] = -1
        counted_fields = {}
    applied_lapses = int(ledger.get("lapses") or 0)
    lapses = applied_lapses
    if target is not None and target.lapses > applied_lapses:
        day = last_review_day(new_image)
        for topic, difficulty in target.cells():
            _add(cells, (day, topic, difficulty), LAPSE_PREFIX + target.category, target.lapses - applied_lapses)
        lapses = target.lapses
    fields = {"counted": bool(counted_fields), **counted_fields, "lapses": lapses}
    return cells, pairs, fields


def apply_correction_change(store: MistakesLedger, correction_id: str, target: Counted | None,
                            new_image: dict | None, old_image: dict | None) -> str:
    """"applied"; "skipped" for a replayed or superseded record; "unchanged" when nothing counted
    changed (nothing written then)."""
    version = record_version(new_image, old_image)
    for _ in range(LEDGER_ATTEMPTS):
        ledger = store.get_ledger(correction_id)
        applied_version = None if ledger is None else int(ledger.get("appliedVersion", 0))
        if applied_version is not None and applied_version > version:
            return SKIPPED
        cells, pairs, fields = deltas(ledger, target, new_image)
        if not cells and not pairs:
            return SKIPPED if applied_version == version else UNCHANGED
        texts = {} if target is None else {target.pair: {"o": target.original, "c": target.correction,
                                                          "cat": target.category}}
        try:
            store.commit_mistakes(correction_id=correction_id, seen_version=applied_version,
                                  ledger={"appliedVersion": version, **fields}, cell_deltas=cells,
                                  pair_deltas=pairs, pair_texts=texts)
        except ConditionLost:
            continue
        return APPLIED
    raise RuntimeError(f"mistakes ledger of correction {correction_id} kept changing; will retry")

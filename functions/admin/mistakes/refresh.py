"""After a record that creates or removes a correction: its learner goes into the pair's
sketch (idempotent), and each of its four day cells' top map takes the pair's exact count
(copied, so a repeat changes nothing). Run for replays too: a run that died after the ledger's
commit leaves these to the record's next delivery.

The pair row's `seq` grows with every change of its counter; a map entry carrying a newer
`seq` is never replaced by an older read, so two refreshes racing cannot leave a stale count.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho.errors import ConditionLost

from admin.mistakes import sketch, topk

if TYPE_CHECKING:
    from admin.mistakes.ports import Cell, MistakesTops

ATTEMPTS = 8


def add_learner(store: MistakesTops, cell: Cell, pair: str, learner: str) -> None:
    for _ in range(ATTEMPTS):
        row = store.get_pair(cell, pair) or {}
        seen = row.get("l")
        updated = sketch.add(seen, learner)
        if updated == seen:
            return
        try:
            store.put_pair_sketch(cell, pair, seen, updated)
            return
        except ConditionLost:
            continue
    raise RuntimeError("a pair's learner sketch kept changing; will retry")


def map_entry(row: dict | None) -> dict | None:
    if not row or int(row.get("n", 0)) <= 0:
        return None
    return {"o": row.get("o", ""), "c": row.get("c", ""), "cat": row.get("cat", ""), "n": int(row["n"]),
            "l": row.get("l") or sketch.EMPTY, "s": int(row.get("seq", 0))}


def refresh_top(store: MistakesTops, cell: Cell, pair: str) -> bool:
    """Puts the pair's count in the cell's top map; True when the map changed."""
    for _ in range(ATTEMPTS):
        entry = map_entry(store.get_pair(cell, pair))
        top, version = store.get_cell_top(cell)
        held = top.get(pair)
        if held and entry and int(held.get("s", 0)) > entry["s"]:
            return False                       # the map already holds a newer count
        updated = topk.refreshed(top, pair, entry)
        if updated is None:
            return False
        try:
            store.put_cell_top(cell, updated, version)
            return True
        except ConditionLost:
            continue
    raise RuntimeError("a day cell's top map kept changing; will retry")


def refresh_pair(store: MistakesTops, cells: list[Cell], pair: str, learner: str | None) -> None:
    for cell in cells:
        if learner:
            add_learner(store, cell, pair, learner)
        refresh_top(store, cell, pair)

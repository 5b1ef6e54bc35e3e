"""The top maps of a batch: after its records are counted, each day cell that a creation or a
removal touched takes the exact counts (and learner sketches) of the batch's pairs in it, copied
from their counters: one read for all the cells and pairs (admin.mistakes.ports.MistakesTops.
refresh_rows) and one conditional write per cell whose map changed. Copies, so a repeat changes
nothing: replays refresh too, and a run that died after counting leaves this to the next delivery.

The pair row's `seq` grows with every change of its counters; a map entry carrying a newer `seq`
is never replaced by an older read, so two refreshes racing cannot leave a stale count.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho.errors import ConditionLost

from admin.mistakes import sketch, topk

if TYPE_CHECKING:
    from admin.mistakes.ports import Cell, MistakesTops

ATTEMPTS = 8


def map_entry(row: dict | None) -> dict | None:
    """A top map entry from a pair's counter in one cell (None: not counted there)."""
    if not row or int(row.get("n", 0)) <= 0:
        return None
    return {"o": row.get("o", ""), "c": row.get("c", ""), "cat": row.get("cat", ""), "n": int(row["n"]),
            "l": sketch.of_elements(row.get("learners")), "s": int(row.get("seq", 0))}


def refreshed(top: dict, cell: Cell, pairs: list[str], rows: dict) -> dict | None:
    """The cell's map with each pair's count copied in; None when it does not change."""
    updated, changed = dict(top), False
    for pair in pairs:
        entry = map_entry(rows.get((cell, pair)))
        held = updated.get(pair)
        if held and entry and int(held.get("s", 0)) > entry["s"]:
            continue                                     # the map already holds a newer count
        found = topk.refreshed(updated, pair, entry)
        if found is not None:
            updated, changed = found, True
    return updated if changed else None


def _refresh_cell(store: MistakesTops, cell: Cell, pairs: list[str], top: dict, version: int | None,
                  rows: dict) -> None:
    for _ in range(ATTEMPTS):
        updated = refreshed(top, cell, pairs, rows)
        if updated is None:
            return
        try:
            store.put_cell_top(cell, updated, version)
            return
        except ConditionLost:
            tops, rows = store.refresh_rows([cell], [(cell, pair) for pair in pairs])
            top, version = tops.get(cell, ({}, None))
    raise RuntimeError("a day cell's top map kept changing; will retry")


def refresh_tops(store: MistakesTops, work: dict[Cell, dict[str, int]]) -> tuple[int | None, Exception | None]:
    """`work`: cell -> {pair: the first record that needs it}. Answers the first record whose
    refresh failed and why ((None, None): all done)."""
    if not work:
        return None, None
    cells = sorted(work)
    try:
        tops, rows = store.refresh_rows(cells, [(cell, pair) for cell in cells for pair in sorted(work[cell])])
    except Exception as exc:  # noqa: BLE001 - reported: the records come back
        return min(min(pairs.values()) for pairs in work.values()), exc
    failed: tuple[int | None, Exception | None] = (None, None)
    for cell in cells:
        try:
            _refresh_cell(store, cell, sorted(work[cell]), *tops.get(cell, ({}, None)), rows)
        except Exception as exc:  # noqa: BLE001 - reported: the records that need it come back
            first = min(work[cell].values())
            if failed[0] is None or first < failed[0]:
                failed = (first, exc)
    return failed

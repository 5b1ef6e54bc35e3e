"""What the common-mistakes domain needs from its stores (admin.mistakes_store implements them).
A day cell is named by (day, topic, difficulty); a store raises speakpho.errors.ConditionLost
when a conditional write finds the data changed."""
from __future__ import annotations

from typing import Protocol

Cell = tuple                         # (day, topic, difficulty), + shard when not 0 (counts.cell_key)
CellPair = tuple[Cell, str]          # a pair's counter in one day cell


class MistakesLedger(Protocol):
    # The write shards new counts go to (Settings.mistakes_shards; a cell is (day, topic,
    # difficulty, shard) in shard n > 0: admin.mistakes.counts.cell_key). A store without it: 1.
    mistakes_shards: int

    def get_ledgers(self, correction_ids: list[str]) -> dict[str, dict]:
        """The ledger rows of these corrections that exist (consistent reads), by correction id."""

    def session_contexts(self, session_ids: list[str]) -> dict[str, dict]:
        """The topic and difficulty of these sessions (those that exist), by session id."""

    def commit_mistakes(self, *, ledgers: dict[str, tuple[int | None, dict]], cell_deltas: dict[Cell, dict[str, int]],
                        pair_deltas: dict[CellPair, int], pair_learners: dict[CellPair, set[str]],
                        pair_texts: dict[str, dict]) -> None:
        """Adds the deltas to the day cells and the pairs' counters (and the learners' elements to
        their sketches) and writes each ledger row, at once, if every ledger row is still at the
        version given with it (None: none yet); else ConditionLost. One transaction: the caller
        keeps it within admin.mistakes.batch.TRANSACTION_ITEMS items (a pair's counters in the
        cells of one pair row, counts.pair_row, are one item)."""


class MistakesTops(Protocol):
    def refresh_rows(self, cells: list[Cell], pairs: list[CellPair]) -> tuple[dict[Cell, tuple[dict, int | None]],
                                                                                dict[CellPair, dict]]:
        """Consistent reads: each cell's top map and topVersion (({}, None): never written), and each
        pair's counter in its cell: {n, seq, o, c, cat, learners: set of sketch elements} (absent:
        never counted)."""

    def put_cell_top(self, cell: Cell, top: dict, seen_version: int | None) -> None:
        """Sets the cell's top map if its topVersion is still `seen_version`."""


class MistakeCells(Protocol):
    def mistake_cells(self, topic: str, difficulty: str, day_from: str, day_to: str) -> list[dict]:
        """The rows of (topic, difficulty)'s days in the range (inclusive): the counters' rows
        (cat_*, lapse_*) and the top maps' rows (`top`), at most two a day."""

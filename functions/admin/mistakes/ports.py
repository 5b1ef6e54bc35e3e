"""What the common-mistakes domain needs from its stores (admin.mistakes_store implements them).
A day cell is named by (day, topic, difficulty); a store raises speakpho.errors.ConditionLost
when a conditional write finds the data changed."""
from __future__ import annotations

from typing import Protocol

Cell = tuple[str, str, str]          # (day, topic, difficulty)


class MistakesLedger(Protocol):
    def get_ledger(self, correction_id: str) -> dict | None:
        """The correction's ledger row (consistent read), or None."""

    def commit_mistakes(self, *, correction_id: str, seen_version: int | None, ledger: dict,
                        cell_deltas: dict[Cell, dict[str, int]], pair_deltas: dict[tuple[Cell, str], int],
                        pair_texts: dict[str, dict]) -> None:
        """Adds the deltas to the day cells and the pairs' counters and writes the ledger row, at
        once, if the ledger is still at `seen_version`; else ConditionLost."""


class MistakesTops(Protocol):
    def get_pair(self, cell: Cell, pair: str) -> dict | None:
        """A day cell's pair counter row (consistent read): n, seq, o, c, cat, l."""

    def put_pair_sketch(self, cell: Cell, pair: str, seen: str | None, sketch: str) -> None:
        """Sets the pair's learner sketch if it is still `seen` (None: none yet)."""

    def get_cell_top(self, cell: Cell) -> tuple[dict, int | None]:
        """The cell's top map and its topVersion (None: never written)."""

    def put_cell_top(self, cell: Cell, top: dict, seen_version: int | None) -> None:
        """Sets the cell's top map if topVersion is still `seen_version`."""


class MistakeCells(Protocol):
    def mistake_cells(self, topic: str, difficulty: str, day_from: str, day_to: str) -> list[dict]:
        """The day cells of (topic, difficulty) in the range (inclusive), one per day at most."""

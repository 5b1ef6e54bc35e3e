"""GET /api/admin/corrections/stats's answer, from the day cells of a range: one cell per day
(the filter's (topic, difficulty) cell, "*" for no filter), its counters' row and its top map's
row, so its cost grows with the days, never with the corrections (366 days: 13 Queries, ~732
rows, the top maps a few KB each). A day whose counters' row still holds a top map of its own
(written before the top maps had rows of their own; frozen since) adds it: its pairs' counts
then are those of the two maps summed."""
from __future__ import annotations

from typing import TYPE_CHECKING

from admin.mistakes.counts import ALL, CATEGORY_PREFIX, LAPSE_PREFIX, difficulty_part, topic_part
from admin.mistakes.topk import TOP_PAIRS, merged_pairs, summed

if TYPE_CHECKING:
    from admin.mistakes.ports import MistakeCells


def cell_names(topic: str | None, difficulty: str | None) -> tuple[str, str]:
    """The (topic, difficulty) parts of the cells a filter reads."""
    return (topic_part(topic) if topic else ALL), (difficulty_part(difficulty) if difficulty else ALL)


def mistakes_stats(store: MistakeCells, *, day_from: str, day_to: str, topic: str | None = None,
                   difficulty: str | None = None, pairs: int = TOP_PAIRS) -> dict:
    cells = store.mistake_cells(*cell_names(topic, difficulty), day_from, day_to)
    return {"byCategory": summed(cells, CATEGORY_PREFIX),
            "topPairs": merged_pairs([row.get("top") for row in cells], limit=pairs),
            "lapsesByCategory": summed(cells, LAPSE_PREFIX)}

"""GET /api/admin/corrections/stats's answer, from the day cells of a range: one cell per day
(the filter's (topic, difficulty) cell, "*" for no filter), so its cost grows with the days,
never with the corrections (366 days: 12 Queries, ~366 items of at most a few KB)."""
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
            "topPairs": merged_pairs([cell.get("top") for cell in cells], limit=pairs),
            "lapsesByCategory": summed(cells, LAPSE_PREFIX)}

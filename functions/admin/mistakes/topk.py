"""A day cell's bounded top-K pairs, and the merge of many days. Pure functions.

Each pair of a day cell has an exact counter of its own (in a row the route never reads); the
cell keeps the TOP_K pairs with the highest counters in its `top` map (a row of its own): {pair
id: {o, c, cat, n, l, s}} (original, correction, category, the day's count, the day's learner
sketch in its compact form, the counter row's seq). After a pair's counter changes, `refreshed`
puts its absolute count in the map (values copied, never added, so a repeated refresh changes
nothing):

- a pair in the map takes its new count, and leaves it at 0;
- a pair not in the map enters while the map has room, or when its count beats the smallest
  one there, which it replaces.

What the bound loses: a pair outside a day cell's top K is not counted for that day (a pair
ranked K+1 on every day of a range counts 0 there). A pair that falls (a correction deleted)
stays in the map until another pair beats it.
"""
from __future__ import annotations

from admin.mistakes import sketch

TOP_K = 50            # pairs kept per day cell
TOP_PAIRS = 20        # pairs the route answers


def _rank(item: tuple[str, dict]) -> tuple:
    pair, entry = item
    return (-int(entry.get("n", 0)), pair)


def refreshed(top: dict | None, pair: str, entry: dict | None, k: int = TOP_K) -> dict | None:
    """The cell's map after `pair`'s counter became `entry` (None or n <= 0: gone); None when the
    map does not change."""
    top = dict(top or {})
    count = int((entry or {}).get("n", 0))
    if pair in top:
        if count <= 0:
            del top[pair]
            return top
        if top[pair] == entry:
            return None
        top[pair] = entry
        return top
    if count <= 0:
        return None
    if len(top) < k:
        top[pair] = entry
        return top
    weakest_pair, weakest = max(top.items(), key=_rank)       # the smallest count (ties: last id)
    if count <= int(weakest.get("n", 0)):
        return None
    del top[weakest_pair]
    top[pair] = entry
    return top


def merged_pairs(tops: list[dict], limit: int = TOP_PAIRS) -> list[dict]:
    """The pairs of many day cells: counts summed, learner sketches merged; the `limit` with the
    highest counts (then the most learners, then the original's text)."""
    totals: dict[str, dict] = {}
    for top in tops:
        for pair, entry in (top or {}).items():
            total = totals.setdefault(pair, {"original": entry.get("o", ""), "correction": entry.get("c", ""),
                                             "category": entry.get("cat", ""), "count": 0, "sketch": None})
            total["count"] += int(entry.get("n", 0))
            total["sketch"] = sketch.merge(total["sketch"], entry.get("l"))
    rows = [{"original": t["original"], "correction": t["correction"], "category": t["category"],
             "count": t["count"], "learners": sketch.estimate(t["sketch"])} for t in totals.values()]
    rows.sort(key=lambda r: (-r["count"], -r["learners"], r["original"], r["correction"]))
    return rows[:limit]


def summed(cells: list[dict], prefix: str) -> dict[str, int]:
    """The counters named `prefix`<key> of many cells, summed by key (zeros left out)."""
    sums: dict[str, int] = {}
    for cell in cells:
        for name, value in cell.items():
            if name.startswith(prefix):
                key = name[len(prefix):]
                sums[key] = sums.get(key, 0) + int(value)
    return {key: value for key, value in sorted(sums.items()) if value}

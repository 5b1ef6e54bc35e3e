"""The common mistakes as CSV (GET /api/admin/corrections/export.csv): the stats route's
answer for the same filters, one row per figure:

    kind,category,original,correction,count,learners
    corrections,grammar,,,12,
    lapses,tone,,,3,
    pair,vocabulary,Tôi muốn ăn phở,Em muốn ăn phở,5,4

with up to EXPORT_PAIRS pairs (more than the page's 20; still a few KB). Text a spreadsheet
would run as a formula is prefixed with `'` (admin.health.export's rule).
"""
from __future__ import annotations

from admin.health.export import _csv_line, _safe_cell
from admin.mistakes.stats import mistakes_stats

CSV_COLUMNS = ("kind", "category", "original", "correction", "count", "learners")
EXPORT_PAIRS = 200


def export_rows(stats: dict) -> list[list]:
    rows = [["corrections", category, "", "", count, ""] for category, count in stats["byCategory"].items()]
    rows += [["lapses", category, "", "", count, ""] for category, count in stats["lapsesByCategory"].items()]
    rows += [["pair", p["category"], p["original"], p["correction"], p["count"], p["learners"]]
             for p in stats["topPairs"]]
    return rows


def export_mistakes(store, **filters) -> tuple[str, int]:
    """The CSV body and its number of rows."""
    rows = export_rows(mistakes_stats(store, pairs=EXPORT_PAIRS, **filters))
    return "".join([_csv_line(CSV_COLUMNS), *(_csv_line([_safe_cell(v) for v in row]) for row in rows)]), len(rows)

"""The keys of the common-mistakes rollups (admin.mistakes) in the session_rollups table
(speakpho.tables defines the table and the session-health rollups' keys; these rows are their own).
"""
from __future__ import annotations

from speakpho.tables import ROLLUP_LEDGER_SK

# session_rollups: the common-mistakes rollups (admin.mistakes), in rows of their own. A month
# partition of day cells: the counters' row, sk "<topic>#<difficulty>#<day>" ("*": every topic or
# difficulty), and the top map's row next to it ("...#<day>#top"), so a filter's days are one sk
# range; a partition per day and topic holding its pairs' exact counters (one row per pair, a
# counter per difficulty); one ledger row per correction. (Rows written before issue 22: the top
# map inside the counters' row, read still; pair rows keyed "mistakes-pair#<day>#<topic>#<difficulty>",
# no longer read or written.)
MISTAKES_MONTH_PREFIX = "mistakes#"
MISTAKES_PAIR_PREFIX = "mistakes-pair#"
MISTAKES_LEDGER_PREFIX = "mistakes-ledger#"
MISTAKES_TOP_SUFFIX = "#top"


def mistakes_month_pk(month: str) -> str:
    return f"{MISTAKES_MONTH_PREFIX}{month}"


def mistakes_cell_key(day: str, topic: str, difficulty: str) -> dict:
    return {"pk": mistakes_month_pk(day[:7]), "sk": f"{topic}#{difficulty}#{day}"}


def mistakes_top_key(day: str, topic: str, difficulty: str) -> dict:
    return {"pk": mistakes_month_pk(day[:7]), "sk": f"{topic}#{difficulty}#{day}{MISTAKES_TOP_SUFFIX}"}


def mistakes_pair_key(day: str, topic: str, pair: str) -> dict:
    return {"pk": f"{MISTAKES_PAIR_PREFIX}{day}#{topic}", "sk": pair}


def mistakes_ledger_key(correction_id: str) -> dict:
    return {"pk": f"{MISTAKES_LEDGER_PREFIX}{correction_id}", "sk": ROLLUP_LEDGER_SK}

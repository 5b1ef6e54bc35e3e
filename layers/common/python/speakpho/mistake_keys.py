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
#
# Write-sharding (Settings.mistakes_shards, MISTAKES_SHARDS; docs/admin.md "Common mistakes"): the
# month partition and the pair partitions are shared by every learner, so each is split into
# shards, n = crc32(the batch's first correction id) % shards (admin.mistakes.batch.batch_shard):
# a stream delivery's new counts land in one shard. Shard 0 has no suffix ("mistakes#2026-11",
# "mistakes-pair#2026-11-10#food"), so the rows written before sharding are shard 0 and stay
# readable; shard n > 0 appends "#n". Readers query every shard of a month and merge the cells.
MISTAKES_MONTH_PREFIX = "mistakes#"
MISTAKES_PAIR_PREFIX = "mistakes-pair#"
MISTAKES_LEDGER_PREFIX = "mistakes-ledger#"
MISTAKES_TOP_SUFFIX = "#top"


def _shard_suffix(shard: int) -> str:
    return f"#{shard}" if shard else ""


def mistakes_month_pk(month: str, shard: int = 0) -> str:
    """One shard of a month's day cells: "mistakes#2026-11" (shard 0), "mistakes#2026-11#3"."""
    return f"{MISTAKES_MONTH_PREFIX}{month}{_shard_suffix(shard)}"


def mistakes_month_pks(month: str, shards: int) -> list[str]:
    """Every shard of a month's day cells: what a reader queries and merges."""
    return [mistakes_month_pk(month, shard) for shard in range(max(1, shards))]


def mistakes_cell_key(day: str, topic: str, difficulty: str, shard: int = 0) -> dict:
    return {"pk": mistakes_month_pk(day[:7], shard), "sk": f"{topic}#{difficulty}#{day}"}


def mistakes_top_key(day: str, topic: str, difficulty: str, shard: int = 0) -> dict:
    return {"pk": mistakes_month_pk(day[:7], shard), "sk": f"{topic}#{difficulty}#{day}{MISTAKES_TOP_SUFFIX}"}


def mistakes_pair_key(day: str, topic: str, pair: str, shard: int = 0) -> dict:
    return {"pk": f"{MISTAKES_PAIR_PREFIX}{day}#{topic}{_shard_suffix(shard)}", "sk": pair}


def mistakes_ledger_key(correction_id: str) -> dict:
    return {"pk": f"{MISTAKES_LEDGER_PREFIX}{correction_id}", "sk": ROLLUP_LEDGER_SK}

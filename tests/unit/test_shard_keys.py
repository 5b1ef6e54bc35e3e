"""The write-shard key builders of speakpho.tables (docs/scale.md "Write-sharding")."""
from __future__ import annotations

import pytest

from speakpho.tables import active_shard, rollup_cell_pk, rollup_month_pk, rollup_month_pks, shard_of


@pytest.mark.parametrize("month, shard, expected", [
    ("2026-11", 0, "month#2026-11"),        # shard 0 is the unsharded key: rows written before sharding
    ("2026-11", 1, "month#2026-11#1"),
    ("2026-12", 3, "month#2026-12#3"),
])
def test_month_shard_keys(month, shard, expected):
    assert rollup_month_pk(month, shard) == expected


@pytest.mark.parametrize("shards, expected", [
    (1, ["month#2026-11"]),
    (4, ["month#2026-11", "month#2026-11#1", "month#2026-11#2", "month#2026-11#3"]),
    (0, ["month#2026-11"]),                 # never no shard at all
])
def test_a_reader_queries_every_shard(shards, expected):
    assert rollup_month_pks("2026-11", shards) == expected


@pytest.mark.parametrize("day, session_id, shards, expected", [
    ("2026-11-20", "sess-1", 1, "month#2026-11"),
    ("2026-11-20", "sess-1", 4, "month#2026-11#3"),     # crc32("sess-1") % 4 == 3
    ("2026-11-20", "", 4, "month#2026-11"),
])
def test_a_session_cell_goes_to_its_shard(day, session_id, shards, expected):
    assert rollup_cell_pk(day, session_id, shards) == expected


def test_shards_spread_evenly_and_stay_put():
    counts = [0] * 16
    for n in range(16_000):
        counts[shard_of(f"learner-{n}", 16)] += 1
    assert max(counts) < 1.1 * 1000 and min(counts) > 0.9 * 1000
    assert active_shard("alice", 16) == active_shard("alice", 16) == f"active#{shard_of('alice', 16)}"
    assert {rollup_month_pk("2026-11", shard_of(f"s{n}", 4)) for n in range(100)} == set(rollup_month_pks("2026-11", 4))

"""The attribute backfills (docs/migrations.md, "Backfill"): rows written before a new index
existed may lack the attribute it keys on, and DynamoDB's own backfill leaves such rows out.

One here: active_by_sweep (usage_periods) keys the live meters on `activeSweepAt`, which the
release before never wrote. Its predecessor active_by_heartbeat holds every live meter; the job
pages through it, shard by shard (Query, never Scan: it is sparse, one entry per live session),
and gives each meter the new index lacks its `activeSweepAt`, computed as every sign of life
computes it (speakpho.metering.usage.sweep_at) from the heartbeat the entry shows, with one
conditional UpdateItem: only while the row still has that session, that last heartbeat and no
`activeSweepAt`. A row that changed meanwhile is the writers' (a heartbeat of this release writes
the attribute itself; an end or a sweep removes the meter). So a run is idempotent, an
interrupted run resumes by running again, and `pending` says when none is left.

`version` is not bumped: the attribute is derived from `activeLastHeartbeatAt`, which the
condition pins, and every writer of the live meter sets or removes both.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from speakpho import ddb
from speakpho.config import Settings
from speakpho.errors import ConditionLost
from speakpho.metering.usage import sweep_at
from speakpho.store import conditional
from speakpho.tables import USAGE_PERIODS, active_shard_value, period_key

INDEX, RETIRED, TABLE = "active_by_sweep", "active_by_heartbeat", USAGE_PERIODS.logical_name
JOBS = frozenset({INDEX})   # the new indexes that have an attribute backfill here


@dataclass
class Progress:
    index: str
    read: int = 0        # entries of the retired index read
    missing: int = 0     # of them, not in the new index
    written: int = 0     # rows given the attribute
    changed: int = 0     # rows that changed since the index was read (left to the writers)

    def __str__(self) -> str:
        return (f"{self.index}: {self.read} entries read, {self.missing} missing from it, "
                f"{self.written} written, {self.changed} changed meanwhile")


def _shard_entries(client, table: str, index: str, shard: int) -> list[dict]:
    return ddb.query_all(client, TableName=table, IndexName=index, KeyConditionExpression="activeShard = :s",
                         ExpressionAttributeValues=ddb.values({":s": active_shard_value(shard)}))


def missing_entries(client, table: str, settings: Settings) -> tuple[int, list[dict]]:
    """(entries read, those of them) the retired index holds and active_by_sweep does not:
    two queries per shard (pages of each), keys compared."""
    read, missing = 0, []
    for shard in range(settings.active_shards):
        present = {(e["userId"], e["period"]) for e in _shard_entries(client, table, INDEX, shard)}
        entries = _shard_entries(client, table, RETIRED, shard)
        read += len(entries)
        missing += [e for e in entries if (e["userId"], e["period"]) not in present]
    return read, missing


def _still_lacking(client, table: str, entry: dict) -> bool:
    """The row (read consistently) still holds that live session without activeSweepAt: not just
    an index that has not caught up yet."""
    row = ddb.deserialize(client.get_item(TableName=table, ConsistentRead=True,
                                          Key=ddb.serialize(period_key(entry["userId"], entry["period"]))).get("Item"))
    return bool(row) and row.get("activeSessionId") == entry.get("activeSessionId") \
        and "activeSweepAt" not in row and "activeShard" in row


def pending(client, names: Mapping[str, str], settings: Settings) -> int:
    """Live meters still without their activeSweepAt (0: the backfill is complete)."""
    table = names[TABLE]
    _, missing = missing_entries(client, table, settings)
    return sum(1 for entry in missing if _still_lacking(client, table, entry))


def run(client, names: Mapping[str, str], settings: Settings) -> Progress:
    """One pass of the backfill of active_by_sweep; run again until `pending` is 0."""
    table = names[TABLE]
    progress = Progress(INDEX)
    progress.read, missing = missing_entries(client, table, settings)
    progress.missing = len(missing)
    for entry in missing:
        heartbeat = int(entry["activeLastHeartbeatAt"])
        try:
            conditional(
                client.update_item, TableName=table, Key=ddb.serialize(period_key(entry["userId"], entry["period"])),
                UpdateExpression="SET activeSweepAt = :at",
                ConditionExpression="activeSessionId = :sid AND activeLastHeartbeatAt = :hb "
                                    "AND attribute_not_exists(activeSweepAt)",
                ExpressionAttributeValues=ddb.values({":at": sweep_at(settings, heartbeat),
                                                      ":sid": entry["activeSessionId"], ":hb": heartbeat}))
            progress.written += 1
        except ConditionLost:
            progress.changed += 1
    return progress

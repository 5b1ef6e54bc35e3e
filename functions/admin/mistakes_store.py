"""Data access of the common-mistakes rollups (admin.mistakes) in the session_rollups table:
the day cells' counters and top maps, the pairs' counter rows and the per-correction ledger
(keys in speakpho.mistake_keys), and the sessions corrections came from. Implements
admin.mistakes.ports.

A pair row holds, per difficulty part d of its (day, topic), `n_<d>` (the exact count) and
`l_<d>` (a string set of its learners' sketch elements, added to without a read), with `seq`
(added to by every change) and the texts (`o`, `c`, `cat`, set once).

A cell (day, topic, difficulty[, shard]) and its pair rows live in its write shard's partitions
(speakpho.mistake_keys; Settings.mistakes_shards); the route's read queries every shard.

A lost race raises speakpho.errors.ConditionLost; botocore's errors stay in here.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from speakpho import ddb
from speakpho.deps import resettable
from speakpho.mistake_keys import (MISTAKES_LEDGER_PREFIX, mistakes_cell_key, mistakes_ledger_key, mistakes_month_pks,
                                   mistakes_pair_key, mistakes_top_key)
from speakpho.store import TableStore, conditional

from admin.mistakes.counts import cell_shard

BATCH_GET_KEYS, BATCH_GET_ATTEMPTS = 100, 8
PAIR_COUNT, PAIR_LEARNERS = "n_", "l_"         # + the difficulty part: a pair row's counter and sketch


def _add_update(table: str, key: dict, counters: dict[str, int], sets: dict | None = None) -> dict:
    names = {f"#c{i}": name for i, name in enumerate(counters)}
    values = {f":c{i}": value for i, value in enumerate(counters.values())}
    expression = "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
    if sets:
        names.update({f"#s{i}": name for i, name in enumerate(sets)})
        values.update({f":s{i}": value for i, value in enumerate(sets.values())})
        expression = "SET " + ", ".join(f"#s{i} = if_not_exists(#s{i}, :s{i})" for i in range(len(sets))) \
            + " " + expression
    return {"Update": {"TableName": table, "Key": ddb.serialize(key), "UpdateExpression": expression,
                       "ExpressionAttributeNames": names, "ExpressionAttributeValues": ddb.values(values)}}


def _pair_key(cell: tuple, pair: str) -> dict:
    """The row of `pair`'s counter in `cell`: its (day, topic) in the cell's shard."""
    return mistakes_pair_key(cell[0], cell[1], pair, cell_shard(cell))


def months(day_from: str, day_to: str) -> list[str]:
    first, last = date.fromisoformat(day_from), date.fromisoformat(day_to)
    found, day = [], first.replace(day=1)
    while day <= last:
        found.append(day.isoformat()[:7])
        day = (day + timedelta(days=32)).replace(day=1)
    return found


@dataclass
class MistakesStore(TableStore):
    mistakes_shards: int = 1   # Settings.mistakes_shards: new counts go to one, every one is read

    def _batch_get(self, table: str, keys: list[dict], *, consistent: bool, projection: str | None = None) -> list[dict]:
        """The items of `keys` that exist: one BatchGetItem per 100 keys, the keys DynamoDB left
        unprocessed asked again (with backoff)."""
        found: list[dict] = []
        for start in range(0, len(keys), BATCH_GET_KEYS):
            request = {"Keys": [ddb.serialize(key) for key in keys[start:start + BATCH_GET_KEYS]],
                       "ConsistentRead": consistent}
            if projection:
                request["ProjectionExpression"] = projection
            pending = {table: request}
            for attempt in range(BATCH_GET_ATTEMPTS):
                resp = self.client.batch_get_item(RequestItems=pending)
                found += [ddb.deserialize(item) for item in resp.get("Responses", {}).get(table, [])]
                pending = resp.get("UnprocessedKeys") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2 ** attempt, 1.0))
            else:
                raise RuntimeError("DynamoDB kept keys unprocessed after retries")
        return found

    # ------------------------------------------------------------------ the ledger and counters
    def get_ledgers(self, correction_ids: list[str]) -> dict[str, dict]:
        prefix = len(MISTAKES_LEDGER_PREFIX)
        rows = self._batch_get(self.rollups, [mistakes_ledger_key(cid) for cid in correction_ids], consistent=True)
        return {row["pk"][prefix:]: row for row in rows}

    def session_contexts(self, session_ids: list[str]) -> dict[str, dict]:
        rows = self._batch_get(self.sessions, [{"sessionId": sid} for sid in session_ids], consistent=False,
                               projection="sessionId, topic, difficulty")
        return {str(row["sessionId"]): row for row in rows}

    def commit_mistakes(self, *, ledgers, cell_deltas, pair_deltas, pair_learners, pair_texts) -> None:
        items = [_add_update(self.rollups, mistakes_cell_key(*cell), counters)
                 for cell, counters in sorted(cell_deltas.items()) if counters]
        rows: dict[tuple, dict] = {}                # (day, topic, pair, shard) -> what its row adds
        for (cell, pair), delta in pair_deltas.items():
            adds = rows.setdefault((cell[0], cell[1], pair, cell_shard(cell)), {"seq": 1})
            adds[PAIR_COUNT + cell[2]] = adds.get(PAIR_COUNT + cell[2], 0) + delta
        for (cell, pair), elements in pair_learners.items():
            adds = rows.setdefault((cell[0], cell[1], pair, cell_shard(cell)), {"seq": 1})
            adds[PAIR_LEARNERS + cell[2]] = set(adds.get(PAIR_LEARNERS + cell[2], set())) | set(elements)
        for (day, topic, pair, shard), adds in sorted(rows.items()):
            items.append(_add_update(self.rollups, mistakes_pair_key(day, topic, pair, shard), adds,
                                     pair_texts.get(pair)))
        for correction_id, (seen_version, row) in sorted(ledgers.items()):
            put = {"TableName": self.rollups, "Item": ddb.serialize({**mistakes_ledger_key(correction_id), **row})}
            if seen_version is None:
                put["ConditionExpression"] = "attribute_not_exists(pk)"
            else:
                put["ConditionExpression"] = "appliedVersion = :seen"
                put["ExpressionAttributeValues"] = ddb.values({":seen": seen_version})
            items.append({"Put": put})
        conditional(self.client.transact_write_items, TransactItems=items)

    # ------------------------------------------------------------------ top maps
    def refresh_rows(self, cells, pairs):
        keys = [mistakes_top_key(*cell) for cell in cells]
        keys += list({json.dumps(key): key for key in (_pair_key(cell, pair) for cell, pair in pairs)}.values())
        found = {(item["pk"], item["sk"]): item for item in self._batch_get(self.rollups, keys, consistent=True)}
        tops = {}
        for cell in cells:
            key = mistakes_top_key(*cell)
            item = found.get((key["pk"], key["sk"])) or {}
            version = item.get("topVersion")
            tops[cell] = (dict(item.get("top") or {}), None if version is None else int(version))
        rows = {}
        for cell, pair in pairs:
            key = _pair_key(cell, pair)
            item = found.get((key["pk"], key["sk"]))
            if item is not None:
                rows[(cell, pair)] = {"n": item.get(PAIR_COUNT + cell[2], 0), "seq": item.get("seq", 0),
                                      "o": item.get("o", ""), "c": item.get("c", ""), "cat": item.get("cat", ""),
                                      "learners": item.get(PAIR_LEARNERS + cell[2]) or set()}
        return tops, rows

    def put_cell_top(self, cell, top, seen_version) -> None:
        request = {"TableName": self.rollups, "Key": ddb.serialize(mistakes_top_key(*cell)),
                   "UpdateExpression": "SET #t = :top, topVersion = :next", "ExpressionAttributeNames": {"#t": "top"}}
        values = {":top": top, ":next": (seen_version or 0) + 1}
        if seen_version is None:
            request["ConditionExpression"] = "attribute_not_exists(topVersion)"
        else:
            request["ConditionExpression"] = "topVersion = :seen"
            values[":seen"] = seen_version
        request["ExpressionAttributeValues"] = ddb.values(values)
        conditional(self.client.update_item, **request)

    # ------------------------------------------------------------------ the route's read
    def mistake_cells(self, topic: str, difficulty: str, day_from: str, day_to: str) -> list[dict]:
        """One Query per shard of each month (Settings.mistakes_shards): the sk range of (topic,
        difficulty)'s days, each day's counters' row and top map's row (at most 62 rows a shard, a
        top map a few KB: one page). A day comes once per shard that holds it; the caller merges
        them (admin.mistakes.stats: counters summed, top maps merged)."""
        items: list[dict] = []
        for month in months(day_from, day_to):
            low, high = max(day_from, f"{month}-01"), min(day_to, f"{month}-31")
            for pk in mistakes_month_pks(month, self.mistakes_shards):
                items.extend(ddb.query_all(
                    self.client, TableName=self.rollups,
                    KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
                    ExpressionAttributeValues=ddb.values({":pk": pk, ":low": f"{topic}#{difficulty}#{low}",
                                                          ":high": mistakes_top_key(high, topic, difficulty)["sk"]}),
                ))
        return items


@resettable
@lru_cache(maxsize=1)
def mistakes_store() -> MistakesStore:
    from speakpho.aws import dynamodb_client
    from speakpho.config import get_settings

    settings = get_settings()
    return MistakesStore(client=dynamodb_client(), table_names=settings.table_names,
                         mistakes_shards=settings.mistakes_shards)

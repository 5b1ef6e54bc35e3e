"""Data access of the common-mistakes rollups (admin.mistakes) in the session_rollups table:
the day cells, the pairs' counter rows and the per-correction ledger (keys in
speakpho.tables), and the session a correction came from. Implements admin.mistakes.ports.

A lost race raises speakpho.errors.ConditionLost; botocore's errors stay in here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from speakpho import ddb
from speakpho.deps import resettable
from speakpho.store import TableStore, conditional
from speakpho.mistake_keys import mistakes_cell_key, mistakes_ledger_key, mistakes_month_pk, mistakes_pair_key


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


def months(day_from: str, day_to: str) -> list[str]:
    first, last = date.fromisoformat(day_from), date.fromisoformat(day_to)
    found, day = [], first.replace(day=1)
    while day <= last:
        found.append(day.isoformat()[:7])
        day = (day + timedelta(days=32)).replace(day=1)
    return found


@dataclass
class MistakesStore(TableStore):
    # ------------------------------------------------------------------ the ledger and counters
    def get_ledger(self, correction_id: str) -> dict | None:
        resp = self.client.get_item(TableName=self.rollups, Key=ddb.serialize(mistakes_ledger_key(correction_id)),
                                    ConsistentRead=True)
        return ddb.deserialize(resp.get("Item"))

    def commit_mistakes(self, *, correction_id, seen_version, ledger, cell_deltas, pair_deltas, pair_texts) -> None:
        items = [_add_update(self.rollups, mistakes_cell_key(*cell), counters)
                 for cell, counters in sorted(cell_deltas.items()) if counters]
        for (cell, pair), delta in sorted(pair_deltas.items()):
            items.append(_add_update(self.rollups, mistakes_pair_key(*cell, pair), {"n": delta, "seq": 1},
                                     pair_texts.get(pair)))
        put = {"TableName": self.rollups, "Item": ddb.serialize({**mistakes_ledger_key(correction_id), **ledger})}
        if seen_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "appliedVersion = :seen"
            put["ExpressionAttributeValues"] = ddb.values({":seen": seen_version})
        items.append({"Put": put})
        conditional(self.client.transact_write_items, TransactItems=items)

    # ------------------------------------------------------------------ pairs and top maps
    def get_pair(self, cell, pair) -> dict | None:
        resp = self.client.get_item(TableName=self.rollups, Key=ddb.serialize(mistakes_pair_key(*cell, pair)),
                                    ConsistentRead=True)
        return ddb.deserialize(resp.get("Item"))

    def put_pair_sketch(self, cell, pair, seen, sketch) -> None:
        request = {"TableName": self.rollups, "Key": ddb.serialize(mistakes_pair_key(*cell, pair)),
                   "UpdateExpression": "SET l = :new"}
        if seen is None:
            request["ConditionExpression"] = "attribute_not_exists(l)"
            request["ExpressionAttributeValues"] = ddb.values({":new": sketch})
        else:
            request["ConditionExpression"] = "l = :seen"
            request["ExpressionAttributeValues"] = ddb.values({":new": sketch, ":seen": seen})
        conditional(self.client.update_item, **request)

    def get_cell_top(self, cell) -> tuple[dict, int | None]:
        resp = self.client.get_item(TableName=self.rollups, Key=ddb.serialize(mistakes_cell_key(*cell)),
                                    ConsistentRead=True, ProjectionExpression="#t, topVersion",
                                    ExpressionAttributeNames={"#t": "top"})
        item = ddb.deserialize(resp.get("Item")) or {}
        version = item.get("topVersion")
        return dict(item.get("top") or {}), None if version is None else int(version)

    def put_cell_top(self, cell, top, seen_version) -> None:
        request = {"TableName": self.rollups, "Key": ddb.serialize(mistakes_cell_key(*cell)),
                   "UpdateExpression": "SET #t = :top, topVersion = :next", "ExpressionAttributeNames": {"#t": "top"}}
        values = {":top": top, ":next": (seen_version or 0) + 1}
        if seen_version is None:
            request["ConditionExpression"] = "attribute_not_exists(topVersion)"
        else:
            request["ConditionExpression"] = "topVersion = :seen"
            values[":seen"] = seen_version
        request["ExpressionAttributeValues"] = ddb.values(values)
        conditional(self.client.update_item, **request)

    # ------------------------------------------------------------------ the session's topic
    def session_context(self, session_id: str) -> dict | None:
        resp = self.client.get_item(TableName=self.sessions, Key=ddb.serialize({"sessionId": session_id}),
                                    ProjectionExpression="topic, difficulty")
        return ddb.deserialize(resp.get("Item"))

    # ------------------------------------------------------------------ the route's read
    def mistake_cells(self, topic: str, difficulty: str, day_from: str, day_to: str) -> list[dict]:
        """One Query per month: the sk range of (topic, difficulty)'s days (at most 31 cells of
        a few KB each: one or two pages)."""
        items: list[dict] = []
        for month in months(day_from, day_to):
            low, high = max(day_from, f"{month}-01"), min(day_to, f"{month}-31")
            items.extend(ddb.query_all(
                self.client, TableName=self.rollups,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
                ExpressionAttributeValues=ddb.values({":pk": mistakes_month_pk(month),
                                                      ":low": f"{topic}#{difficulty}#{low}",
                                                      ":high": f"{topic}#{difficulty}#{high}"}),
            ))
        return items


@resettable
@lru_cache(maxsize=1)
def mistakes_store() -> MistakesStore:
    from speakpho.aws import dynamodb_client
    from speakpho.config import get_settings

    return MistakesStore(client=dynamodb_client(), table_names=get_settings().table_names)

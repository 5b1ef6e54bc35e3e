"""Data access of the erasure jobs (learning/erasure.py): the job's row in the learner's
usage_periods partition (speakpho.tables.erasure_key), the history read in bounded slices,
and the imported corrections read page by page. Plain dicts in and out."""
from __future__ import annotations

from dataclasses import dataclass

from speakpho import ddb, reader_indexes
from speakpho.corrections import IMPORTED
from speakpho.store import TableStore, conditional
from speakpho.tables import erasure_key

# Attributes of the history index (its keys and tables.HISTORY_VIEW_ATTRIBUTES): a query of a
# GSI can ask for nothing else.
SESSION_FIELDS = "sessionId, historySeq, #status, messageCount, correctionCount"


@dataclass
class ErasureStore(TableStore):
    def create_erasure(self, user_id: str, erasure_id: str, fields: dict) -> None:
        """Creates the job's row with a conditional UpdateItem: the learning functions never
        PutItem on a billing table (infra/access.py)."""
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        vals = {f":f{i}": v for i, v in enumerate(fields.values())}
        conditional(self.client.update_item, TableName=self.periods, Key=ddb.serialize(erasure_key(user_id, erasure_id)),
                    UpdateExpression="SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields))),
                    ConditionExpression="attribute_not_exists(userId)",
                    ExpressionAttributeNames=names, ExpressionAttributeValues=ddb.values(vals))

    def get_erasure(self, user_id: str, erasure_id: str) -> dict | None:
        """The caller's own job only: the key holds the caller's id."""
        resp = self.client.get_item(TableName=self.periods, ConsistentRead=True,
                                    Key=ddb.serialize(erasure_key(user_id, erasure_id)))
        return ddb.deserialize(resp.get("Item"))

    def save_erasure(self, user_id: str, erasure_id: str, *, sets: dict | None = None,
                     adds: dict | None = None) -> None:
        """SETs and ADDs (counters; negative to lower) on the job's row."""
        names, vals, parts = {}, {}, []
        if sets:
            names.update({f"#s{i}": k for i, k in enumerate(sets)})
            vals.update({f":s{i}": v for i, v in enumerate(sets.values())})
            parts.append("SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(sets))))
        if adds:
            names.update({f"#a{i}": k for i, k in enumerate(adds)})
            vals.update({f":a{i}": v for i, v in enumerate(adds.values())})
            parts.append("ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(adds))))
        if parts:
            self.client.update_item(TableName=self.periods, Key=ddb.serialize(erasure_key(user_id, erasure_id)),
                                    UpdateExpression=" ".join(parts), ExpressionAttributeNames=names,
                                    ExpressionAttributeValues=ddb.values(vals))

    def history_slice(self, user_id: str, low: int, high: int, *, limit: int | None = None) -> list[dict]:
        """Sessions numbered low..high still in the history, oldest first, the fields an
        erasure needs: one page of at most `limit` (None: every page)."""
        if high < low:
            return []
        kwargs = dict(TableName=self.sessions, IndexName=reader_indexes.queried(reader_indexes.LEARNING_HISTORY),
                      KeyConditionExpression="historyUser = :u AND historySeq BETWEEN :lo AND :hi",
                      ProjectionExpression=SESSION_FIELDS, ExpressionAttributeNames={"#status": "status"},
                      ExpressionAttributeValues=ddb.values({":u": user_id, ":lo": low, ":hi": high}))
        if limit is None:
            return ddb.query_all(self.client, **kwargs)
        return [ddb.deserialize(i) for i in self.client.query(**kwargs, Limit=limit).get("Items", [])]

    def imported_corrections(self, user_id: str, limit: int) -> list[dict]:
        """Up to `limit` of the learner's imported corrections, with what the counters and a
        counted delete need (pages of the partition, filtered: what is left after the
        sessions' corrections went is the imported ones and the kept sessions')."""
        kwargs = dict(TableName=self.corrections, KeyConditionExpression="userId = :u",
                      FilterExpression="#src = :import",
                      ProjectionExpression="correctionId, #r, #c, #src, version",
                      ExpressionAttributeNames={"#r": "reviewed", "#c": "category", "#src": "source"},
                      ExpressionAttributeValues=ddb.values({":u": user_id, ":import": IMPORTED}))
        items: list[dict] = []
        while len(items) < limit:
            page = self.client.query(**kwargs)
            items.extend(ddb.deserialize(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return items[:limit]

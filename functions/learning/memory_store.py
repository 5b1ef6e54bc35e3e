"""Data access for the learner's "#memory" row (learning/memory.py) and what the optimiser
reads: the learners flagged in the sparse memory_optimise_due index and a learner's review
logs. Every read is a key lookup or a key-range query (no Scan); plain dicts in and out.
LearningStore mixes this class in."""
from __future__ import annotations

from speakpho import ddb
from speakpho.errors import ConditionLost
from speakpho.store import TableStore, conditional
from speakpho.tables import OPTIMISE_DUE, memory_key, stats_key

OPTIMISE_INDEX = "memory_optimise_due"


class MemoryStore(TableStore):
    def get_memory_and_stats(self, user_id: str) -> tuple[dict | None, dict | None]:
        """The memory row and the #stats row, in one BatchGetItem."""
        keys = [ddb.serialize(memory_key(user_id)), ddb.serialize(stats_key(user_id))]
        resp = self.client.batch_get_item(RequestItems={self.corrections: {"Keys": keys}})
        rows = {i["correctionId"]: i for i in (ddb.deserialize(r) for r in
                                               resp.get("Responses", {}).get(self.corrections, []))}
        if resp.get("UnprocessedKeys"):   # throttled: read them one by one
            rows = {r["correctionId"]: r for r in (self._get(k) for k in keys) if r}
        return rows.get(memory_key(user_id)["correctionId"]), rows.get(stats_key(user_id)["correctionId"])

    def _get(self, key: dict) -> dict | None:
        return ddb.deserialize(self.client.get_item(TableName=self.corrections, Key=key).get("Item"))

    def set_desired_retention(self, user_id: str, retention: float) -> None:
        self.client.update_item(TableName=self.corrections, Key=ddb.serialize(memory_key(user_id)),
                                UpdateExpression="SET desiredRetention = :r",
                                ExpressionAttributeValues=ddb.values({":r": retention}))

    def memory_review_update(self, user_id: str, change: dict) -> dict:
        """The Update action (for the review's transaction) of memory.review_update's change."""
        names, vals, sets = {}, {}, []
        for i, (name, value) in enumerate(change.get("set", {}).items()):
            names[f"#m{i}"], vals[f":m{i}"] = name, value
            sets.append(f"#m{i} = :m{i}")
        adds = []
        for i, (name, value) in enumerate(change.get("add", {}).items()):
            names[f"#a{i}"], vals[f":a{i}"] = name, value
            adds.append(f"#a{i} :a{i}")
        expr = (("SET " + ", ".join(sets) + " ") if sets else "") + "ADD " + ", ".join(adds)
        return {"TableName": self.corrections, "Key": ddb.serialize(memory_key(user_id)),
                "UpdateExpression": expr, "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": ddb.values(vals)}

    # --------------------------------------------------------------- the optimiser
    def learners_due(self, limit: int) -> list[dict]:
        """Up to `limit` {userId, optimiseRequestedAt} flagged for optimisation, oldest first."""
        resp = self.client.query(TableName=self.corrections, IndexName=OPTIMISE_INDEX,
                                 KeyConditionExpression="optimiseDue = :d",
                                 ExpressionAttributeValues=ddb.values({":d": OPTIMISE_DUE}),
                                 ScanIndexForward=True, Limit=limit)
        return [ddb.deserialize(i) for i in resp.get("Items", [])]

    def review_logs(self, user_id: str) -> tuple[list[list], int]:
        """(every card's reviewLog that has one, how many corrections the learner holds): one
        Query of the learner's partition (pages past 1 MB), the logs and ids only."""
        items = ddb.query_all(self.client, TableName=self.corrections, KeyConditionExpression="userId = :u",
                              ExpressionAttributeValues=ddb.values({":u": user_id}),
                              ProjectionExpression="correctionId, reviewLog")
        cards = [i for i in items if not i["correctionId"].startswith("#")]
        return [i["reviewLog"] for i in cards if i.get("reviewLog")], len(cards)

    def save_parameters(self, user_id: str, result: dict, *, answered_request: int | None) -> None:
        """Stores the optimiser's result; removes the request it answered (only if no later
        review flagged the learner again meanwhile, else that flag stays for the next run)."""
        names = {f"#p{i}": k for i, k in enumerate(result)}
        vals = {f":p{i}": v for i, v in enumerate(result.values())}
        update = dict(TableName=self.corrections, Key=ddb.serialize(memory_key(user_id)),
                      UpdateExpression="SET " + ", ".join(f"#p{i} = :p{i}" for i in range(len(result))),
                      ExpressionAttributeNames=names)
        if answered_request is None:
            self.client.update_item(**update, ExpressionAttributeValues=ddb.values(vals))
            return
        try:
            conditional(self.client.update_item, **{
                **update, "UpdateExpression": update["UpdateExpression"] + " REMOVE optimiseDue, optimiseRequestedAt",
                "ConditionExpression": "optimiseRequestedAt = :asked",
                "ExpressionAttributeValues": ddb.values({**vals, ":asked": answered_request})})
        except ConditionLost:
            self.client.update_item(**update, ExpressionAttributeValues=ddb.values(vals))

"""Data access for a learner's corrections and their counters (the "#stats" row): reads,
lists, the review queue, reviews, the import, and deletions that keep the counters exact.
Every read is a key lookup or a key-range query on the table or a GSI (no Scan); plain
dicts in and out. A write that loses its condition raises speakpho.errors.ConditionLost,
except insert_new_corrections (see there). LearningStore (learning_store.py) adds the
history on top of this class.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from speakpho import ddb
from speakpho.corrections import IMPORTED_COUNTER, stats_counts, stats_increment
from speakpho.errors import ConditionLost
from speakpho.store import TableStore, conditional
from speakpho.tables import MEMORY_SK, memory_key, stats_key

TRANSACT_LIMIT = 100            # DynamoDB's ceiling on actions per transaction
IMPORT_CHUNK = TRANSACT_LIMIT - 1  # puts per transaction, plus the counters update


def _key(user_id: str, correction_id: str) -> dict:
    return ddb.serialize({"userId": user_id, "correctionId": correction_id})


@dataclass
class CorrectionStore(TableStore):
    # Deletions per transaction: the deletes plus the counters update (delete_counted).
    CORRECTIONS_PER_TRANSACTION = TRANSACT_LIMIT - 1

    def get_correction(self, user_id: str, correction_id: str) -> dict | None:
        resp = self.client.get_item(TableName=self.corrections, ConsistentRead=True,
                                    Key=_key(user_id, correction_id))
        return ddb.deserialize(resp.get("Item"))

    def get_correction_and_memory(self, user_id: str, correction_id: str) -> tuple[dict | None, dict | None]:
        """The correction and the learner's #memory row (its FSRS parameters and retention), in
        one BatchGetItem, both read strongly consistent: a review costs no extra request."""
        keys = [_key(user_id, correction_id), ddb.serialize(memory_key(user_id))]
        resp = self.client.batch_get_item(RequestItems={self.corrections: {"Keys": keys, "ConsistentRead": True}})
        if resp.get("UnprocessedKeys"):   # throttled: read them one by one
            found = [ddb.deserialize(self.client.get_item(TableName=self.corrections, ConsistentRead=True,
                                                          Key=k).get("Item")) for k in keys]
        else:
            found = [ddb.deserialize(i) for i in resp.get("Responses", {}).get(self.corrections, [])]
        rows = {r["correctionId"]: r for r in found if r}
        return rows.get(correction_id), rows.get(MEMORY_SK)

    def get_stats(self, user_id: str) -> dict | None:
        resp = self.client.get_item(TableName=self.corrections,
                                    Key=ddb.serialize(stats_key(user_id)))
        return ddb.deserialize(resp.get("Item"))

    def list_corrections(self, *, index: str, partition_attribute: str, partition_value: str, limit: int,
                         start_key: dict | None) -> tuple[list[dict], bool]:
        """Up to `limit` corrections newest first, and whether more follow (reads one extra)."""
        kwargs = dict(TableName=self.corrections, IndexName=index,
                      KeyConditionExpression="#pk = :pk",
                      ExpressionAttributeNames={"#pk": partition_attribute},
                      ExpressionAttributeValues=ddb.values({":pk": partition_value}),
                      ScanIndexForward=False, Limit=limit + 1)
        if start_key:
            kwargs["ExclusiveStartKey"] = ddb.serialize(start_key)
        items: list[dict] = []
        while len(items) <= limit:
            page = self.client.query(**kwargs)
            items.extend(ddb.deserialize(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return items[:limit], len(items) > limit

    def due_corrections(self, user_id: str, now: int, limit: int) -> tuple[list[dict], bool]:
        """Up to `limit` corrections whose dueAt has passed, the most overdue first (a
        disputed correction has no dueAt, so it is not in the sparse index), and whether
        that is all of them (the query ended without a LastEvaluatedKey)."""
        resp = self.client.query(
            TableName=self.corrections, IndexName="corrections_due",
            KeyConditionExpression="userId = :u AND dueAt <= :now",
            ExpressionAttributeValues=ddb.values({":u": user_id, ":now": now}),
            ScanIndexForward=True, Limit=limit)
        return [ddb.deserialize(i) for i in resp.get("Items", [])], "LastEvaluatedKey" not in resp

    def count_due(self, user_id: str, now: int, *, at_most: int) -> int:
        """How many corrections are due, counting no further than `at_most`: a COUNT query
        with Limit, so it reads at most `at_most` index items whatever the backlog (a second
        page only past 1 MB of them)."""
        kwargs = dict(TableName=self.corrections, IndexName="corrections_due", Select="COUNT",
                      KeyConditionExpression="userId = :u AND dueAt <= :now",
                      ExpressionAttributeValues=ddb.values({":u": user_id, ":now": now}), Limit=at_most)
        total = 0
        while True:
            resp = self.client.query(**kwargs)
            total += resp.get("Count", 0)
            if total >= at_most or "LastEvaluatedKey" not in resp:
                return min(total, at_most)
            kwargs.update(ExclusiveStartKey=resp["LastEvaluatedKey"], Limit=at_most - total)

    def get_correction_and_key(self, user_id: str, correction_id: str,
                               key_record_id: str) -> tuple[dict | None, dict | None, dict | None]:
        """The correction, an Idempotency-Key's record and the learner's #memory row, in one
        TransactGetItems."""
        resp = self.client.transact_get_items(TransactItems=[
            {"Get": {"TableName": self.corrections, "Key": _key(user_id, correction_id)}},
            self.key_record_get(key_record_id),
            {"Get": {"TableName": self.corrections, "Key": ddb.serialize(memory_key(user_id))}}])
        item, record, memory = (ddb.deserialize(r.get("Item")) for r in resp["Responses"])
        return item, record, memory

    def save_review(self, *, user_id: str, correction_id: str, version: int, sets: dict,
                    removes: tuple[str, ...], reviewed_delta: int, key_record: dict | None = None,
                    memory_update: dict | None = None) -> None:
        """One write: the correction (only if still at `version`) and, in the same transaction,
        the learner's reviewed counter when the flag flips, an Idempotency-Key's record when
        given and the #memory row's update of an FSRS review (MemoryStore.memory_review_update).
        ConditionLost when the correction is no longer at `version` (or no longer exists), or a
        live record of that key exists."""
        names, vals, clauses = {}, {":version": version, ":one": 1}, []
        for i, (name, value) in enumerate(sets.items()):
            names[f"#s{i}"] = name
            vals[f":s{i}"] = value
            clauses.append(f"#s{i} = :s{i}")
        expr = "SET " + ", ".join(clauses) if clauses else ""   # a resumed leech may only REMOVE
        if removes:
            for i, name in enumerate(removes):
                names[f"#r{i}"] = name
            expr += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removes)))
        expr += " ADD version :one"
        update = {
            "TableName": self.corrections,
            "Key": _key(user_id, correction_id),
            "UpdateExpression": expr,
            "ConditionExpression": "version = :version",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": ddb.values(vals),
        }
        if not reviewed_delta and not key_record and not memory_update:
            conditional(self.client.update_item, **update)
            return
        actions = [{"Update": update}]
        if memory_update:
            actions.append({"Update": memory_update})
        if reviewed_delta:
            actions.append({"Update": self._counters_update(user_id, {"reviewed": reviewed_delta})})
        if key_record:
            actions.append(self.key_record_put(key_record))
        conditional(self.client.transact_write_items, TransactItems=actions)

    def existing_correction_ids(self, user_id: str, correction_ids: list[str]) -> set[str]:
        """Which of these ids the learner already has (BatchGetItem, 100 keys a request):
        a repeated import then costs reads only, not failed transactional writes."""
        keys = [{"userId": user_id, "correctionId": cid} for cid in correction_ids]
        return {i["correctionId"] for i in ddb.batch_get(self.client, self.corrections, keys,
                                                         projection="correctionId")}

    def insert_new_corrections(self, user_id: str, items: list[dict], *,
                               imported_limit: int | None = None) -> tuple[int, int]:
        """Puts the items that do not exist yet and counts exactly those in the learner's
        counters (each transaction: <= 99 conditional puts + the counters update).
        Returns (inserted, refused).

        With `imported_limit`, each transaction's counters update is conditioned on the
        learner's `imported` counter leaving room for every new item not yet inserted (this
        transaction's and the later ones'): an import that does not fit is refused by its first
        transaction, before anything is written; `refused` is then how many new items were
        not inserted (0 when all were). Only a concurrent import of other items filling the
        room between two transactions of this one refuses after a first part was written
        (that part stays, counted).

        A lost condition is handled here, not raised: an item created meanwhile (by a
        concurrent import of the same list) fails its condition and is dropped from the
        retry, since "already there" is what an import wants; the counter's condition
        refuses as above; a transaction conflict is retried a few times. Anything else is
        re-raised (ConditionLost if it was one)."""
        existing = self.existing_correction_ids(user_id, [i["correctionId"] for i in items])
        items = [i for i in items if i["correctionId"] not in existing]
        inserted = 0
        for start in range(0, len(items), IMPORT_CHUNK):
            pending = items[start:start + IMPORT_CHUNK]
            later = len(items) - start - len(pending)
            conflicts = 0
            while pending:
                room = None if imported_limit is None else imported_limit - len(pending) - later
                if room is not None and room < 0:
                    return inserted, len(pending) + later
                actions = [{"Put": {"TableName": self.corrections, "Item": ddb.serialize(item),
                                    "ConditionExpression": "attribute_not_exists(correctionId)"}}
                           for item in pending]
                actions.append({"Update": self._import_counters_update(user_id, pending, room)})
                try:
                    conditional(self.client.transact_write_items, TransactItems=actions)
                except ConditionLost as lost:
                    reasons = lost.reasons
                    existing = {i for i, code in enumerate(reasons[:len(pending)]) if code == "ConditionalCheckFailed"}
                    if existing:
                        pending = [item for i, item in enumerate(pending) if i not in existing]
                        continue
                    if len(reasons) > len(pending) and reasons[len(pending)] == "ConditionalCheckFailed":
                        return inserted, len(pending) + later   # the counter: no room left
                    if "TransactionConflict" in reasons and conflicts < 5:
                        conflicts += 1
                        time.sleep(0.05 * 2 ** conflicts)
                        continue
                    raise
                inserted += len(pending)
                break
        return inserted, 0

    def _import_counters_update(self, user_id: str, pending: list[dict], room: int | None) -> dict:
        """The counters update of an import's transaction; with `room`, only while the learner's
        imported counter is at most that."""
        expr, names, vals = stats_increment(pending)
        update = {"TableName": self.corrections, "Key": ddb.serialize(stats_key(user_id)),
                  "UpdateExpression": expr, "ExpressionAttributeNames": names,
                  "ExpressionAttributeValues": ddb.values(vals)}
        if room is not None:
            counter = next(k for k, v in names.items() if v == IMPORTED_COUNTER)
            update["ConditionExpression"] = f"attribute_not_exists({counter}) OR {counter} <= :room"
            update["ExpressionAttributeValues"] = ddb.values({**vals, ":room": room})
        return update

    # --------------------------------------------------------------- deletions
    def all_corrections(self, user_id: str) -> list[dict]:
        """Every correction of the learner (the partition), with what the counters need."""
        items = ddb.query_all(self.client, TableName=self.corrections, KeyConditionExpression="userId = :u",
                              ExpressionAttributeNames={"#r": "reviewed", "#c": "category", "#s": "source"},
                              ExpressionAttributeValues=ddb.values({":u": user_id}),
                              ProjectionExpression="correctionId, #r, #c, #s")
        return [i for i in items if not i["correctionId"].startswith("#")]   # not #stats, #memory

    def delete_corrections(self, user_id: str, correction_ids: list[str]) -> None:
        ddb.batch_write(self.client, self.corrections,
                        delete_keys=[{"userId": user_id, "correctionId": cid} for cid in correction_ids])

    def subtract_stats(self, user_id: str, counts: dict[str, int]) -> None:
        """Takes what was deleted off the counters (ADD is exact even if a session end adds
        corrections meanwhile; with nothing concurrent the row returns to zero)."""
        counts = {k: -v for k, v in counts.items() if v}
        if counts:
            self.client.update_item(**self._counters_update(user_id, counts))

    def delete_counted(self, user_id: str, corrections: list[dict]) -> None:
        """One transaction: deletes these corrections (<= CORRECTIONS_PER_TRANSACTION), each
        only if still at the version read, and takes exactly them off the counters.
        ConditionLost when one was changed or deleted meanwhile (nothing is applied)."""
        conditional(self.client.transact_write_items, TransactItems=self.counted_deletes(user_id, corrections))

    def counted_deletes(self, user_id: str, corrections: list[dict]) -> list[dict]:
        """The transaction actions deleting these corrections (at the version read) and
        taking them off the counters; [] for none."""
        if not corrections:
            return []
        actions = [{"Delete": {
            "TableName": self.corrections, "Key": _key(user_id, c["correctionId"]),
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": ddb.values({":v": c.get("version", 1)})}} for c in corrections]
        counts = {k: -v for k, v in stats_counts(corrections).items()}
        actions.append({"Update": self._counters_update(user_id, counts)})
        return actions

    def _counters_update(self, user_id: str, deltas: dict[str, int]) -> dict:
        """An Update adding `deltas` (negative to subtract) to the learner's #stats row."""
        names = {f"#c{i}": k for i, k in enumerate(deltas)}
        vals = {f":c{i}": v for i, v in enumerate(deltas.values())}
        return {"TableName": self.corrections, "Key": ddb.serialize(stats_key(user_id)),
                "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(deltas))),
                "ExpressionAttributeNames": names, "ExpressionAttributeValues": ddb.values(vals)}

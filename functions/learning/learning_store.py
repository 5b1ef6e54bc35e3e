"""Data access for the learning area: history pages, corrections and the per-user
counters (a session and its content are read with TableStore's shared readers). Every
read is a key lookup or a key-range query on a table or GSI (no Scan); plain dicts in
and out. A write that loses its condition raises speakpho.errors.ConditionLost, except
where losing is not an error (insert_new_corrections, mark_history_erased: see there).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

from speakpho import ddb
from speakpho.aws import dynamodb_client
from speakpho.config import get_settings
from speakpho.corrections import stats_increment
from speakpho.deps import resettable
from speakpho.errors import ConditionLost
from speakpho.store import TableStore, conditional
from speakpho.tables import STATS_SK, profile_key, stats_key

TRANSACT_LIMIT = 100            # DynamoDB's ceiling on actions per transaction
IMPORT_CHUNK = TRANSACT_LIMIT - 1  # puts per transaction, plus the counters update
BATCH_GET_LIMIT = 100

@dataclass
class LearningStore(TableStore):
    # --------------------------------------------------------------- history
    def get_profile(self, user_id: str) -> dict:
        """sessionCount (last historySeq) and historyErasedThrough; {} for a new learner."""
        resp = self.client.get_item(
            TableName=self.periods, ConsistentRead=True,
            Key=ddb.serialize(profile_key(user_id)),
            ProjectionExpression="sessionCount, historyErasedThrough")
        return ddb.deserialize(resp.get("Item")) or {}

    def history_range(self, user_id: str, low: int, high: int, *, newest_first: bool = True) -> list[dict]:
        """Sessions numbered low..high in the learner's history: one key-range query
        (a page of <= 50 small items fits in one response; more pages only for erasure)."""
        if high < low:
            return []
        return ddb.query_all(
            self.client, TableName=self.sessions, IndexName="learning_history",
            KeyConditionExpression="historyUser = :u AND historySeq BETWEEN :lo AND :hi",
            ExpressionAttributeValues=ddb.values({":u": user_id, ":lo": low, ":hi": high}),
            ScanIndexForward=not newest_first)

    # --------------------------------------------------------------- corrections
    def get_correction(self, user_id: str, correction_id: str) -> dict | None:
        resp = self.client.get_item(TableName=self.corrections, ConsistentRead=True,
                                    Key=ddb.serialize({"userId": user_id, "correctionId": correction_id}))
        return ddb.deserialize(resp.get("Item"))

    def get_correction_and_key(self, user_id: str, correction_id: str,
                               key_record_id: str) -> tuple[dict | None, dict | None]:
        """The correction and an Idempotency-Key's record, in one TransactGetItems."""
        resp = self.client.transact_get_items(TransactItems=[
            {"Get": {"TableName": self.corrections,
                     "Key": ddb.serialize({"userId": user_id, "correctionId": correction_id})}},
            self.key_record_get(key_record_id)])
        item, record = (ddb.deserialize(r.get("Item")) for r in resp["Responses"])
        return item, record

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

    def due_corrections(self, user_id: str, now: int, limit: int) -> list[dict]:
        """Corrections whose dueAt has passed, the most overdue first."""
        resp = self.client.query(
            TableName=self.corrections, IndexName="corrections_due",
            KeyConditionExpression="userId = :u AND dueAt <= :now",
            ExpressionAttributeValues=ddb.values({":u": user_id, ":now": now}),
            ScanIndexForward=True, Limit=limit)
        return [ddb.deserialize(i) for i in resp.get("Items", [])]

    def count_due(self, user_id: str, now: int) -> int:
        """COUNT query over the same range (pages only past 1 MB of index data)."""
        kwargs = dict(TableName=self.corrections, IndexName="corrections_due", Select="COUNT",
                      KeyConditionExpression="userId = :u AND dueAt <= :now",
                      ExpressionAttributeValues=ddb.values({":u": user_id, ":now": now}))
        total = 0
        while True:
            resp = self.client.query(**kwargs)
            total += resp.get("Count", 0)
            if "LastEvaluatedKey" not in resp:
                return total
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def save_review(self, *, user_id: str, correction_id: str, version: int, sets: dict,
                    removes: tuple[str, ...], reviewed_delta: int, key_record: dict | None = None) -> None:
        """One write: the correction (only if still at `version`) and, in the same transaction,
        the learner's reviewed counter when the flag flips and an Idempotency-Key's record when
        given. ConditionLost when the correction is no longer at `version` (or no longer
        exists), or a live record of that key exists."""
        names, vals, clauses = {}, {":version": version, ":one": 1}, []
        for i, (name, value) in enumerate(sets.items()):
            names[f"#s{i}"] = name
            vals[f":s{i}"] = value
            clauses.append(f"#s{i} = :s{i}")
        expr = "SET " + ", ".join(clauses)
        if removes:
            for i, name in enumerate(removes):
                names[f"#r{i}"] = name
            expr += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removes)))
        expr += " ADD version :one"
        update = {
            "TableName": self.corrections,
            "Key": ddb.serialize({"userId": user_id, "correctionId": correction_id}),
            "UpdateExpression": expr,
            "ConditionExpression": "version = :version",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": ddb.values(vals),
        }
        if not reviewed_delta and not key_record:
            conditional(self.client.update_item, **update)
            return
        actions = [{"Update": update}]
        if reviewed_delta:
            actions.append({"Update": {
                "TableName": self.corrections, "Key": ddb.serialize(stats_key(user_id)),
                "UpdateExpression": "ADD reviewed :d", "ExpressionAttributeValues": ddb.values({":d": reviewed_delta}),
            }})
        if key_record:
            actions.append(self.key_record_put(key_record))
        conditional(self.client.transact_write_items, TransactItems=actions)

    def existing_correction_ids(self, user_id: str, correction_ids: list[str]) -> set[str]:
        """Which of these ids the learner already has (BatchGetItem, 100 keys a request):
        a repeated import then costs reads only, not failed transactional writes."""
        found: set[str] = set()
        for start in range(0, len(correction_ids), BATCH_GET_LIMIT):
            pending = {self.corrections: {
                "Keys": [ddb.serialize({"userId": user_id, "correctionId": cid})
                         for cid in correction_ids[start:start + BATCH_GET_LIMIT]],
                "ProjectionExpression": "correctionId"}}
            for attempt in range(8):
                resp = self.client.batch_get_item(RequestItems=pending)
                found.update(ddb.deserialize(i)["correctionId"]
                             for i in resp.get("Responses", {}).get(self.corrections, []))
                pending = resp.get("UnprocessedKeys") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2 ** attempt, 1.0))
            else:
                raise RuntimeError("DynamoDB kept keys unprocessed after retries")
        return found

    def insert_new_corrections(self, user_id: str, items: list[dict]) -> int:
        """Puts the items that do not exist yet and counts exactly those in the learner's
        counters (each transaction: <= 99 conditional puts + the counters update).
        Returns how many were inserted.

        A lost condition is handled here, not raised: an item created meanwhile (by a
        concurrent import of the same list) fails its condition and is dropped from the
        retry, since "already there" is what an import wants; a transaction conflict is
        retried a few times. Anything else is re-raised (ConditionLost if it was one)."""
        existing = self.existing_correction_ids(user_id, [i["correctionId"] for i in items])
        items = [i for i in items if i["correctionId"] not in existing]
        inserted = 0
        for start in range(0, len(items), IMPORT_CHUNK):
            pending = items[start:start + IMPORT_CHUNK]
            conflicts = 0
            while pending:
                expr, names, vals = stats_increment(pending)
                actions = [{"Put": {"TableName": self.corrections, "Item": ddb.serialize(item),
                                    "ConditionExpression": "attribute_not_exists(correctionId)"}}
                           for item in pending]
                actions.append({"Update": {
                    "TableName": self.corrections,
                    "Key": ddb.serialize(stats_key(user_id)),
                    "UpdateExpression": expr, "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": ddb.values(vals)}})
                try:
                    conditional(self.client.transact_write_items, TransactItems=actions)
                except ConditionLost as lost:
                    reasons = lost.reasons
                    existing = {i for i, code in enumerate(reasons[:len(pending)]) if code == "ConditionalCheckFailed"}
                    if existing:
                        pending = [item for i, item in enumerate(pending) if i not in existing]
                        continue
                    if "TransactionConflict" in reasons and conflicts < 5:
                        conflicts += 1
                        time.sleep(0.05 * 2 ** conflicts)
                        continue
                    raise
                inserted += len(pending)
                break
        return inserted

    # --------------------------------------------------------------- erasure
    def message_seqs(self, session_id: str) -> list[int]:
        items = ddb.query_all(self.client, TableName=self.messages, KeyConditionExpression="sessionId = :s",
                              ExpressionAttributeValues=ddb.values({":s": session_id}),
                              ProjectionExpression="seq")
        return [i["seq"] for i in items]

    def delete_messages(self, session_id: str, seqs: list[int]) -> None:
        ddb.batch_write(self.client, self.messages,
                        delete_keys=[{"sessionId": session_id, "seq": s} for s in seqs])

    def remove_from_history(self, user_id: str, session_ids: list[str], now: int) -> None:
        """Takes ended sessions out of the history index and zeroes their content counts.

        The session items stay (billing/usage records). contentStoredAt is set where it
        was missing (a session closed by the sweeper), so a late /session/end cannot add
        a transcript to an erased session. ConditionLost if a transaction is cancelled: a
        session that is not the learner's (they come from the learner's own history, so
        only a bug), or a session end changing one at the same moment; the erasure then
        stops (500) and running it again resumes where it stopped.
        """
        for start in range(0, len(session_ids), TRANSACT_LIMIT):
            conditional(self.client.transact_write_items, TransactItems=[{"Update": {
                "TableName": self.sessions,
                "Key": ddb.serialize({"sessionId": sid}),
                "UpdateExpression": ("SET messageCount = :zero, correctionCount = :zero, historyErasedAt = :now, "
                                     "contentStoredAt = if_not_exists(contentStoredAt, :now) "
                                     "REMOVE historyUser ADD version :one"),
                "ConditionExpression": "userId = :u",
                "ExpressionAttributeValues": ddb.values({":zero": 0, ":now": now, ":one": 1, ":u": user_id}),
            }} for sid in session_ids[start:start + TRANSACT_LIMIT]])

    def mark_history_erased(self, user_id: str, through: int) -> None:
        """historyErasedThrough only moves forward (a slower concurrent erasure cannot undo).

        A lost condition is handled here, not raised: it means the mark is already at
        `through` or beyond (a concurrent erasure went further), which is what the caller
        wanted, or there is no profile row (no history to erase)."""
        try:
            conditional(
                self.client.update_item,
                TableName=self.periods, Key=ddb.serialize(profile_key(user_id)),
                UpdateExpression="SET historyErasedThrough = :t",
                ConditionExpression="attribute_exists(userId) AND "
                                    "(attribute_not_exists(historyErasedThrough) OR historyErasedThrough < :t)",
                ExpressionAttributeValues=ddb.values({":t": through}))
        except ConditionLost:
            pass

    def all_corrections(self, user_id: str) -> list[dict]:
        """Every correction of the learner (the partition), with what the counters need."""
        items = ddb.query_all(self.client, TableName=self.corrections, KeyConditionExpression="userId = :u",
                              ExpressionAttributeNames={"#r": "reviewed", "#c": "category"},
                              ExpressionAttributeValues=ddb.values({":u": user_id}),
                              ProjectionExpression="correctionId, #r, #c")
        return [i for i in items if i["correctionId"] != STATS_SK]

    def delete_corrections(self, user_id: str, correction_ids: list[str]) -> None:
        ddb.batch_write(self.client, self.corrections,
                        delete_keys=[{"userId": user_id, "correctionId": cid} for cid in correction_ids])

    def subtract_stats(self, user_id: str, counts: dict[str, int]) -> None:
        """Takes what was deleted off the counters (ADD is exact even if a session end adds
        corrections meanwhile; with nothing concurrent the row returns to zero)."""
        counts = {k: v for k, v in counts.items() if v}
        if not counts:
            return
        names = {f"#c{i}": k for i, k in enumerate(counts)}
        vals = {f":c{i}": -v for i, v in enumerate(counts.values())}
        self.client.update_item(
            TableName=self.corrections, Key=ddb.serialize(stats_key(user_id)),
            UpdateExpression="ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts))),
            ExpressionAttributeNames=names, ExpressionAttributeValues=ddb.values(vals))


@resettable
@lru_cache(maxsize=1)
def learning_store() -> LearningStore:
    return LearningStore(client=dynamodb_client(), table_names=get_settings().table_names)

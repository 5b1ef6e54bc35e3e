"""Data access of the conversation reviews (learning/conversation.py): an ended session's
learner lines, the learner's open corrections worth checking, their #memory row. Every read
is a key lookup or a key-range query with a Limit (no Scan); plain dicts in and out.
LearningStore mixes this class in; the reviews themselves are written by
CorrectionStore.save_review."""
from __future__ import annotations

from speakpho import ddb
from speakpho.store import TableStore
from speakpho.tables import memory_key

LEARNER_ROLE = "user"


class ConversationStore(TableStore):
    def learner_lines(self, session_id: str) -> list[dict]:
        """The learner's lines of a transcript, in order: {seq, text, timestamp}. One Query
        (pages only past 1 MB); the coach's lines are left out here, as an item holds both
        (speakpho.transcript; a filter would not read less: DynamoDB bills what it reads)."""
        return [{"seq": m["seq"], "text": m["text"], "timestamp": m["timestamp"]}
                for m in self.session_messages(session_id) if m.get("role") == LEARNER_ROLE]

    def open_corrections(self, user_id: str, now: int, *, due: int, recent: int) -> list[dict]:
        """The `due` most overdue corrections and the `recent` newest ones (two Queries of
        corrections_due and corrections_by_created, each one page with a Limit), without repeats."""
        overdue = self.client.query(
            TableName=self.corrections, IndexName="corrections_due",
            KeyConditionExpression="userId = :u AND dueAt <= :now",
            ExpressionAttributeValues=ddb.values({":u": user_id, ":now": now}), ScanIndexForward=True, Limit=due)
        newest = self.client.query(
            TableName=self.corrections, IndexName="corrections_by_created",
            KeyConditionExpression="userId = :u",
            ExpressionAttributeValues=ddb.values({":u": user_id}), ScanIndexForward=False, Limit=recent)
        found: dict[str, dict] = {}
        for raw in (*overdue.get("Items", []), *newest.get("Items", [])):
            item = ddb.deserialize(raw)
            found.setdefault(item["correctionId"], item)
        return list(found.values())

    def get_memory(self, user_id: str) -> dict | None:
        resp = self.client.get_item(TableName=self.corrections, Key=ddb.serialize(memory_key(user_id)))
        return ddb.deserialize(resp.get("Item"))

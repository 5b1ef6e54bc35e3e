"""The writes that take one session's content away (learning/withdrawal.py says in which
order and why): close the session to ends, delete its transcript and its corrections
(counted ones exactly, in transactions that lower the session's correctionCount with them),
and take it out of the history for an erasure. A write that loses its condition raises
speakpho.errors.ConditionLost.
"""
from __future__ import annotations

from dataclasses import dataclass

from speakpho import ddb
from speakpho.store import conditional

from learning.corrections_store import TRANSACT_LIMIT, CorrectionStore

# Counted deletions per transaction: the deletes, the counters update and the session's
# correctionCount update.
WITHDRAW_PER_TRANSACTION = TRANSACT_LIMIT - 2


@dataclass
class WithdrawalStore(CorrectionStore):
    def close_content(self, *, user_id: str, session_id: str, now: int) -> dict:
        """Closes an ended session of the learner's history to ends: contentStoredAt is set where
        it was missing, so no end can commit content any more (its condition), and
        contentWithdrawnAt tells an end that lost to this to delete what it wrote. Returns the
        session as closed (its correctionCount is then final: only withdrawals lower it).
        ConditionLost when the session is not in the learner's history or is active."""
        resp = conditional(
            self.client.update_item, TableName=self.sessions, Key=ddb.serialize({"sessionId": session_id}),
            UpdateExpression="SET contentStoredAt = if_not_exists(contentStoredAt, :now), "
                             "contentWithdrawnAt = if_not_exists(contentWithdrawnAt, :now) ADD version :one",
            ConditionExpression="userId = :u AND historyUser = :u AND #status <> :active",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=ddb.values({":now": now, ":one": 1, ":u": user_id, ":active": "active"}),
            ReturnValues="ALL_NEW")
        return ddb.deserialize(resp["Attributes"])

    def delete_counted_top(self, *, user_id: str, session_id: str, corrections: list[dict],
                           count_from: int, count_to: int) -> None:
        """One transaction: deletes these counted corrections of the session (each at the
        version read; <= WITHDRAW_PER_TRANSACTION), takes them off the counters and lowers the
        session's correctionCount from `count_from` to `count_to` (only if still `count_from`),
        so that "index < correctionCount" stays the exact set of counted corrections left."""
        conditional(self.client.transact_write_items, TransactItems=[
            *self.counted_deletes(user_id, corrections),
            {"Update": {
                "TableName": self.sessions, "Key": ddb.serialize({"sessionId": session_id}),
                "UpdateExpression": "SET correctionCount = :to ADD version :one",
                "ConditionExpression": "correctionCount = :from",
                "ExpressionAttributeValues": ddb.values({":to": count_to, ":from": count_from, ":one": 1}),
            }}])

    def delete_uncounted(self, user_id: str, correction_ids: list[str]) -> None:
        """Deletes corrections no counter holds (written by an end that never committed)."""
        self.delete_corrections(user_id, correction_ids)

    def remove_erased(self, *, user_id: str, session_id: str, now: int) -> None:
        """Takes a withdrawn session out of the history for an erasure (the profile's
        historyErasedThrough covers its number). ConditionLost when it is no longer there."""
        conditional(
            self.client.update_item, TableName=self.sessions, Key=ddb.serialize({"sessionId": session_id}),
            UpdateExpression="SET messageCount = :zero, correctionCount = :zero, historyErasedAt = :now "
                             "REMOVE historyUser ADD version :one",
            ConditionExpression="historyUser = :u",
            ExpressionAttributeValues=ddb.values({":zero": 0, ":now": now, ":one": 1, ":u": user_id}))

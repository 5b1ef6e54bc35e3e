"""Data access for the learning area: the history (pages, erasure, one session's deletion)
on top of CorrectionStore (corrections_store.py: corrections and their counters) and
MemoryStore (memory_store.py: the learner's FSRS memory row); a
session and its content are read with TableStore's shared readers. Every read is a key
lookup or a key-range query on a table or GSI (no Scan); plain dicts in and out. A write
that loses its condition raises speakpho.errors.ConditionLost, except where losing is
not an error (insert_new_corrections, mark_history_erased: see there).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from speakpho import ddb, reader_indexes
from speakpho.aws import dynamodb_client
from speakpho.config import get_settings
from speakpho.deps import resettable
from speakpho.errors import ConditionLost
from speakpho.store import conditional
from speakpho.tables import profile_key
from speakpho.transcript import MESSAGES, transcript_messages

from learning.conversation_store import ConversationStore
from learning.corrections_store import TRANSACT_LIMIT, CorrectionStore
from learning.erasure_store import ErasureStore
from learning.memory_store import MemoryStore
from learning.withdrawal_store import WithdrawalStore


@dataclass
class LearningStore(WithdrawalStore, ErasureStore, CorrectionStore, MemoryStore, ConversationStore):
    # The corrections deleted with the session's own transaction (commit_session_deletion):
    # their deletes, the counters, the session and the profile fill one transaction.
    CORRECTIONS_WITH_SESSION = TRANSACT_LIMIT - 3

    # --------------------------------------------------------------- history
    def get_profile(self, user_id: str) -> dict:
        """sessionCount (last historySeq), historyErasedThrough and historyDeleted (the
        numbers of sessions deleted one by one, a number set); {} for a new learner."""
        resp = self.client.get_item(
            TableName=self.periods, ConsistentRead=True,
            Key=ddb.serialize(profile_key(user_id)),
            ProjectionExpression="sessionCount, historyErasedThrough, historyDeleted")
        return ddb.deserialize(resp.get("Item")) or {}

    def history_range(self, user_id: str, low: int, high: int, *, newest_first: bool = True) -> list[dict]:
        """Sessions numbered low..high in the learner's history, with the attributes the list
        shows (tables.HISTORY_VIEW_ATTRIBUTES, projected into the index: no story): one
        key-range query (a page of <= 50 small items fits in one response)."""
        if high < low:
            return []
        return ddb.query_all(
            self.client, TableName=self.sessions, IndexName=reader_indexes.queried(reader_indexes.LEARNING_HISTORY),
            KeyConditionExpression="historyUser = :u AND historySeq BETWEEN :lo AND :hi",
            ExpressionAttributeValues=ddb.values({":u": user_id, ":lo": low, ":hi": high}),
            ScanIndexForward=not newest_first)

    # --------------------------------------------------------------- erasure
    def message_seqs(self, session_id: str) -> tuple[list[int], int]:
        """(the seqs of the session's transcript items, the messages they hold): an item holds
        one message or a chunk of them (speakpho.transcript)."""
        items = ddb.query_all(self.client, TableName=self.messages, KeyConditionExpression="sessionId = :s",
                              ExpressionAttributeValues=ddb.values({":s": session_id}),
                              ProjectionExpression="seq, #m", ExpressionAttributeNames={"#m": MESSAGES})
        return [i["seq"] for i in items], len(transcript_messages(items))

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

    def mark_history_erased(self, user_id: str, through: int, forget: set[int] = frozenset()) -> None:
        """historyErasedThrough only moves forward (a slower concurrent erasure cannot undo);
        `forget`: numbers of deleted sessions the mark now covers, dropped from historyDeleted.

        A lost condition is handled here, not raised: it means the mark is already at
        `through` or beyond (a concurrent erasure went further), which is what the caller
        wanted, or there is no profile row (no history to erase)."""
        expr, vals = "SET historyErasedThrough = :t", {":t": through}
        if forget:
            expr += " DELETE historyDeleted :gone"
            vals[":gone"] = set(forget)
        try:
            conditional(
                self.client.update_item,
                TableName=self.periods, Key=ddb.serialize(profile_key(user_id)),
                UpdateExpression=expr,
                ConditionExpression="attribute_exists(userId) AND "
                                    "(attribute_not_exists(historyErasedThrough) OR historyErasedThrough < :t)",
                ExpressionAttributeValues=ddb.values(vals))
        except ConditionLost:
            pass

    # --------------------------------------------------------------- one session
    def commit_session_deletion(self, *, user_id: str, session_id: str, seq: int, now: int,
                                corrections: list[dict]) -> None:
        """One transaction: deletes these corrections of the session (<= CORRECTIONS_WITH_SESSION,
        each at the version read) and takes them off the counters, takes the session out of
        the history (zeroing its content counts; its usage fields stay) and adds its number
        to the profile's historyDeleted, so that history pages skip it and the total drops.

        contentStoredAt is set where it was missing (a session closed by the sweeper), so a
        late /session/end cannot add a transcript afterwards. ConditionLost when the session
        is no longer in the learner's history or is active, or a correction changed.
        """
        conditional(self.client.transact_write_items, TransactItems=[
            *self.counted_deletes(user_id, corrections),
            {"Update": {
                "TableName": self.sessions,
                "Key": ddb.serialize({"sessionId": session_id}),
                "UpdateExpression": ("SET messageCount = :zero, correctionCount = :zero, historyDeletedAt = :now, "
                                     "contentStoredAt = if_not_exists(contentStoredAt, :now) "
                                     "REMOVE historyUser ADD version :one"),
                "ConditionExpression": "userId = :u AND historyUser = :u AND historySeq = :seq "
                                       "AND #status <> :active",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": ddb.values({":zero": 0, ":now": now, ":one": 1, ":u": user_id,
                                                         ":seq": seq, ":active": "active"}),
            }},
            {"Update": {
                "TableName": self.periods,
                "Key": ddb.serialize(profile_key(user_id)),
                "UpdateExpression": "ADD historyDeleted :seq",
                "ExpressionAttributeValues": ddb.values({":seq": {seq}}),
            }},
        ])


@resettable
@lru_cache(maxsize=1)
def learning_store() -> LearningStore:
    return LearningStore(client=dynamodb_client(), table_names=get_settings().table_names)

"""The base of every data-access class: a DynamoDB client, the table names, and the
readers every area shares (one session, its transcript, its corrections).

Stores speak the domain. A conditional write that finds the data changed raises
speakpho.errors.ConditionLost (see its docstring for the contract), never botocore's
ClientError, so no domain module imports botocore or the codec. Stores get table names,
never the settings: the domain is handed settings explicitly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from botocore.exceptions import ClientError

from speakpho import ddb
from speakpho.errors import ConditionLost
from speakpho.transcript import transcript_messages


def conditional(write: Callable[..., dict], **request) -> dict:
    """Sends one conditional write (UpdateItem, PutItem, TransactWriteItems...) and returns
    its response; a failed condition or a cancelled transaction raises ConditionLost, with
    the old item when the request asked for it and a transaction's reasons."""
    try:
        return write(**request)
    except ClientError as exc:
        if not ddb.is_condition_failure(exc):
            raise
        raise ConditionLost(str(exc), current=ddb.deserialize(exc.response.get("Item")),
                            reasons=tuple(ddb.cancellation_reasons(exc))) from exc


@dataclass
class TableStore:
    client: object
    # logical table name (speakpho.tables) -> deployed name; Settings.table_names
    table_names: Mapping[str, str] = field(default_factory=dict)

    def table(self, logical_name: str) -> str:
        try:
            return self.table_names[logical_name]
        except KeyError:
            from speakpho.table_env import missing_table

            raise missing_table(logical_name) from None

    @property
    def periods(self) -> str:
        return self.table("usage_periods")

    @property
    def sessions(self) -> str:
        return self.table("sessions")

    @property
    def messages(self) -> str:
        return self.table("session_messages")

    @property
    def corrections(self) -> str:
        return self.table("corrections")

    @property
    def rollups(self) -> str:
        return self.table("session_rollups")

    @property
    def idempotency(self) -> str:
        return self.table("idempotency")

    # ------------------------------------------------- Idempotency-Key records (speakpho.idempotency)
    def key_record_get(self, record_id: str) -> dict:
        """The record's read, as one action of a TransactGetItems."""
        return {"Get": {"TableName": self.idempotency, "Key": ddb.serialize({"id": record_id})}}

    def key_record_put(self, record: dict) -> dict:
        """The record's write, as one action of the call's TransactWriteItems: it fails (and
        with it the call's effect) when a live record of that key exists."""
        return {"Put": {
            "TableName": self.idempotency,
            "Item": ddb.serialize(record),
            "ConditionExpression": "attribute_not_exists(#id) OR #exp <= :now",
            "ExpressionAttributeNames": {"#id": "id", "#exp": "expiration"},
            "ExpressionAttributeValues": ddb.values({":now": record["createdAt"] // 1000}),
        }}

    # ------------------------------------------------------------- shared readers
    def get_session(self, session_id: str, *, consistent: bool = False) -> dict | None:
        resp = self.client.get_item(TableName=self.sessions, ConsistentRead=consistent,
                                    Key=ddb.serialize({"sessionId": session_id}))
        return ddb.deserialize(resp.get("Item"))

    def session_messages(self, session_id: str) -> list[dict]:
        """The transcript in order: {seq, role, text, timestamp, provider?} per message, from
        its items of either shape (speakpho.transcript; seq is the sort key)."""
        return transcript_messages(ddb.query_all(self.client, TableName=self.messages,
                                                 KeyConditionExpression="sessionId = :s",
                                                 ExpressionAttributeValues=ddb.values({":s": session_id})))

    def event_batches(self, session_id: str) -> list[dict]:
        """A live session's event batches (speakpho.story.batched_entries), read strongly: a
        close folds what is there once it closed."""
        return ddb.query_all(self.client, TableName=self.table("session_events"), ConsistentRead=True,
                             KeyConditionExpression="sessionId = :s",
                             ExpressionAttributeValues=ddb.values({":s": session_id}))

    def session_corrections(self, session_id: str) -> list[dict]:
        """The corrections recorded with a session's end, in their order."""
        return ddb.query_all(self.client, TableName=self.corrections, IndexName="corrections_by_session",
                             KeyConditionExpression="sessionId = :s",
                             ExpressionAttributeValues=ddb.values({":s": session_id}))

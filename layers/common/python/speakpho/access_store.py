"""The writes of provider access: one transaction records a grant (a token, a call placed,
a call dropped) on the session and on its period's live meter.

The session keeps `accessCount` (grants so far, at most MAX_GRANTS_PER_SESSION), `accessUntil`
(until when the client may hold provider access) and `callId` (its live OpenAI call); the
period row's live meter keeps `activeProvider`, `activeAccessUntil` and `activeCallId`, which
heartbeats (renewal), sweeps and newer starts (hang up, charge) read without reading the
session. A grant the client asked for is also a sign of life: it moves `activeLastHeartbeatAt` to
now and `activeSweepAt` with it (speakpho.metering.usage.sweep_at).
"""
from __future__ import annotations

from dataclasses import dataclass

from speakpho import ddb
from speakpho.access.lease import MAX_GRANTS_PER_SESSION
from speakpho.store import conditional
from speakpho.story_store import StoryAppend, StoryStore, update_expression
from speakpho.tables import period_key

KEEP = object()   # leave the field as it is


@dataclass
class AccessStore(StoryStore):
    def get_session_with_record(self, session_id: str, record_id: str | None) -> tuple[dict | None, dict | None]:
        """The session (consistent) and, with an Idempotency-Key, its record: one request."""
        if not record_id:
            return self.get_session(session_id, consistent=True), None
        resp = self.client.transact_get_items(TransactItems=[
            {"Get": {"TableName": self.sessions, "Key": ddb.serialize({"sessionId": session_id})}},
            self.key_record_get(record_id)])
        session, record = (ddb.deserialize(r.get("Item")) for r in resp["Responses"])
        return session, record

    def record_access(self, *, user_id: str, period: str, session_id: str, provider: str, now: int,
                      entries: list[dict], access_until: int | None = None, call_id=KEEP, expected_call_id=KEEP,
                      sweep_at: int | None, key_record: dict | None = None) -> None:
        """Records a grant. `call_id`: KEEP, None (the call is gone) or the new call's id;
        `expected_call_id`: KEEP (any), None (no call yet) or the call the session must hold;
        `sweep_at`: the sweep deadline of a sign of life (required: None for the server's own).
        ConditionLost when the session is not the caller's, not active, not on `provider`, at
        its grant limit or holds another call, or when it is not the period's live session."""
        sets, adds, conditions, values = StoryAppend(list(entries)).parts()
        removes: list[str] = []
        values.update({":uid": user_id, ":active": "active", ":provider": provider, ":one": 1,
                       ":max": MAX_GRANTS_PER_SESSION})
        conditions += ["userId = :uid", "#status = :active", "provider = :provider",
                       "(attribute_not_exists(accessCount) OR accessCount < :max)"]
        # `sweep_at` (the sign of life's sweep deadline): a grant the client asked for moves the last
        # heartbeat and the deadline with it; the server's own hangup at the limit (None) does not.
        period_sets = ["activeProvider = :provider"]
        period_values = {":provider": provider, ":one": 1, ":sid": session_id}
        if sweep_at is not None:
            period_sets += ["activeLastHeartbeatAt = :now", "activeSweepAt = :sweep"]
            period_values.update({":now": now, ":sweep": sweep_at})
        period_removes: list[str] = []
        if access_until is not None:
            sets.append("accessUntil = :until")
            period_sets.append("activeAccessUntil = :until")
            values[":until"] = period_values[":until"] = access_until
        if call_id is None:
            removes.append("callId")
            period_removes.append("activeCallId")
        elif call_id is not KEEP:
            sets.append("callId = :call")
            period_sets.append("activeCallId = :call")
            values[":call"] = period_values[":call"] = call_id
        if expected_call_id is None:
            conditions.append("attribute_not_exists(callId)")
        elif expected_call_id is not KEEP:
            conditions.append("callId = :expected")
            values[":expected"] = expected_call_id
        session_expression = update_expression(sets, adds + ["version :one", "accessCount :one"])
        period_expression = "SET " + ", ".join(period_sets) + " ADD version :one"
        if removes:
            session_expression += " REMOVE " + ", ".join(removes)
        if period_removes:
            period_expression += " REMOVE " + ", ".join(period_removes)
        items = [
            {"Update": {"TableName": self.sessions, "Key": ddb.serialize({"sessionId": session_id}),
                        "UpdateExpression": session_expression, "ConditionExpression": " AND ".join(conditions),
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": ddb.values(values)}},
            {"Update": {"TableName": self.periods, "Key": ddb.serialize(period_key(user_id, period)),
                        "UpdateExpression": period_expression, "ConditionExpression": "activeSessionId = :sid",
                        "ExpressionAttributeValues": ddb.values(period_values)}},
        ]
        if key_record:
            items.append(self.key_record_put(key_record))
        conditional(self.client.transact_write_items, TransactItems=items)


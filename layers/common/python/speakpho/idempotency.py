"""Idempotency-Key: a durable record of each keyed call, written by the call's own transaction.

A keyed start (POST /api/session/start) or review (PATCH /api/learning/corrections/{id}) puts
one item on the idempotency table in the same TransactWriteItems as its effect:

    {id: "<scope>#<key>" (speakpho.tables.idempotency_record_id), payloadHash, answer (the
     JSON of the first answer), createdAt (ms), expiration (epoch s, the table's TTL)}

conditioned on `attribute_not_exists(id)` (or an expired record). The call's first read
(a TransactGetItems) reads the record too, so a key costs no extra request. Hence:

- the record exists if and only if the effect was applied: there is no "in progress" state,
  so nothing can lock a learner out (Powertools Idempotency's in-progress record could: an
  applied-but-unanswered write of it made every retry 409 until the function timed out);
- a repeat, however the first call ended (answered, answer lost, handler failed after its
  write was applied), reads the record and answers the first answer, unchanged;
- two calls with one key at once: both may read no record, only one transaction commits
  (the record's condition, and the effect's own conditions), the other's is cancelled and
  its re-read finds the record;
- the same key with another payload is refused (422 idempotency_key_reused).

Pure: plain data and the errors; the stores build the Get and the Put (speakpho.store).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from speakpho.errors import IdempotencyKeyReused
from speakpho.tables import idempotency_record_id


def payload_hash(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KeyedCall:
    """One call made with an Idempotency-Key: where its record lives and what it must match."""
    record_id: str
    payload_hash: str
    ttl_seconds: int

    def replay(self, record: dict | None, now_ms: int) -> dict | None:
        """The first answer, when `record` (as read) is this key's live record; None when
        there is none or it expired (the call then runs, and its Put replaces an expired one).
        IdempotencyKeyReused when the record was made by another payload."""
        if not record or int(record.get("expiration", 0)) * 1000 <= now_ms:
            return None
        if record.get("payloadHash") != self.payload_hash:
            raise IdempotencyKeyReused()
        return json.loads(record["answer"])

    def record(self, answer: dict, now_ms: int) -> dict:
        """The item the call's transaction puts next to its effect."""
        return {"id": self.record_id, "payloadHash": self.payload_hash,
                "answer": json.dumps(answer, ensure_ascii=False, separators=(",", ":")),
                "createdAt": now_ms, "expiration": now_ms // 1000 + self.ttl_seconds}


def keyed(scope: tuple[str, ...], key: str | None, payload: dict, *, ttl_seconds: int) -> KeyedCall | None:
    """The KeyedCall of a request (None without a key). `scope` names the call and its owner,
    e.g. ("start", userId) or ("review", userId, correctionId): one key per scope."""
    if not key:
        return None
    return KeyedCall(idempotency_record_id(scope, key), payload_hash(payload), ttl_seconds)

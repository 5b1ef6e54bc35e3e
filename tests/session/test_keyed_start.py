"""POST /api/session/start with an Idempotency-Key: the key's record is written by the start's
own transaction (speakpho.idempotency), so a repeat answers the first answer, a record that
expired lets the key start again, and a 409 a retry may cure says when (Retry-After).
Lost answers under scripted faults: tests/faults/test_keyed_replay.py; duplicates sent at
once: tests/race/test_keyed_races.py."""
from __future__ import annotations

from apitest import T0, data, error, start_session
from speakpho import ddb
from speakpho.idempotency import keyed, payload_hash
from speakpho.models import StartSessionRequest
from speakpho.tables import idempotency_record_id

START = "/api/session/start"


def _record(dynamodb, record_id: str) -> dict | None:
    return ddb.deserialize(dynamodb.get_item(TableName="idempotency", Key=ddb.serialize({"id": record_id}))
                           .get("Item"))


def test_the_start_writes_the_keys_record_with_its_answer(api, dynamodb):
    alice = api.as_user("alice")
    answer = start_session(alice, {"topic": "food"}, headers={"Idempotency-Key": "k-1"})
    record = _record(dynamodb, "start#alice#k-1")
    assert record["payloadHash"] == payload_hash(StartSessionRequest(topic="food").model_dump())
    assert record["createdAt"] == T0 and record["expiration"] == T0 // 1000 + 3600
    assert data(alice.post(START, {"topic": "food"}, headers={"Idempotency-Key": "k-1"}), 201) == answer
    # A start without a key writes no record.
    start_session(alice)
    assert [i["id"]["S"] for i in dynamodb.scan(TableName="idempotency")["Items"]] == ["start#alice#k-1"]


def test_a_key_past_its_expiry_starts_again(api, clock):
    alice = api.as_user("alice")
    key = {"Idempotency-Key": "k-old"}
    first = start_session(alice, {"topic": "food"}, headers=key)
    clock.advance(3599)
    assert start_session(alice, {"topic": "food"}, headers=key) == first
    clock.advance(1)         # the record expired (DynamoDB's TTL removes it later): the key is free
    second = start_session(alice, {"topic": "food"}, headers=key)
    assert second["sessionId"] != first["sessionId"] and second["closedSessionId"] == first["sessionId"]
    assert start_session(alice, {"topic": "food"}, headers=key) == second


def test_the_key_reused_with_another_body_is_refused_naming_the_header(api):
    alice = api.as_user("alice")
    start_session(alice, {"topic": "food"}, headers={"Idempotency-Key": "k-2"})
    refused = error(alice.post(START, {"topic": "food", "provider": "openai"}, headers={"Idempotency-Key": "k-2"}), 422)
    assert refused == {"code": "idempotency_key_reused", "details": {"field": "Idempotency-Key"},
                       "message": "this Idempotency-Key was used with a different request body"}
    assert data(alice.get("/api/usage"))["activeSessionId"] is not None


def test_a_contended_start_says_when_to_retry(api, monkeypatch):
    from speakpho.errors import ConditionLost
    from speakpho.metering_store import MeteringStore

    def lose(self, **kwargs):
        raise ConditionLost("another start won")

    monkeypatch.setattr(MeteringStore, "commit_start", lose)
    refused = api.as_user("alice").post(START, {}, headers={"Idempotency-Key": "k-3"})
    assert error(refused, 409)["code"] == "start_contended"
    assert refused.headers["Retry-After"] == "1"


def test_record_ids_cannot_collide_across_scopes():
    assert idempotency_record_id(("start", "a#b"), "c") != idempotency_record_id(("start", "a"), "b#c")
    assert idempotency_record_id(("start", "alice"), "k") == "start#alice#k"
    assert idempotency_record_id(("review", "u", "c%1"), "k#2") == "review#u#c%251#k%232"
    assert keyed(("start", "alice"), None, {}, ttl_seconds=60) is None
    assert keyed(("start", "alice"), "", {}, ttl_seconds=60) is None

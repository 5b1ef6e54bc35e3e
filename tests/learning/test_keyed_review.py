"""PATCH /api/learning/corrections/{id} with an Idempotency-Key: the review's own write records
the key (speakpho.idempotency), so a repeat answers the first answer and reviews nothing; an
expired key reviews again; a 409 a retry may cure says when (Retry-After). Lost answers under
scripted faults: tests/faults/test_keyed_replay.py."""
from __future__ import annotations

from apitest import data, error
from learning_helpers import correction, run_session


def _card(client) -> str:
    return data(client.get("/api/learning/review"))["corrections"][0]["id"]


def _version(dynamodb, user_id: str, card: str) -> int:
    item = dynamodb.get_item(TableName="corrections", Key={"userId": {"S": user_id}, "correctionId": {"S": card}})
    return int(item["Item"]["version"]["N"])


def test_a_key_past_its_expiry_reviews_again(alice, clock, dynamodb):
    run_session(alice, clock, corrections=[correction(0)])
    card, key = _card(alice), {"Idempotency-Key": "rate-old"}
    path = f"/api/learning/corrections/{card}"
    first = data(alice.patch(path, {"confidenceLevel": 4}, headers=key))
    version = _version(dynamodb, "alice", card)
    clock.advance(3599)
    assert data(alice.patch(path, {"confidenceLevel": 4}, headers=key)) == first
    assert _version(dynamodb, "alice", card) == version
    clock.advance(1)
    again = data(alice.patch(path, {"confidenceLevel": 4}, headers=key))
    assert again["reviewedAt"] == first["reviewedAt"] + 3_600_000
    assert _version(dynamodb, "alice", card) == version + 1


def test_a_refused_review_records_no_key(alice, clock):
    """Only a review that took effect records its key: one refused (404, 422) can be sent again."""
    run_session(alice, clock, corrections=[correction(0)])
    card, key = _card(alice), {"Idempotency-Key": "rate-after-404"}
    assert error(alice.patch("/api/learning/corrections/nope", {"confidenceLevel": 4}, headers=key), 404)
    path = f"/api/learning/corrections/{card}"
    assert error(alice.patch(path, {"reviewed": False, "confidenceLevel": 4}, headers=key), 422)
    assert data(alice.patch(path, {"confidenceLevel": 4}, headers=key))["confidenceLevel"] == 4


def test_a_contended_review_says_when_to_retry(alice, clock, monkeypatch):
    from learning.learning_store import LearningStore
    from speakpho.errors import ConditionLost

    run_session(alice, clock, corrections=[correction(0)])
    card = _card(alice)

    def lose(self, **kwargs):
        raise ConditionLost("reviewed elsewhere")

    monkeypatch.setattr(LearningStore, "save_review", lose)
    refused = alice.patch(f"/api/learning/corrections/{card}", {"confidenceLevel": 4},
                          headers={"Idempotency-Key": "rate-busy"})
    assert error(refused, 409)["code"] == "review_contended"
    assert refused.headers["Retry-After"] == "1"

"""PATCH /api/learning/corrections/{id} {"disputed": true|false}: a correction flagged as
wrong leaves the review queue and its due count, stays in the lists marked disputed,
cannot be rated until unflagged; unflagging puts it back when its review is due."""
from __future__ import annotations

from apitest import data, error
from learning.learning_store import learning_store
from learning_helpers import correction, run_session


def _queue(client) -> dict:
    return data(client.get("/api/learning/review", query="limit=50"))


def _patch(client, correction_id: str, body: dict, status: int = 200, **kw):
    response = client.patch(f"/api/learning/corrections/{correction_id}", body, **kw)
    return data(response) if status == 200 else error(response, status)


def _shown(client, correction_id: str) -> dict:
    listing = data(client.get("/api/learning/corrections", query="limit=50"))["corrections"]
    return next(c for c in listing if c["id"] == correction_id)


def test_a_disputed_correction_leaves_the_queue_and_stays_listed(alice, clock):
    session_id = run_session(alice, clock, corrections=[correction(n) for n in range(3)])
    first = _queue(alice)["corrections"][0]   # the three are due at the same moment: any may come first
    card = first["id"]

    answer = _patch(alice, card, {"disputed": True})
    assert answer == {"id": card, "reviewed": False, "reviewedAt": None, "confidenceLevel": 0,
                      "nextReviewAt": None, "disputed": True, "leech": False, "lapses": 0,
                      "explanation": first["explanation"]}
    queue = _queue(alice)
    assert queue["dueCount"] == 2 and card not in [c["id"] for c in queue["corrections"]]
    assert _shown(alice, card)["disputed"] is True
    assert [c["disputed"] for c in data(alice.get(f"/api/learning/session/{session_id}"))["corrections"]] == \
        [c["id"] == card for c in data(alice.get(f"/api/learning/session/{session_id}"))["corrections"]]
    assert "dueAt" not in learning_store().get_correction("alice", card)
    stats = data(alice.get("/api/learning/corrections"))["stats"]
    assert stats["total"] == 3 and stats["reviewed"] == 0

    # Flagging again changes nothing (no write).
    version = learning_store().get_correction("alice", card)["version"]
    assert _patch(alice, card, {"disputed": True})["disputed"] is True
    assert learning_store().get_correction("alice", card)["version"] == version

    # A rating is refused while disputed; marking it reviewed is not.
    assert _patch(alice, card, {"confidenceLevel": 4}, 409)["code"] == "correction_disputed"
    assert _patch(alice, card, {"reviewed": True, "confidenceLevel": 4}, 409)["code"] == "correction_disputed"
    marked = _patch(alice, card, {"reviewed": True})
    assert marked["reviewed"] is True and marked["disputed"] is True
    assert _queue(alice)["dueCount"] == 2
    assert data(alice.get("/api/learning/corrections"))["stats"]["reviewed"] == 1

    # Unflagged, a never-rated card is due again at once, and can be rated.
    back = _patch(alice, card, {"disputed": False, "reviewed": False})
    assert back["disputed"] is False and back["reviewed"] is False
    queue = _queue(alice)
    assert queue["dueCount"] == 3 and queue["corrections"][0]["id"] == card   # the most overdue again
    assert _shown(alice, card)["disputed"] is False
    assert _patch(alice, card, {"confidenceLevel": 4})["reviewed"] is True


def test_unflagging_a_rated_card_restores_its_schedule(alice, clock):
    run_session(alice, clock, corrections=[correction(0)])
    card = _queue(alice)["corrections"][0]["id"]
    next_review = _patch(alice, card, {"confidenceLevel": 4})["nextReviewAt"]   # Good: due in 10 minutes
    flagged = _patch(alice, card, {"disputed": True})
    assert flagged["nextReviewAt"] == next_review and flagged["confidenceLevel"] == 4
    clock.set(next_review + 1000)
    assert _queue(alice)["dueCount"] == 0       # due by its schedule, but disputed
    clock.set(next_review - 60_000)
    _patch(alice, card, {"disputed": False})
    assert learning_store().get_correction("alice", card)["dueAt"] == next_review
    assert _queue(alice)["dueCount"] == 0       # not yet due
    clock.set(next_review + 1000)
    assert [c["id"] for c in _queue(alice)["corrections"]] == [card]


def test_dispute_validation_and_ownership(alice, bob, clock):
    run_session(alice, clock, corrections=[correction(0)])
    card = _queue(alice)["corrections"][0]["id"]
    for body, field in (({"disputed": True, "confidenceLevel": 3}, "disputed"),
                        ({"disputed": False, "confidenceLevel": 3}, "disputed"),
                        ({"disputed": "yes"}, "disputed"), ({"disputed": 1}, "disputed")):
        err = _patch(alice, card, body, 422)
        assert field in err["message"] or err.get("details") == {"field": field}, (body, err)
    assert _patch(bob, card, {"disputed": True}, 404)["code"] == "not_found"
    assert _patch(alice, "%23stats", {"disputed": True}, 404)["code"] == "not_found"
    assert _queue(alice)["dueCount"] == 1 and _shown(alice, card)["disputed"] is False


def test_a_dispute_with_an_idempotency_key_applies_once(alice, clock):
    run_session(alice, clock, corrections=[correction(0)])
    card = _queue(alice)["corrections"][0]["id"]
    key = {"Idempotency-Key": "flag-1"}
    first = _patch(alice, card, {"disputed": True}, headers=key)
    version = learning_store().get_correction("alice", card)["version"]
    assert _patch(alice, card, {"disputed": True}, headers=key) == first
    assert learning_store().get_correction("alice", card)["version"] == version
    assert _patch(alice, card, {"disputed": False}, headers=key, status=422)["code"] == "idempotency_key_reused"


def test_deleting_a_session_takes_its_disputed_corrections(alice, clock):
    session_id = run_session(alice, clock, corrections=[correction(0), correction(1)])
    card = _queue(alice)["corrections"][0]["id"]
    _patch(alice, card, {"disputed": True})
    assert data(alice.delete(f"/api/learning/session/{session_id}"))["correctionsDeleted"] == 2
    assert learning_store().get_correction("alice", card) is None
    assert _queue(alice) == {"corrections": [], "dueCount": 0, "dueCountCapped": False}

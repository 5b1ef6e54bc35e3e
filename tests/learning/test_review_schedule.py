"""Spaced repetition: FSRS reviews driven by the injectable clock, the review queue and
its due count, and the confidence -> rating mapping."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import fsrs
import pytest

from learning import review
from learning.learning_store import learning_store
from learning.requests import CorrectionReview
from speakpho.errors import NotFound
from speakpho.tables import STATS_SK, stats_key
from apitest import data, error
from learning_helpers import correction, run_session

DAY = 24 * 3600


def _queue(client, query: str = "") -> dict:
    return data(client.get("/api/learning/review", query=query))


def _rate(client, correction_id: str, level: int) -> dict:
    return data(client.patch(f"/api/learning/corrections/{correction_id}", {"confidenceLevel": level}))


def test_a_reviewed_card_leaves_the_queue_until_its_next_review(alice, clock):
    run_session(alice, clock, corrections=[correction(n) for n in range(3)])
    queue = _queue(alice)
    assert queue["dueCount"] == 3 and len(queue["corrections"]) == 3
    card = queue["corrections"][0]["id"]

    answer = _rate(alice, card, 5)  # Easy on a new card: straight to the review state, days away
    next_review = answer["nextReviewAt"]
    assert next_review - clock.now_ms() >= 2 * DAY * 1000
    queue = _queue(alice)
    assert queue["dueCount"] == 2 and card not in [c["id"] for c in queue["corrections"]]

    clock.set(next_review - 1000)
    assert card not in [c["id"] for c in _queue(alice)["corrections"]]
    clock.set(next_review + 1000)
    queue = _queue(alice)
    assert queue["dueCount"] == 3 and card in [c["id"] for c in queue["corrections"]]
    assert next(c for c in queue["corrections"] if c["id"] == card)["nextReviewAt"] == next_review


def test_schedule_follows_fsrs_from_the_clock(alice, clock):
    run_session(alice, clock, corrections=[correction(0)])
    card = _queue(alice)["corrections"][0]["id"]

    good = _rate(alice, card, 4)  # Good on a new card: the second learning step (10 minutes)
    assert good["nextReviewAt"] == clock.now_ms() + 600_000
    clock.advance(600)
    assert _queue(alice)["dueCount"] == 1
    again = _rate(alice, card, 1)  # Again: back to the first learning step (1 minute)
    assert again["nextReviewAt"] == clock.now_ms() + 60_000
    assert again["confidenceLevel"] == 1 and again["reviewed"] is True

    # The stored card is exactly what fsrs computes for the same reviews at the same times.
    stored = learning_store().get_correction("alice", card)
    assert stored["fsrsSchema"] == review.FSRS_SCHEMA
    assert stored["fsrsCard"]["card_id"] == uuid.UUID(card).int >> 64
    scheduler = fsrs.Scheduler()
    expected = fsrs.Card(card_id=uuid.UUID(card).int >> 64,
                         due=datetime.fromtimestamp(stored["createdAt"] / 1000, tz=timezone.utc))
    t1 = datetime.fromtimestamp((clock.now_ms() - 600_000) / 1000, tz=timezone.utc)
    expected, _ = scheduler.review_card(expected, fsrs.Rating.Good, t1)
    expected, _ = scheduler.review_card(expected, fsrs.Rating.Again, clock.now_datetime())
    assert fsrs.Card.from_dict(stored["fsrsCard"]).to_dict() == pytest.approx(expected.to_dict())
    assert stored["dueAt"] == stored["nextReviewAt"] == int(expected.due.timestamp() * 1000)


@pytest.mark.parametrize("level,rating", [(0, "Again"), (1, "Again"), (2, "Again"), (3, "Hard"),
                                          (4, "Good"), (5, "Easy")])
def test_confidence_maps_to_fsrs_ratings(level, rating):
    assert review.RATING_BY_CONFIDENCE[level] == rating
    card_id = str(uuid.uuid4())
    created = datetime(2026, 11, 1, tzinfo=timezone.utc)
    now = datetime(2026, 11, 10, 12, tzinfo=timezone.utc)
    fields = review.schedule_review({"correctionId": card_id, "createdAt": int(created.timestamp() * 1000)},
                                    level, now)
    expected, _ = fsrs.Scheduler().review_card(fsrs.Card(card_id=uuid.UUID(card_id).int >> 64, due=created),
                                               fsrs.Rating[rating], now)
    if expected.state != fsrs.State.Review:  # fuzz applies only to review intervals
        assert fields["nextReviewAt"] == int(expected.due.timestamp() * 1000)
    assert fields["fsrsCard"]["state"] == expected.state.value


def test_queue_is_most_overdue_first_and_bounded(alice, clock):
    run_session(alice, clock, corrections=[correction(n) for n in range(3)])
    clock.advance(DAY)
    run_session(alice, clock, corrections=[correction(n + 10) for n in range(3)])
    queue = _queue(alice, "limit=4")
    assert queue["dueCount"] == 6 and len(queue["corrections"]) == 4
    due = [c["createdAt"] for c in queue["corrections"]]
    assert due == sorted(due) and due[0] < due[-1]
    oldest = queue["corrections"][0]["id"]
    _rate(alice, oldest, 2)  # Again: due again in a minute, so now the least overdue
    clock.advance(120)
    queue = _queue(alice, "limit=50")
    assert queue["corrections"][-1]["id"] == oldest and queue["dueCount"] == 6
    assert error(alice.get("/api/learning/review", query="limit=51"), 422)["message"].endswith("limit")


def test_marking_reviewed_without_a_rating_keeps_the_card_due(alice, clock):
    run_session(alice, clock, corrections=[correction(0)])
    card = _queue(alice)["corrections"][0]["id"]
    answer = data(alice.patch(f"/api/learning/corrections/{card}", {"reviewed": True}))
    assert answer["nextReviewAt"] is None and answer["confidenceLevel"] == 0
    assert _queue(alice)["dueCount"] == 1


def test_queue_and_review_are_per_learner(alice, bob, clock):
    run_session(alice, clock, corrections=[correction(0)])
    card = _queue(alice)["corrections"][0]["id"]
    assert _queue(bob) == {"corrections": [], "dueCount": 0, "dueCountCapped": False}
    assert error(bob.patch(f"/api/learning/corrections/{card}", {"confidenceLevel": 5}), 404)["code"] == "not_found"
    assert _queue(alice)["dueCount"] == 1
    assert learning_store().get_correction("alice", card).get("fsrsCard") is None


def test_the_stats_row_is_not_a_correction(alice, clock):
    """API Gateway url-decodes path parameters, so /corrections/%23stats arrives as "#stats"."""
    run_session(alice, clock, corrections=[correction(0)])
    before = learning_store().get_stats("alice")
    with pytest.raises(NotFound):
        review.review_correction(learning_store(), clock, "alice", STATS_SK, CorrectionReview(reviewed=True))
    assert learning_store().get_stats("alice") == before == {**stats_key("alice"), "total": 1, "cat_grammar": 1}


def _stored(dynamodb, user_id: str, correction_id: str) -> dict:
    return dynamodb.get_item(TableName="corrections",
                             Key={"userId": {"S": user_id}, "correctionId": {"S": correction_id}})["Item"]


def test_a_retried_rating_with_an_idempotency_key_reviews_once(alice, clock, dynamodb):
    run_session(alice, clock, corrections=[correction(0), correction(1)])
    card = _queue(alice)["corrections"][0]["id"]
    key = {"Idempotency-Key": "rate-1"}

    first = alice.patch(f"/api/learning/corrections/{card}", {"confidenceLevel": 3}, headers=key)
    version = _stored(dynamodb, "alice", card)["version"]
    clock.advance(60)   # the client's retry, a minute later
    again = alice.patch(f"/api/learning/corrections/{card}", {"confidenceLevel": 3}, headers=key)
    assert first.status == again.status == 200
    assert again.json() == first.json()
    assert _stored(dynamodb, "alice", card)["version"] == version      # no second FSRS review

    # The same key with another rating is refused, not applied.
    changed = alice.patch(f"/api/learning/corrections/{card}", {"confidenceLevel": 5}, headers=key)
    assert error(changed, 422)["code"] == "idempotency_key_reused"
    assert _stored(dynamodb, "alice", card)["version"] == version

    # Keys are scoped to the card: the same key on another card reviews that card.
    other = _queue(alice)["corrections"][0]["id"]
    assert other != card
    assert data(alice.patch(f"/api/learning/corrections/{other}", {"confidenceLevel": 3}, headers=key))["reviewed"]

    # Without a key every PATCH is a review of its own.
    data(alice.patch(f"/api/learning/corrections/{card}", {"confidenceLevel": 3}))
    assert int(_stored(dynamodb, "alice", card)["version"]["N"]) == int(version["N"]) + 1


def test_idempotency_keys_are_per_learner(alice, bob, clock):
    run_session(alice, clock, corrections=[correction(0)])
    run_session(bob, clock, corrections=[correction(0)])
    key = {"Idempotency-Key": "same-key"}
    mine = _queue(alice)["corrections"][0]["id"]
    theirs = _queue(bob)["corrections"][0]["id"]
    assert data(alice.patch(f"/api/learning/corrections/{mine}", {"confidenceLevel": 4}, headers=key))["reviewed"]
    # bob's key of the same text does not replay alice's answer, and alice's card stays hers.
    assert error(bob.patch(f"/api/learning/corrections/{mine}", {"confidenceLevel": 4}, headers=key), 404)
    answer = data(bob.patch(f"/api/learning/corrections/{theirs}", {"confidenceLevel": 4}, headers=key))
    assert answer["id"] == theirs


def _import(client, first: int, count: int) -> None:
    items = [{"original": f"câu {n}", "correction": f"câu đúng {n}"} for n in range(first, first + count)]
    assert data(client.post("/api/learning/corrections/import", {"corrections": items}))["imported"] == count


def test_the_due_count_is_capped_so_its_cost_does_not_grow_with_the_backlog(alice, clock, dynamodb, ddb_requests):
    counted = []   # what each COUNT query evaluated

    def record(parsed, model, params=None, **_):
        if model.name == "Query" and parsed.get("ScannedCount") is not None and "Items" not in parsed:
            counted.append(parsed["ScannedCount"])

    dynamodb.meta.events.register("after-call.dynamodb.Query", record)
    _import(alice, 0, 3)
    ddb_requests.reset()
    queue = _queue(alice)
    assert (queue["dueCount"], queue["dueCountCapped"], len(queue["corrections"])) == (3, False, 3)
    assert dict(ddb_requests.ops) == {"Query": 1} and counted == []   # the page held them all: no COUNT query

    _import(alice, 3, 96)
    assert (_queue(alice)["dueCount"], _queue(alice)["dueCountCapped"]) == (99, False)
    _import(alice, 99, 1)
    assert (_queue(alice)["dueCount"], _queue(alice)["dueCountCapped"]) == (99, True)   # "99+"
    _rate(alice, _queue(alice)["corrections"][0]["id"], 5)                              # Easy: days away
    assert (_queue(alice)["dueCount"], _queue(alice)["dueCountCapped"]) == (99, False)

    _import(alice, 100, 200)     # 299 due: the count still evaluates at most DUE_COUNT_CAP + 1 of them
    ddb_requests.reset()
    counted.clear()
    queue = _queue(alice, "limit=50")
    assert (queue["dueCount"], queue["dueCountCapped"], len(queue["corrections"])) == (99, True, 50)
    assert dict(ddb_requests.ops) == {"Query": 2} and counted == [review.DUE_COUNT_CAP + 1]
    dynamodb.meta.events.unregister("after-call.dynamodb.Query", record)

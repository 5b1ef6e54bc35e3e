"""One Idempotency-Key sent by many calls at once (a client retrying while its first call is
still running): exactly one takes effect, the others answer its answer (speakpho.idempotency:
the record is in the effect's transaction; a loser's re-read finds it). No 409 meanwhile."""
from __future__ import annotations

import uuid

import pytest

from learning import review
from learning.learning_store import learning_store
from learning.requests import CorrectionReview
from speakpho import ddb, idempotency, metering
from speakpho.config import get_settings
from speakpho.corrections import session_correction_id
from speakpho.deps import metering_store
from speakpho.models import EndSessionRequest, StartSessionRequest
from test_races import WORKERS, run_together, user_sessions
from provider_fakes import fake_ports

PORTS = fake_ports()

pytestmark = pytest.mark.race


def test_one_key_started_at_once_makes_one_session(real_dynamodb, clock):
    store, settings = metering_store(), get_settings()
    user = metering.UserRef(f"keyed-{uuid.uuid4().hex[:8]}", email_verified=True)
    request = StartSessionRequest(topic="food")
    once = idempotency.keyed(("start", user.user_id), "same", request.model_dump(), ttl_seconds=3600)

    outcomes = run_together(WORKERS, lambda i: metering.start_or_replay(store, settings, clock, user, request,
                                                                        once=once, ports=PORTS))
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    answers = [answer for answer, _ in outcomes]
    assert all(a == answers[0] for a in answers)
    assert sum(1 for _, replayed in outcomes if not replayed) == 1
    assert [s["sessionId"] for s in user_sessions(real_dynamodb, user.user_id)] == [answers[0]["sessionId"]]


def test_one_review_key_sent_at_once_reviews_once(real_dynamodb, clock):
    store, settings = metering_store(), get_settings()
    user = metering.UserRef(f"keyed-{uuid.uuid4().hex[:8]}", email_verified=True)
    sid = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)["sessionId"]
    clock.advance(30)
    metering.end_session(store, settings, clock, user, EndSessionRequest(
        sessionId=sid, corrections=[{"original": "sai", "correction": "đúng", "category": "tone"}]), PORTS)
    card, rating = session_correction_id(sid, 0), CorrectionReview(confidenceLevel=4)
    once = idempotency.keyed(("review", user.user_id, card), "same", rating.model_dump(), ttl_seconds=3600)

    answers = run_together(WORKERS, lambda i: review.review_correction(learning_store(), clock, user.user_id, card,
                                                                       rating, once=once))
    assert all(isinstance(a, dict) and a == answers[0] for a in answers), answers
    item = learning_store().get_correction(user.user_id, card)
    assert int(item["version"]) == 2 and item["reviewedAt"] == answers[0]["reviewedAt"]      # one review
    stats = ddb.deserialize(real_dynamodb.get_item(TableName="corrections", Key=ddb.serialize(
        {"userId": user.user_id, "correctionId": "#stats"}))["Item"])
    assert stats["reviewed"] == 1

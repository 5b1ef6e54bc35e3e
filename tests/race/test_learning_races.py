"""Deleting one conversation against dynoxide (real conditions and transactions, DynamoDB's
request limits): parallel deletes of the same session while its corrections are being
rated and disputed leave exact counters and one gap in the history; the largest session
deletes within the limits."""
from __future__ import annotations

import uuid

import pytest

from learning import deletion, erasure, history, review
from learning.learning_store import learning_store
from learning.requests import CorrectionReview
from speakpho import metering
from speakpho.config import get_settings
from speakpho.deps import metering_store
from speakpho.models import StartSessionRequest
from test_races import end_request, run_together
from provider_fakes import fake_ports

PORTS = fake_ports()


class _NoQueue:
    def send(self, user_id, erasure_id):
        pass


NO_QUEUE = _NoQueue()

pytestmark = pytest.mark.race


def _sessions(clock, user, count, n_corrections=7):
    store, settings = metering_store(), get_settings()
    ids = []
    for _ in range(count):
        s = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)
        clock.advance(30)
        metering.end_session(store, settings, clock, user, end_request(s["sessionId"], 30, n_corrections), PORTS)
        ids.append(s["sessionId"])
    return ids


def test_parallel_deletes_and_reviews_count_once(real_dynamodb, clock):
    user = metering.UserRef(f"deleter-{uuid.uuid4().hex[:8]}", email_verified=True)
    ids = _sessions(clock, user, 3)
    store = learning_store()
    cards = [c["correctionId"] for c in store.session_corrections(ids[1])]

    def racer(i):
        if i < 6:
            return deletion.delete_session(store, clock, user.user_id, ids[1])
        body = CorrectionReview(confidenceLevel=4) if i % 2 else CorrectionReview(disputed=True, reviewed=True)
        return review.review_correction(store, clock, user.user_id, cards[i - 6], body)

    results = run_together(12, racer)
    deletes = results[:6]
    assert all(isinstance(r, dict) for r in deletes), deletes
    assert sum(r["correctionsDeleted"] for r in deletes) == 7       # each correction counted once
    assert store.session_messages(ids[1]) == [] and store.session_corrections(ids[1]) == []
    stats = store.get_stats(user.user_id)
    remaining = store.all_corrections(user.user_id)
    assert stats["total"] == len(remaining) == 14 and stats["cat_grammar"] == 14
    assert stats.get("reviewed", 0) == sum(1 for c in remaining if c.get("reviewed")) == 0
    profile = store.get_profile(user.user_id)
    assert profile["historyDeleted"] == {2} and history.history_bounds(profile).total == 2
    page = history.history_page(store, user.user_id, page=1, limit=1, cursor=None)
    assert [s["id"] for s in page["sessions"]] == [ids[2]] and page["pagination"]["total"] == 2
    page2 = history.history_page(store, user.user_id, page=2, limit=1, cursor=None)
    assert [s["id"] for s in page2["sessions"]] == [ids[0]] and "nextCursor" not in page2


def test_the_largest_session_deletes_within_dynamodb_limits(real_dynamodb, clock):
    user = metering.UserRef(f"big-{uuid.uuid4().hex[:8]}", email_verified=True)
    store, settings = metering_store(), get_settings()
    s = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)
    clock.advance(30)
    metering.end_session(store, settings, clock, user, end_request(s["sessionId"], 2000, 200), PORTS)
    answer = deletion.delete_session(learning_store(), clock, user.user_id, s["sessionId"])
    assert answer == {"sessionId": s["sessionId"], "messagesDeleted": 2000, "correctionsDeleted": 200}
    stats = learning_store().get_stats(user.user_id)
    assert stats["total"] == 0 and stats["cat_grammar"] == 0
    assert learning_store().get_session(s["sessionId"])["secondsUsed"] == 30
    job = erasure.start_erasure(learning_store(), NO_QUEUE, clock, user.user_id)
    assert erasure.run_erasure(learning_store(), clock, user.user_id, job["erasureId"],
                               has_time=lambda: True)["sessionsErased"] == 0
    assert learning_store().get_profile(user.user_id) == {"sessionCount": 1, "historyErasedThrough": 1}

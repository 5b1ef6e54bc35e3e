"""The erasure job at scale, on dynoxide: an account of 50,000 messages and 5,000 corrections
(seeded directly in batches) is erased to nothing, in chunks that resume after a simulated
timeout; the counters end at zero. Also: a run that dies mid-chunk resumes from the job's
row and still counts each item once."""
from __future__ import annotations

import time
import uuid

import pytest

from learning import erasure
from learning.learning_store import learning_store
from speakpho import ddb
from speakpho.corrections import new_correction_item, session_correction_id
from speakpho.tables import profile_key, stats_key

pytestmark = pytest.mark.race

SESSIONS, MESSAGES_EACH, CORRECTIONS_EACH = 100, 500, 50


class _Queue:
    def __init__(self):
        self.sent = []

    def send(self, user_id, erasure_id):
        self.sent.append((user_id, erasure_id))


def _seed(store, user_id: str, sessions: int, messages_each: int, corrections_each: int) -> list[str]:
    """Ended sessions in the learner's history with their transcripts and counted corrections,
    written in batches (no end: the items an end would have stored)."""
    ids, rows, messages, corrections = [], [], [], []
    for n in range(1, sessions + 1):
        sid = f"s-{user_id}-{n}"
        ids.append(sid)
        rows.append({"sessionId": sid, "userId": user_id, "historyUser": user_id, "historySeq": n,
                     "status": "ended", "messageCount": messages_each, "correctionCount": corrections_each,
                     "contentStoredAt": 1, "version": 2, "secondsUsed": 30})
        messages += [{"sessionId": sid, "seq": i, "userId": user_id, "role": "user", "text": f"câu {i}",
                      "timestamp": i} for i in range(messages_each)]
        corrections += [new_correction_item(user_id=user_id, correction_id=session_correction_id(sid, i),
                                            session_id=sid, index=i, original="sai", correction="đúng",
                                            explanation=None, category="grammar", created_at=1)
                        for i in range(corrections_each)]
    ddb.batch_write(store.client, store.sessions, puts=rows)
    ddb.batch_write(store.client, store.messages, puts=messages)
    ddb.batch_write(store.client, store.corrections, puts=corrections)
    total = sessions * corrections_each
    ddb.batch_write(store.client, store.periods, puts=[{**profile_key(user_id), "sessionCount": sessions}])
    ddb.batch_write(store.client, store.corrections,
                    puts=[{**stats_key(user_id), "total": total, "cat_grammar": total}])
    return ids


def _nothing_left(store, user_id, ids):
    assert all(store.session_messages(sid) == [] for sid in ids)
    assert store.all_corrections(user_id) == []
    stats = store.get_stats(user_id)
    assert stats["total"] == 0 and stats["cat_grammar"] == 0
    assert store.history_slice(user_id, 1, len(ids)) == []


def test_an_account_of_50000_messages_and_5000_corrections_is_erased_to_nothing(real_dynamodb, clock):
    store, queue, user_id = learning_store(), _Queue(), f"big-{uuid.uuid4().hex[:8]}"
    ids = _seed(store, user_id, SESSIONS, MESSAGES_EACH, CORRECTIONS_EACH)
    started = time.monotonic()
    job = erasure.start_erasure(store, queue, clock, user_id)
    runs, view = 0, job
    while view["status"] != "done":
        # each run has a budget of a few steps, as an invocation near its timeout would
        budget = iter(range(40))
        view = erasure.run_erasure(store, clock, user_id, job["erasureId"], has_time=lambda: next(budget, None) is not None)
        runs += 1
        if runs == 1:
            assert view["status"] == "running" and 0 < view["itemsLeft"] < 55_000
        assert runs < 200
    elapsed = time.monotonic() - started
    assert view["itemsLeft"] == 0 and view["sessionsErased"] == SESSIONS
    assert view["messagesDeleted"] == 50_000 and view["correctionsDeleted"] == 5_000
    assert runs > 1                                  # it did resume
    _nothing_left(store, user_id, ids)
    assert store.get_profile(user_id)["historyErasedThrough"] == SESSIONS
    print(f"50k erasure: {runs} runs, {elapsed:.1f} s")


def test_a_run_that_dies_mid_chunk_resumes_and_counts_once(real_dynamodb, clock, monkeypatch):
    store, queue, user_id = learning_store(), _Queue(), f"crash-{uuid.uuid4().hex[:8]}"
    ids = _seed(store, user_id, 6, 30, 5)
    job = erasure.start_erasure(store, queue, clock, user_id)
    assert queue.sent == [(user_id, job["erasureId"])]
    original, calls = type(store).delete_counted_top, []

    def dies_once(self, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise TimeoutError("the invocation timed out here")
        return original(self, **kwargs)

    monkeypatch.setattr(type(store), "delete_counted_top", dies_once)
    with pytest.raises(TimeoutError):
        erasure.run_erasure(store, clock, user_id, job["erasureId"], has_time=lambda: True)
    middle = erasure.erasure_status(store, user_id, job["erasureId"])
    assert middle["status"] == "running" and middle["sessionsErased"] == 2 and middle["itemsLeft"] == 4 * 35
    view = erasure.run_erasure(store, clock, user_id, job["erasureId"], has_time=lambda: True)   # the redelivery
    assert view["status"] == "done" and view["sessionsErased"] == 6 and view["correctionsDeleted"] == 30
    # the messages the dead run deleted are gone but were never reported (it died before saving)
    assert view["messagesDeleted"] == 5 * 30
    _nothing_left(store, user_id, ids)

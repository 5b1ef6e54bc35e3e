"""DELETE /api/learning/session/{id}: one conversation leaves the history with its transcript
and corrections (and their counters); its usage record stays; history pages stay full and
exact around the gap; repeats, other learners, unknown and active sessions."""
from __future__ import annotations

import pytest

from apitest import data, end_session, error
from learning.learning_store import learning_store
from learning_helpers import correction, erase, run_session

TRANSCRIPT = [{"role": "user", "text": "Tôi tên là Lan", "timestamp": 1},
              {"role": "coach", "text": "Rất vui được gặp Lan!", "timestamp": 2}]


def _history(client, query: str = "") -> dict:
    return data(client.get("/api/learning/history", query=query))


def _walk(client, limit: int) -> tuple[list[list[str]], list[list[str]]]:
    """Every page by number, and the same walk by cursor (ids, newest first)."""
    by_number, page = [], 1
    while True:
        answer = _history(client, f"page={page}&limit={limit}")
        if not answer["sessions"]:
            break
        by_number.append([s["id"] for s in answer["sessions"]])
        assert answer["pagination"]["page"] == page
        assert ("nextCursor" in answer) == (page * limit < answer["pagination"]["total"]), (page, answer)
        page += 1
    by_cursor, cursor = [], None
    while True:
        answer = _history(client, f"limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        by_cursor.append([s["id"] for s in answer["sessions"]])
        assert answer["pagination"]["page"] == len(by_cursor)
        cursor = answer.get("nextCursor")
        if not cursor:
            break
    return by_number, [p for p in by_cursor if p]


def _delete(client, session_id: str, status: int = 200):
    response = client.delete(f"/api/learning/session/{session_id}")
    return data(response) if status == 200 else error(response, status)


def test_a_deleted_conversation_is_gone_and_its_usage_stays(alice, bob, clock):
    ids = [run_session(alice, clock, messages=TRANSCRIPT * (n + 1), corrections=[correction(n, "tone"),
                                                                                   correction(n + 10)])
           for n in range(4)]
    target = ids[2]
    reviewed = data(alice.get(f"/api/learning/session/{target}"))["corrections"][0]["id"]
    data(alice.patch(f"/api/learning/corrections/{reviewed}", {"confidenceLevel": 4}))
    run_session(bob, clock, messages=TRANSCRIPT, corrections=[correction(0)])
    usage_before = data(alice.get("/api/usage"))
    stored_before = learning_store().get_session(target)
    stats_before = data(alice.get("/api/learning/corrections"))["stats"]
    due_before = data(alice.get("/api/learning/review", query="limit=50"))["dueCount"]
    bob_before = (_history(bob), data(bob.get("/api/learning/corrections")))

    assert _delete(alice, target) == {"sessionId": target, "messagesDeleted": 6, "correctionsDeleted": 2}

    assert error(alice.get(f"/api/learning/session/{target}"), 404)["code"] == "not_found"
    history = _history(alice)
    assert [s["id"] for s in history["sessions"]] == [ids[3], ids[1], ids[0]]
    assert history["pagination"] == {"total": 3, "page": 1, "limit": 10}
    assert learning_store().session_messages(target) == []
    assert learning_store().session_corrections(target) == []
    listing = data(alice.get("/api/learning/corrections", query="limit=50"))
    assert target not in {c["sessionId"] for c in listing["corrections"]} and len(listing["corrections"]) == 6
    assert listing["stats"] == {"total": stats_before["total"] - 2, "reviewed": stats_before["reviewed"] - 1,
                                "byCategory": {**stats_before["byCategory"],
                                               "tone": stats_before["byCategory"]["tone"] - 1,
                                               "grammar": stats_before["byCategory"]["grammar"] - 1}}
    queue = data(alice.get("/api/learning/review", query="limit=50"))
    assert queue["dueCount"] == due_before - 1 and target not in {c["sessionId"] for c in queue["corrections"]}

    # The billing facts stay: the session item (secondsUsed, status, period) and the period's usage.
    item = learning_store().get_session(target)
    assert {k: item[k] for k in ("userId", "secondsUsed", "status", "period", "startedAt", "endedAt")} == \
        {k: stored_before[k] for k in ("userId", "secondsUsed", "status", "period", "startedAt", "endedAt")}
    assert "historyUser" not in item and item["messageCount"] == item["correctionCount"] == 0
    assert data(alice.get("/api/usage")) == usage_before
    assert (_history(bob), data(bob.get("/api/learning/corrections"))) == bob_before

    # Idempotent: a repeat answers the same shape with zero counts and changes nothing.
    assert _delete(alice, target) == {"sessionId": target, "messagesDeleted": 0, "correctionsDeleted": 0}
    assert data(alice.get("/api/learning/corrections"))["stats"] == listing["stats"]
    assert _history(alice)["pagination"]["total"] == 3


def test_another_learners_unknown_and_active_sessions_are_refused(alice, bob, clock):
    mine = run_session(alice, clock, messages=TRANSCRIPT, corrections=[correction(0)])
    assert _delete(bob, mine, 404)["code"] == "not_found"
    assert _delete(alice, "no-such-session", 404)["code"] == "not_found"
    assert data(alice.get(f"/api/learning/session/{mine}"))["messages"] == TRANSCRIPT

    ongoing = run_session(alice, clock, end=False)
    assert _delete(alice, ongoing, 409)["code"] == "session_active"
    assert _history(alice)["pagination"]["total"] == 2
    clock.advance(30)
    end_session(alice, ongoing, messages=TRANSCRIPT, corrections=[correction(1)])
    assert _delete(alice, ongoing) == {"sessionId": ongoing, "messagesDeleted": 2, "correctionsDeleted": 1}
    assert [s["id"] for s in _history(alice)["sessions"]] == [mine]


@pytest.mark.parametrize("deleted", [(12,), (1,), (7, 8), (12, 11, 10, 9), (1, 2, 3, 6, 12), tuple(range(1, 13))])
def test_pages_stay_full_and_exact_around_deleted_sessions(alice, clock, deleted):
    ids = [run_session(alice, clock) for _ in range(12)]      # historySeq 1..12
    for seq in deleted:
        _delete(alice, ids[seq - 1])
    kept = [sid for n, sid in enumerate(ids, 1) if n not in deleted][::-1]
    for limit in (1, 3, 50):
        by_number, by_cursor = _walk(alice, limit)
        expected = [kept[i:i + limit] for i in range(0, len(kept), limit)]
        assert by_number == expected == by_cursor, (deleted, limit)
    assert _history(alice)["pagination"]["total"] == len(kept)
    assert _history(alice, f"page={len(kept) + 1}&limit=1")["sessions"] == []


def test_deletions_and_erasure_add_up(alice, clock, erasures):
    ids = [run_session(alice, clock, messages=TRANSCRIPT) for _ in range(4)]
    _delete(alice, ids[1])
    cursor = _history(alice, "limit=2")["nextCursor"]
    _delete(alice, ids[0])        # a cursor stays put while sessions are deleted
    assert [s["id"] for s in _history(alice, f"limit=2&cursor={cursor}")["sessions"]] == []
    erased = erase(alice, erasures)
    assert (erased["sessionsErased"], erased["messagesDeleted"], erased["correctionsDeleted"],
            erased["sessionsKept"]) == (2, 4, 0, 0)
    assert learning_store().get_profile("alice") == {"sessionCount": 4, "historyErasedThrough": 4}
    fresh = [run_session(alice, clock) for _ in range(3)]
    _delete(alice, fresh[1])
    history = _history(alice, "limit=1")
    assert history["pagination"]["total"] == 2 and [s["id"] for s in history["sessions"]] == [fresh[2]]
    assert [s["id"] for s in _history(alice, "limit=1&page=2")["sessions"]] == [fresh[0]]
    assert _delete(alice, ids[3]) == {"sessionId": ids[3], "messagesDeleted": 0, "correctionsDeleted": 0}


def test_a_large_session_deletes_in_chunks_with_exact_counters(alice, clock, ddb_requests):
    session_id = run_session(alice, clock, messages=TRANSCRIPT * 30,
                             corrections=[correction(n, "tone" if n % 3 else None) for n in range(150)])
    other = run_session(alice, clock, corrections=[correction(7, "vocabulary")])
    ddb_requests.reset()
    assert _delete(alice, session_id) == {"sessionId": session_id, "messagesDeleted": 60,
                                          "correctionsDeleted": 150}
    # GetItem + the close + Query seqs + 1 BatchWrite (the 60 short messages are 2 items:
    # speakpho.transcript) + Query corrections + 2 transactions of corrections (98 from the top
    # index down, then 52), then the session's removal
    assert dict(ddb_requests.ops) == {"GetItem": 1, "UpdateItem": 1, "Query": 2, "BatchWriteItem": 1,
                                      "TransactWriteItems": 3}
    assert learning_store().get_stats("alice") == {"userId": "alice", "correctionId": "#stats", "total": 1,
                                                   "cat_tone": 0, "cat_vocabulary": 1}
    assert [c["sessionId"] for c in data(alice.get("/api/learning/corrections"))["corrections"]] == [other]


def test_a_correction_reviewed_during_the_deletion_is_read_again(alice, clock, monkeypatch):
    from learning.learning_store import LearningStore

    session_id = run_session(alice, clock, corrections=[correction(0), correction(1)])
    real = LearningStore.session_corrections
    reads = []

    def read_then_another_device_rates(self, sid):
        items = real(self, sid)
        reads.append(len(items))
        if len(reads) == 1:
            data(alice.patch(f"/api/learning/corrections/{items[0]['correctionId']}", {"confidenceLevel": 4}))
        return items

    monkeypatch.setattr(LearningStore, "session_corrections", read_then_another_device_rates)
    assert _delete(alice, session_id)["correctionsDeleted"] == 2
    monkeypatch.undo()
    assert reads == [2, 2]     # the first transaction lost its condition (version moved), the second won
    assert data(alice.get("/api/learning/corrections"))["stats"] == {"total": 0, "reviewed": 0, "byCategory": {
        "grammar": 0, "tone": 0, "vocabulary": 0, "word_order": 0, "pronunciation": 0}}


def test_a_late_end_cannot_refill_a_deleted_session(alice, clock):
    """A session closed by the stale sweeper can still receive its /session/end later."""
    from infra.catalog import SWEEPER
    from local.gateway import Gateway

    session_id = run_session(alice, clock, end=False)
    clock.advance(600)
    Gateway().invoke(SWEEPER.handler, {"source": "test", "detail-type": "Scheduled Event"})
    assert _delete(alice, session_id) == {"sessionId": session_id, "messagesDeleted": 0, "correctionsDeleted": 0}
    end_session(alice, session_id, messages=TRANSCRIPT, corrections=[correction(0)])
    assert learning_store().session_messages(session_id) == []
    assert data(alice.get("/api/learning/corrections"))["stats"]["total"] == 0
    assert _history(alice)["pagination"]["total"] == 0


def test_deleting_needs_a_token(api, alice, clock):
    session_id = run_session(alice, clock)
    assert api.delete(f"/api/learning/session/{session_id}").status == 401
    assert _history(alice)["pagination"]["total"] == 1

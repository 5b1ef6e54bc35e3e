"""DELETE /api/learning/history (an erasure job, run by the worker off the queue): the
learner's transcripts and corrections go, their session (usage) records stay, the history
is empty, and nobody else is touched."""
from __future__ import annotations

from learning.learning_store import learning_store
from apitest import data, end_session, error
from learning_helpers import correction, erase, run_session

TRANSCRIPT = [{"role": "user", "text": "Tôi tên là Lan", "timestamp": 1},
              {"role": "coach", "text": "Rất vui được gặp Lan!", "timestamp": 2}]


def _snapshot(client) -> dict:
    history = data(client.get("/api/learning/history", query="limit=50"))
    return {
        "history": history,
        "details": [data(client.get(f"/api/learning/session/{s['id']}")) for s in history["sessions"]],
        "corrections": data(client.get("/api/learning/corrections", query="limit=50")),
        "review": data(client.get("/api/learning/review", query="limit=50")),
    }


def test_erasure_removes_content_keeps_usage_and_spares_others(alice, bob, clock, erasures):
    alice_ids = [run_session(alice, clock, messages=TRANSCRIPT * (n + 1), corrections=[correction(n, "tone")])
                 for n in range(3)]
    data(alice.post("/api/learning/corrections/import", {"corrections": [{"original": "x", "correction": "y"}]}))
    reviewed = data(alice.get("/api/learning/corrections"))["corrections"][0]["id"]
    data(alice.patch(f"/api/learning/corrections/{reviewed}", {"confidenceLevel": 3}))
    run_session(bob, clock, messages=TRANSCRIPT, corrections=[correction(9)])
    bob_before = _snapshot(bob)
    usage_before = data(alice.get("/api/usage"))

    erased = erase(alice, erasures)
    assert {k: erased[k] for k in ("sessionsErased", "messagesDeleted", "correctionsDeleted", "sessionsKept")} == \
        {"sessionsErased": 3, "messagesDeleted": 2 + 4 + 6, "correctionsDeleted": 4, "sessionsKept": 0}

    after = _snapshot(alice)
    assert after["history"] == {"sessions": [], "pagination": {"total": 0, "page": 1, "limit": 50}}
    assert after["corrections"]["corrections"] == [] and after["review"] == {"corrections": [], "dueCount": 0,
                                                                                    "dueCountCapped": False}
    assert after["corrections"]["stats"] == {"total": 0, "reviewed": 0, "byCategory": {
        "grammar": 0, "tone": 0, "vocabulary": 0, "word_order": 0, "pronunciation": 0}}
    for session_id in alice_ids:
        assert error(alice.get(f"/api/learning/session/{session_id}"), 404)["code"] == "not_found"
        item = learning_store().get_session(session_id)  # the usage record stays
        assert item["userId"] == "alice" and item["secondsUsed"] == 30 and item["status"] == "ended"
        assert "historyUser" not in item and item["messageCount"] == 0 and item["correctionCount"] == 0
        assert learning_store().session_messages(session_id) == []
    assert data(alice.get("/api/usage")) == usage_before
    assert _snapshot(bob) == bob_before

    # erasing again finds nothing more; new sessions start a fresh history
    again = erase(alice, erasures)
    assert (again["sessionsErased"], again["messagesDeleted"], again["correctionsDeleted"]) == (0, 0, 0)
    fresh = [run_session(alice, clock, messages=TRANSCRIPT, corrections=[correction(7)]) for _ in range(3)]
    history = data(alice.get("/api/learning/history", query="limit=2"))
    assert history["pagination"]["total"] == 3
    assert [s["id"] for s in history["sessions"]] == [fresh[2], fresh[1]]
    page2 = data(alice.get("/api/learning/history", query="limit=2&page=2"))
    assert [s["id"] for s in page2["sessions"]] == [fresh[0]] and "nextCursor" not in page2
    assert data(alice.get("/api/learning/history", query=f"limit=2&cursor={history['nextCursor']}")) == page2
    assert data(alice.get("/api/learning/corrections"))["stats"]["total"] == 3


def test_a_session_in_progress_stays_in_the_history(alice, clock, erasures):
    finished = run_session(alice, clock, messages=TRANSCRIPT)
    ongoing = run_session(alice, clock, end=False)
    erased = erase(alice, erasures)
    assert erased["sessionsErased"] == 1 and erased["sessionsKept"] == 1
    history = data(alice.get("/api/learning/history"))
    assert [s["id"] for s in history["sessions"]] == [ongoing] and history["pagination"]["total"] == 1
    assert error(alice.get(f"/api/learning/session/{finished}"), 404)["code"] == "not_found"

    clock.advance(30)
    end_session(alice, ongoing, messages=TRANSCRIPT, corrections=[correction(1)])
    assert data(alice.get(f"/api/learning/session/{ongoing}"))["messages"] == TRANSCRIPT
    assert erase(alice, erasures)["sessionsErased"] == 1
    assert data(alice.get("/api/learning/history"))["pagination"]["total"] == 0


def test_a_late_end_cannot_add_a_transcript_to_an_erased_session(alice, clock, erasures):
    """A session closed by the stale sweeper can still receive its /session/end later."""
    session_id = run_session(alice, clock, end=False)
    clock.advance(600)
    from local.gateway import Gateway
    from infra.catalog import SWEEPER

    Gateway().invoke(SWEEPER.handler, {"source": "test", "detail-type": "Scheduled Event"})
    assert learning_store().get_session(session_id)["status"] == "ended"
    assert erase(alice, erasures)["sessionsErased"] == 1
    end_session(alice, session_id, messages=TRANSCRIPT)
    assert learning_store().session_messages(session_id) == []
    assert data(alice.get("/api/learning/history"))["pagination"]["total"] == 0


def test_erasure_needs_a_token_and_touches_only_the_caller(api, alice, bob, clock, erasures):
    run_session(alice, clock, messages=TRANSCRIPT, corrections=[correction(0)])
    assert api.delete("/api/learning/history").status == 401
    started = data(alice.delete("/api/learning/history"), 202)
    # another learner's erasure id is not found (the job's key holds its owner), nor an unknown one
    assert error(bob.get(f"/api/learning/erasure/{started['erasureId']}"), 404)["code"] == "not_found"
    assert error(alice.get("/api/learning/erasure/nope"), 404)["code"] == "not_found"
    assert api.get(f"/api/learning/erasure/{started['erasureId']}").status == 401
    assert data(alice.get(f"/api/learning/erasure/{started['erasureId']}")) == {
        "erasureId": started["erasureId"], "status": "running", "requestedAt": started["requestedAt"],
        "itemsLeft": None, "sessionsErased": 0, "messagesDeleted": 0, "correctionsDeleted": 0, "sessionsKept": 0}
    erasures.drain()
    assert data(alice.get(f"/api/learning/erasure/{started['erasureId']}"))["status"] == "done"
    bobs = erase(bob, erasures)
    assert (bobs["sessionsErased"], bobs["messagesDeleted"], bobs["correctionsDeleted"]) == (0, 0, 0)
    run_session(alice, clock, messages=TRANSCRIPT, corrections=[correction(0)])
    assert data(alice.get("/api/learning/history"))["sessions"][0]["messageCount"] == 2
    assert data(alice.get("/api/learning/corrections"))["stats"]["total"] == 1

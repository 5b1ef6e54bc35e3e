"""DynamoDB requests per call (the issue's budget: history page <= 3, session detail <= 3,
PATCH <= 2), no Scan anywhere, and a history page costing the same at any depth."""
from __future__ import annotations

from apitest import data
from learning_helpers import correction, run_session

MESSAGES = [{"role": "user" if n % 2 else "coach", "text": f"câu số {n}", "timestamp": n} for n in range(40)]


def _cost(ddb_requests, call) -> tuple[dict, int]:
    ddb_requests.reset()
    result = call()
    assert "Scan" not in ddb_requests.ops, ddb_requests.ops
    return dict(ddb_requests.ops), ddb_requests.total


def test_requests_per_call_are_within_budget(alice, clock, erasures, ddb_requests, settings_env):
    settings_env(STARTS_PER_HOUR=30)   # 24 sessions in a few minutes
    few = [run_session(alice, clock, messages=MESSAGES[:4], corrections=[correction(n)]) for n in range(2)]
    _, shallow = _cost(ddb_requests, lambda: data(alice.get("/api/learning/history", query="limit=10")))
    for n in range(22):
        run_session(alice, clock, messages=MESSAGES, corrections=[correction(n, "tone"), correction(n + 100)])
    session_id = data(alice.get("/api/learning/history", query="limit=1"))["sessions"][0]["id"]

    calls, first_page = _cost(ddb_requests, lambda: data(alice.get("/api/learning/history", query="limit=10")))
    assert calls == {"GetItem": 1, "Query": 1} and first_page == shallow
    _, last_page = _cost(ddb_requests, lambda: data(alice.get("/api/learning/history", query="page=3&limit=10")))
    assert last_page == first_page == 2
    cursor = data(alice.get("/api/learning/history", query="limit=10"))["nextCursor"]
    assert _cost(ddb_requests, lambda: data(alice.get("/api/learning/history",
                                                      query=f"limit=10&cursor={cursor}")))[1] == 2

    calls, detail = _cost(ddb_requests, lambda: data(alice.get(f"/api/learning/session/{session_id}")))
    assert calls == {"GetItem": 1, "Query": 2} and detail <= 3
    old_detail = _cost(ddb_requests, lambda: data(alice.get(f"/api/learning/session/{few[0]}")))[1]
    assert old_detail == detail

    correction_id = data(alice.get("/api/learning/corrections"))["corrections"][0]["id"]
    calls, flip = _cost(ddb_requests, lambda: data(alice.patch(f"/api/learning/corrections/{correction_id}",
                                                               {"reviewed": True, "confidenceLevel": 4})))
    # An FSRS review reads the correction with the learner's #memory row (one BatchGetItem) and
    # writes both (the review log on the card, the review count on #memory) in one transaction.
    assert calls == {"BatchGetItem": 1, "TransactWriteItems": 1} and flip <= 2
    calls, again = _cost(ddb_requests, lambda: data(alice.patch(f"/api/learning/corrections/{correction_id}",
                                                                {"confidenceLevel": 5})))
    assert calls == {"BatchGetItem": 1, "TransactWriteItems": 1} and again <= 2
    calls, _ = _cost(ddb_requests, lambda: data(alice.patch(f"/api/learning/corrections/{correction_id}",
                                                            {"reviewed": True})))
    assert calls == {"GetItem": 1, "UpdateItem": 1}   # no review: neither the #memory row nor the log

    # With an Idempotency-Key: the key's record rides in the same two requests; a repeat is one read.
    key = {"Idempotency-Key": "cost-1"}
    calls, keyed = _cost(ddb_requests, lambda: data(alice.patch(f"/api/learning/corrections/{correction_id}",
                                                                {"confidenceLevel": 3}, headers=key)))
    assert calls == {"TransactGetItems": 1, "TransactWriteItems": 1} and keyed <= 2
    calls, _ = _cost(ddb_requests, lambda: data(alice.patch(f"/api/learning/corrections/{correction_id}",
                                                            {"confidenceLevel": 3}, headers=key)))
    assert calls == {"TransactGetItems": 1}

    for query in ("", "reviewed=false", "category=tone", "category=tone&reviewed=true", "limit=5"):
        calls, listing = _cost(ddb_requests, lambda: data(alice.get("/api/learning/corrections", query=query)))
        assert calls == {"Query": 1, "GetItem": 1}, (query, calls)
    calls, queue = _cost(ddb_requests, lambda: data(alice.get("/api/learning/review")))
    assert calls == {"Query": 2}
    calls, _ = _cost(ddb_requests, lambda: data(alice.post("/api/learning/corrections/import", {
        "corrections": [{"original": f"o{n}", "correction": f"c{n}"} for n in range(150)]})))
    assert calls == {"BatchGetItem": 2, "TransactWriteItems": 2}
    calls, _ = _cost(ddb_requests, lambda: data(alice.post("/api/learning/corrections/import", {
        "corrections": [{"original": f"o{n}", "correction": f"c{n}"} for n in range(150)]})))
    assert calls == {"BatchGetItem": 2}  # a repeated import writes nothing
    # The erasure's route records the job (a conditional UpdateItem creates its row) and queues
    # it (the worker does the work): one write.
    calls, _ = _cost(ddb_requests, lambda: data(alice.delete("/api/learning/history"), 202))
    assert calls == {"UpdateItem": 1}


def test_requests_of_deleting_a_session_disputing_and_the_review_queue(alice, clock, ddb_requests):
    """DELETE session/{id}: bounded by that session's content; PATCH {disputed}: 2; GET review:
    1 when the page holds every due correction, else 2 (the count stops at DUE_COUNT_CAP + 1)."""
    ids = [run_session(alice, clock, messages=MESSAGES, corrections=[correction(n), correction(n + 50, "tone")])
           for n in range(3)]
    bare = run_session(alice, clock)   # ended without a transcript or corrections

    calls, _ = _cost(ddb_requests, lambda: data(alice.get("/api/learning/review")))
    assert calls == {"Query": 1}       # 6 due, page of 20
    calls, _ = _cost(ddb_requests, lambda: data(alice.get("/api/learning/review", query="limit=5")))
    assert calls == {"Query": 2}

    card = data(alice.get("/api/learning/review"))["corrections"][0]["id"]
    calls, _ = _cost(ddb_requests, lambda: data(alice.patch(f"/api/learning/corrections/{card}", {"disputed": True})))
    assert calls == {"GetItem": 1, "UpdateItem": 1}
    calls, _ = _cost(ddb_requests, lambda: data(alice.patch(f"/api/learning/corrections/{card}", {"disputed": True})))
    assert calls == {"GetItem": 1}     # already disputed: nothing to write
    calls, _ = _cost(ddb_requests, lambda: data(alice.patch(f"/api/learning/corrections/{card}",
                                                            {"disputed": False, "reviewed": True})))
    assert calls == {"GetItem": 1, "TransactWriteItems": 1}   # the reviewed counter moves with it

    # The close (UpdateItem: no end can commit content after it, learning/withdrawal.py), 40 short
    # messages in 2 items (speakpho.transcript: Query of the keys + 1 BatchWrite, where one item per
    # message took 2), 2 corrections (Query + their transaction with the session's correctionCount)
    # and the transaction that takes the session out of the history
    calls, _ = _cost(ddb_requests, lambda: data(alice.delete(f"/api/learning/session/{ids[1]}")))
    assert calls == {"GetItem": 1, "UpdateItem": 1, "Query": 2, "BatchWriteItem": 1, "TransactWriteItems": 2}
    # A session ended without content is still looked into: an end in flight may be writing some.
    calls, _ = _cost(ddb_requests, lambda: data(alice.delete(f"/api/learning/session/{bare}")))
    assert calls == {"GetItem": 1, "UpdateItem": 1, "Query": 2, "TransactWriteItems": 1}
    calls, _ = _cost(ddb_requests, lambda: data(alice.delete(f"/api/learning/session/{ids[1]}")))
    assert calls == {"GetItem": 1}     # a repeat

    # History pages cost the same with sessions deleted inside them.
    for query in ("limit=1", "limit=1&page=2"):
        calls, _ = _cost(ddb_requests, lambda: data(alice.get("/api/learning/history", query=query)))
        assert calls == {"GetItem": 1, "Query": 1}, query

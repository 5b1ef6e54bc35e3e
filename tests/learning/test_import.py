"""POST /api/learning/corrections/import: migrating localStorage corrections, idempotently."""
from __future__ import annotations

from apitest import data, error
from learning_helpers import correction, erase, run_session

URL = "/api/learning/corrections/import"


def _local_storage(n: int) -> list[dict]:
    items = []
    for i in range(n):
        item = {"original": f"Anh ấy đi học {i}", "correction": f"Anh ấy đã đi học {i}"}
        if i % 3 == 0:
            item["explanation"] = "Thêm 'đã' cho quá khứ"
        if i % 2 == 0:
            item["category"] = "grammar"
        if i % 4 != 3:
            item["createdAt"] = 1_790_000_000_000 + i * 1000
        items.append(item)
    return items


def _list(client, query="limit=50"):
    return data(client.get("/api/learning/corrections", query=query))


def test_import_twice_adds_nothing_the_second_time(alice, clock):
    run_session(alice, clock, corrections=[correction(0, "tone")])
    items = _local_storage(110)  # more than one transaction's worth
    assert data(alice.post(URL, {"corrections": items})) == {"imported": 110, "skipped": 0}
    stats = _list(alice)["stats"]
    assert stats["total"] == 111 and stats["byCategory"]["grammar"] == 55 and stats["byCategory"]["tone"] == 1

    clock.advance(3600)  # entries without createdAt must still be recognised
    assert data(alice.post(URL, {"corrections": items})) == {"imported": 0, "skipped": 110}
    # a list overlapping the first: only the new ones are added and counted
    more = items[60:] + _local_storage(120)[110:]
    assert data(alice.post(URL, {"corrections": more})) == {"imported": 10, "skipped": 50}
    stats = _list(alice)["stats"]
    assert stats["total"] == 121 and stats["byCategory"]["grammar"] == 60

    seen, cursor = [], None
    while True:
        page = _list(alice, "limit=50" + (f"&cursor={cursor}" if cursor else ""))
        seen += page["corrections"]
        cursor = page.get("nextCursor")
        if not cursor:
            break
    assert len(seen) == len({c["id"] for c in seen}) == 121
    imported = next(c for c in seen if c["original"] == "Anh ấy đi học 0")
    assert imported["sessionId"] is None and imported["createdAt"] == 1_790_000_000_000
    assert imported["explanation"] == "Thêm 'đã' cho quá khứ" and imported["reviewed"] is False


def test_duplicates_inside_one_list_count_once(alice):
    item = {"original": "Tôi là sinh viên", "correction": "Em là sinh viên", "category": "tone"}
    assert data(alice.post(URL, {"corrections": [item, item, dict(item)]})) == {"imported": 1, "skipped": 2}
    assert _list(alice)["stats"]["total"] == 1


def test_imported_corrections_join_the_review_queue(alice, clock):
    data(alice.post(URL, {"corrections": _local_storage(4)}))
    queue = data(alice.get("/api/learning/review"))
    assert queue["dueCount"] == 4
    # undated entries are stamped with the import time: the queue starts with the dated ones
    assert [c["original"] for c in queue["corrections"]][-1] == "Anh ấy đi học 3"
    assert queue["corrections"][-1]["createdAt"] == clock.now_ms()


def test_imports_are_per_learner(alice, bob):
    items = _local_storage(5)
    data(alice.post(URL, {"corrections": items}))
    assert data(bob.post(URL, {"corrections": items})) == {"imported": 5, "skipped": 0}
    assert _list(alice)["stats"]["total"] == 5 and _list(bob)["stats"]["total"] == 5
    assert not {c["id"] for c in _list(alice)["corrections"]} & {c["id"] for c in _list(bob)["corrections"]}


def test_import_validation(alice, clock):
    ok_item = {"original": "a", "correction": "b"}
    cases = [
        ({"corrections": [ok_item] * 201}, "corrections"),
        ({"corrections": []}, "corrections"),
        ({"corrections": [{**ok_item, "original": "x" * 4001}]}, "corrections.0.original"),
        ({"corrections": [{**ok_item, "explanation": "x" * 4001}]}, "corrections.0.explanation"),
        ({"corrections": [{**ok_item, "category": "spelling"}]}, "corrections.0.category"),
        ({"corrections": [{**ok_item, "id": "local-1"}]}, "corrections.0.id"),
        ({"corrections": [{"original": "a"}]}, "corrections.0.correction"),
        ({"corrections": [ok_item], "replace": True}, "replace"),
    ]
    for body, field in cases:
        err = error(alice.post(URL, body), 422)
        assert field in err["message"], (field, err)
    future = {**ok_item, "createdAt": clock.now_ms() + 2 * 24 * 3600 * 1000}
    assert error(alice.post(URL, {"corrections": [ok_item, future]}), 422)["details"] == \
        {"field": "corrections.1.createdAt"}
    assert _list(alice)["stats"]["total"] == 0
    assert data(alice.post(URL, {"corrections": [{**ok_item, "original": "x" * 4000}] * 200})) == \
        {"imported": 1, "skipped": 199}


def test_an_item_created_meanwhile_is_neither_duplicated_nor_counted(alice, monkeypatch):
    """The pre-check can miss an item another request creates a moment later: the
    conditional put then fails, that item is dropped and the rest retried."""
    from learning.learning_store import LearningStore, learning_store

    items = _local_storage(6)
    data(alice.post(URL, {"corrections": items[:2]}))
    monkeypatch.setattr(LearningStore, "existing_correction_ids", lambda self, user_id, ids: set())
    assert data(alice.post(URL, {"corrections": items})) == {"imported": 4, "skipped": 2}
    assert learning_store().get_stats("alice")["total"] == 6
    assert len(_list(alice)["corrections"]) == 6


def test_a_learner_holds_at_most_the_limit_of_imported_corrections(alice, clock, settings_env, erasures):
    """IMPORTED_CORRECTIONS_LIMIT counts the imported corrections held (the #stats row's
    `imported`): an import whose new items do not fit is refused whole (413), nothing written."""
    from learning.learning_store import learning_store

    settings_env(IMPORTED_CORRECTIONS_LIMIT=150)
    session_id = run_session(alice, clock, corrections=[correction(0, "tone")])   # not an import: not counted
    items = _local_storage(200)
    assert data(alice.post(URL, {"corrections": items[:110]})) == {"imported": 110, "skipped": 0}
    before = _list(alice)
    refused = error(alice.post(URL, {"corrections": items[100:170]}), 413)    # 10 held + 60 new, room for 40
    assert refused["code"] == "import_limit_reached"
    assert refused["details"] == {"field": "body.corrections", "limit": 150, "held": 110, "new": 60, "imported": 0}
    assert _list(alice) == before and learning_store().get_stats("alice")["imported"] == 110

    assert data(alice.post(URL, {"corrections": items[100:150]})) == {"imported": 40, "skipped": 10}   # to the last
    assert data(alice.post(URL, {"corrections": items[:150]})) == {"imported": 0, "skipped": 150}   # a repeat: fine
    assert error(alice.post(URL, {"corrections": items[150:151]}), 413)["details"]["held"] == 150
    assert _list(alice)["stats"]["total"] == 151

    data(alice.delete(f"/api/learning/session/{session_id}"))      # a session's own corrections: no change
    assert learning_store().get_stats("alice")["imported"] == 150
    erase(alice, erasures)                                         # erasing them frees the room
    assert learning_store().get_stats("alice")["imported"] == 0
    assert data(alice.post(URL, {"corrections": items[150:]})) == {"imported": 50, "skipped": 0}


def test_an_import_larger_than_the_room_writes_nothing(bob, settings_env, ddb_requests):
    """More new items than the limit can ever hold: refused before any write, whatever the
    number of transactions the import would take."""
    settings_env(IMPORTED_CORRECTIONS_LIMIT=150)
    ddb_requests.reset()
    refused = error(bob.post(URL, {"corrections": _local_storage(200)}), 413)
    assert refused["details"] == {"field": "body.corrections", "limit": 150, "held": 0, "new": 200, "imported": 0}
    assert dict(ddb_requests.ops) == {"BatchGetItem": 2, "GetItem": 1}     # the existing ids, then the counter
    assert _list(bob)["stats"]["total"] == 0 and _list(bob)["corrections"] == []

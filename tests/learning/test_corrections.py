"""GET /api/learning/corrections (filters, pages, counters) and
PATCH /api/learning/corrections/{id} (review flag, confidence, validation, ownership)."""
from __future__ import annotations

from apitest import data, error
from learning_helpers import correction, run_session


def _list(client, query: str = "") -> dict:
    return data(client.get("/api/learning/corrections", query=query))


def _seed(client, clock) -> list[str]:
    """Two sessions: 3 grammar + 1 tone, then 1 tone + 1 vocabulary + 1 without category."""
    run_session(client, clock, corrections=[correction(0), correction(1), correction(2), correction(3, "tone")])
    clock.advance(60)
    run_session(client, clock, corrections=[correction(4, "tone"), correction(5, "vocabulary"),
                                            correction(6, None)])
    return [c["id"] for c in _list(client, "limit=50")["corrections"]]


def test_list_is_newest_first_with_stats_over_everything(alice, clock):
    ids = _seed(alice, clock)
    listing = _list(alice)
    assert len(listing["corrections"]) == 7 and "nextCursor" not in listing
    created = [c["createdAt"] for c in listing["corrections"]]
    assert created == sorted(created, reverse=True)
    assert {c["original"] for c in listing["corrections"][:3]} == {"Tôi đi chợ 4", "Tôi đi chợ 5", "Tôi đi chợ 6"}
    assert listing["stats"] == {"total": 7, "reviewed": 0, "byCategory": {
        "grammar": 3, "tone": 2, "vocabulary": 1, "word_order": 0, "pronunciation": 0}}
    assert set(listing["corrections"][0]) == {"id", "sessionId", "original", "correction", "explanation",
                                              "category", "reviewed", "disputed", "confidenceLevel",
                                              "reviewedAt", "nextReviewAt", "createdAt", "leech", "lapses",
                                              "evidence"}
    assert len(set(ids)) == 7


def test_filters_use_category_and_reviewed(alice, clock):
    _seed(alice, clock)
    grammar = _list(alice, "category=grammar")["corrections"]
    assert sorted(c["original"] for c in grammar) == ["Tôi đi chợ 0", "Tôi đi chợ 1", "Tôi đi chợ 2"]
    tone_id = _list(alice, "category=tone")["corrections"][0]["id"]
    data(alice.patch(f"/api/learning/corrections/{tone_id}", {"reviewed": True, "confidenceLevel": 4}))
    data(alice.patch(f"/api/learning/corrections/{grammar[0]['id']}", {"reviewed": True}))

    reviewed = _list(alice, "reviewed=true")
    assert {c["id"] for c in reviewed["corrections"]} == {tone_id, grammar[0]["id"]}
    assert len(_list(alice, "reviewed=false")["corrections"]) == 5
    tone_open = _list(alice, "category=tone&reviewed=false")["corrections"]
    assert len(tone_open) == 1 and tone_open[0]["id"] != tone_id
    assert [c["id"] for c in _list(alice, "category=tone&reviewed=true")["corrections"]] == [tone_id]
    assert _list(alice, "category=pronunciation")["corrections"] == []
    # stats ignore the filters
    assert _list(alice, "category=pronunciation")["stats"]["total"] == 7
    assert _list(alice, "category=tone&reviewed=true")["stats"]["reviewed"] == 2


def test_pages_by_cursor_with_and_without_filters(alice, clock):
    run_session(alice, clock, corrections=[correction(n, "grammar" if n % 2 else "tone") for n in range(13)])
    for query, expected in (("", 13), ("category=grammar", 6), ("reviewed=false", 13),
                            ("category=tone&reviewed=false", 7)):
        seen, cursor, pages = [], None, 0
        while True:
            page = _list(alice, "limit=5" + (f"&{query}" if query else "") + (f"&cursor={cursor}" if cursor else ""))
            seen += [c["id"] for c in page["corrections"]]
            pages += 1
            cursor = page.get("nextCursor")
            if not cursor:
                break
        assert len(seen) == expected == len(set(seen)), query
        assert pages == -(-expected // 5), query


def test_a_cursor_belongs_to_its_filters_and_its_learner(alice, bob, clock):
    run_session(alice, clock, corrections=[correction(n) for n in range(4)])
    run_session(bob, clock, corrections=[correction(n) for n in range(4)])
    cursor = _list(alice, "limit=2")["nextCursor"]
    assert error(alice.get("/api/learning/corrections", query=f"limit=2&category=grammar&cursor={cursor}"),
                 400)["details"] == {"field": "cursor"}
    assert error(bob.get("/api/learning/corrections", query=f"limit=2&cursor={cursor}"), 400)["code"] == \
        "invalid_cursor"


def test_review_flag_and_confidence_update_stats(alice, clock):
    ids = _seed(alice, clock)
    clock.advance(5)
    now = clock.now_ms()
    answer = data(alice.patch(f"/api/learning/corrections/{ids[0]}", {"reviewed": True, "confidenceLevel": 4}))
    assert answer["id"] == ids[0] and answer["reviewed"] is True and answer["reviewedAt"] == now
    assert answer["confidenceLevel"] == 4 and answer["nextReviewAt"] > now
    assert set(answer) == {"id", "reviewed", "reviewedAt", "confidenceLevel", "nextReviewAt", "disputed",
                           "leech", "lapses", "explanation"}
    assert _list(alice)["stats"]["reviewed"] == 1

    # A second review of the same card does not count it twice.
    data(alice.patch(f"/api/learning/corrections/{ids[0]}", {"confidenceLevel": 5}))
    data(alice.patch(f"/api/learning/corrections/{ids[1]}", {"reviewed": True}))
    assert _list(alice)["stats"]["reviewed"] == 2
    # Un-marking counts down once; repeating it changes nothing.
    unmarked = data(alice.patch(f"/api/learning/corrections/{ids[1]}", {"reviewed": False}))
    assert unmarked["reviewed"] is False and unmarked["reviewedAt"] is None
    data(alice.patch(f"/api/learning/corrections/{ids[1]}", {"reviewed": False}))
    stats = _list(alice)["stats"]
    assert stats["reviewed"] == 1 and stats["total"] == 7

    shown = next(c for c in _list(alice)["corrections"] if c["id"] == ids[0])
    assert shown["confidenceLevel"] == 5 and shown["reviewed"] is True and shown["nextReviewAt"] > now


def test_patch_validation(alice, clock):
    ids = _seed(alice, clock)
    url = f"/api/learning/corrections/{ids[0]}"
    for body, field in (({"confidenceLevel": 6}, "confidenceLevel"), ({"confidenceLevel": -1}, "confidenceLevel"),
                        ({"reviewed": True, "stars": 3}, "stars"), ({"confidenceLevel": "4"}, "confidenceLevel"),
                        ({"reviewed": "yes"}, "reviewed")):
        err = error(alice.patch(url, body), 422)
        assert field in err["message"], (body, err)
    assert error(alice.patch(url, {}), 422)["details"] == {"field": "body"}
    assert error(alice.patch(url, {"reviewed": False, "confidenceLevel": 3}), 422)["details"] == {"field": "reviewed"}
    assert error(alice.patch(url, raw="not json"), 422)["code"] == "validation_error"
    listing = _list(alice)
    assert listing["stats"]["reviewed"] == 0 and all(c["confidenceLevel"] == 0 for c in listing["corrections"])
    assert error(alice.get("/api/learning/corrections", query="limit=51"), 422)["message"].endswith("limit")
    assert error(alice.get("/api/learning/corrections", query="category=spelling"), 422)["code"] == "validation_error"
    assert error(alice.get("/api/learning/corrections", query="reviewed=maybe"), 422)["code"] == "validation_error"


def test_another_learners_correction_is_not_found_and_unchanged(alice, bob, clock):
    ids = _seed(alice, clock)
    before = _list(alice, "limit=50")
    assert error(bob.patch(f"/api/learning/corrections/{ids[0]}", {"reviewed": True, "confidenceLevel": 5}),
                 404)["code"] == "not_found"
    assert error(alice.patch("/api/learning/corrections/%23stats", {"reviewed": True}), 404)["code"] == "not_found"
    assert error(alice.patch("/api/learning/corrections/7b7f3c1e-0000-4000-8000-000000000000",
                             {"reviewed": True}), 404)["code"] == "not_found"
    assert _list(alice, "limit=50") == before
    assert _list(bob) == {"corrections": [], "stats": {"total": 0, "reviewed": 0, "byCategory": {
        "grammar": 0, "tone": 0, "vocabulary": 0, "word_order": 0, "pronunciation": 0}},
        "bounds": {"correctionsLimit": 10_000, "transcriptRetentionDays": 365}}


def test_a_review_racing_another_rereads_and_counts_once(alice, clock, monkeypatch):
    """The write is conditioned on the version read: a stale read fails the condition,
    is re-read and applied once, and the reviewed counter moves once."""
    from learning.learning_store import LearningStore

    ids = _seed(alice, clock)
    real_get = LearningStore.get_correction
    real_get_rated = LearningStore.get_correction_and_memory   # a rating reads #memory with it
    reads = []

    def get_then_someone_else_reviews(self, user_id, correction_id):
        item = real_get(self, user_id, correction_id)
        reads.append(item["version"])
        return item

    def get_rated_then_someone_else_reviews(self, user_id, correction_id):
        item, memory = real_get_rated(self, user_id, correction_id)
        reads.append(item["version"])
        if len(reads) == 1:  # another device reviews between our read and our write
            data(alice.patch(f"/api/learning/corrections/{correction_id}", {"reviewed": True}))
        return item, memory

    monkeypatch.setattr(LearningStore, "get_correction", get_then_someone_else_reviews)
    monkeypatch.setattr(LearningStore, "get_correction_and_memory", get_rated_then_someone_else_reviews)
    answer = data(alice.patch(f"/api/learning/corrections/{ids[0]}", {"confidenceLevel": 3}))
    monkeypatch.undo()
    assert answer["reviewed"] is True and answer["confidenceLevel"] == 3 and answer["nextReviewAt"]
    assert reads == [1, 1, 2]  # ours (v1), the other device's (v1, it wins), ours again (v2)
    assert _list(alice)["stats"]["reviewed"] == 1

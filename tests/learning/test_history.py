"""GET /api/learning/history: newest first, pages by number and by cursor, totals from
the counter, and only the caller's sessions."""
from __future__ import annotations

from apitest import data
from learning_helpers import run_session


def _page(client, query: str) -> dict:
    return data(client.get("/api/learning/history", query=query))


def test_history_pages_newest_first_by_number_and_by_cursor(alice, clock, settings_env):
    settings_env(STARTS_PER_HOUR=30)   # 23 sessions in a few minutes
    ids = [run_session(alice, clock, topic=f"topic {n}") for n in range(23)]
    newest_first = list(reversed(ids))

    pages = [_page(alice, f"page={p}&limit=10") for p in (1, 2, 3)]
    assert [len(p["sessions"]) for p in pages] == [10, 10, 3]
    assert [s["id"] for p in pages for s in p["sessions"]] == newest_first
    assert all(p["pagination"] == {"total": 23, "page": n, "limit": 10} for n, p in enumerate(pages, 1))
    assert "nextCursor" in pages[0] and "nextCursor" in pages[1] and "nextCursor" not in pages[2]
    assert _page(alice, "page=4&limit=10")["sessions"] == []

    # The same walk by cursor.
    walked, cursor, seen_pages = [], None, []
    while True:
        page = _page(alice, "limit=10" + (f"&cursor={cursor}" if cursor else ""))
        walked += [s["id"] for s in page["sessions"]]
        seen_pages.append(page["pagination"]["page"])
        cursor = page.get("nextCursor")
        if not cursor:
            break
    assert walked == newest_first
    assert seen_pages == [1, 2, 3]

    first = pages[0]["sessions"][0]
    assert set(first) == {"id", "startedAt", "endedAt", "topic", "difficulty", "mode", "provider",
                          "messageCount", "correctionCount", "minutesUsed", "creditedSeconds"}
    assert first["topic"] == "topic 22" and first["endedAt"] - first["startedAt"] == 30_000
    assert first["minutesUsed"] == 0.5 and first["creditedSeconds"] == 0


def test_cursor_is_stable_while_new_sessions_start(alice, clock):
    ids = [run_session(alice, clock) for _ in range(5)]
    page1 = _page(alice, "limit=2")
    assert [s["id"] for s in page1["sessions"]] == [ids[4], ids[3]]
    run_session(alice, clock)  # shifts page numbers, not the cursor
    page2 = _page(alice, f"limit=2&cursor={page1['nextCursor']}")
    assert [s["id"] for s in page2["sessions"]] == [ids[2], ids[1]]
    assert page2["pagination"]["total"] == 6


def test_history_counts_come_from_session_end(alice, clock):
    run_session(alice, clock, messages=[{"role": "user", "text": "Xin chào", "timestamp": 1},
                                        {"role": "coach", "text": "Chào bạn!", "timestamp": 2}],
                corrections=[{"original": "a", "correction": "b"}])
    entry = _page(alice, "")["sessions"][0]
    assert entry["messageCount"] == 2 and entry["correctionCount"] == 1
    assert _page(alice, "")["pagination"] == {"total": 1, "page": 1, "limit": 10}


def test_a_learner_sees_only_their_own_history(alice, bob, clock):
    run_session(alice, clock)
    run_session(alice, clock)
    mine = run_session(bob, clock)
    assert [s["id"] for s in _page(bob, "")["sessions"]] == [mine]
    assert _page(bob, "")["pagination"]["total"] == 1
    assert _page(alice, "")["pagination"]["total"] == 2


def test_new_learner_has_an_empty_history(alice):
    assert _page(alice, "") == {"sessions": [], "pagination": {"total": 0, "page": 1, "limit": 10}}


def test_history_validation(alice, clock):
    run_session(alice, clock)
    for query, field in (("limit=51", "limit"), ("limit=0", "limit"), ("page=0", "page"), ("limit=abc", "limit")):
        response = alice.get("/api/learning/history", query=query)
        assert response.status == 422, (query, response.body)
        assert field in response.json()["error"]["message"]
    bad = alice.get("/api/learning/history", query="cursor=not-a-cursor")
    assert bad.status == 400 and bad.json()["error"]["details"] == {"field": "cursor"}
    assert data(alice.get("/api/learning/history", query="limit=50"))["pagination"]["limit"] == 50


def test_history_needs_a_token(api):
    assert api.get("/api/learning/history").status == 401

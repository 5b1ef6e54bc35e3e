"""Helpers of the learning tests: a whole session with content, through the real API and the
shared session helpers of tests/apitest.py, and a correction payload. Fixtures are in
conftest.py; `data` and `error` come from apitest."""
from __future__ import annotations

from apitest import end_session, start_session


def run_session(client, clock, *, topic: str = "food", mode: str = "coach", messages=(), corrections=(),
                seconds: int = 30, end: bool = True) -> str:
    """POST /api/session/start then /api/session/end with this transcript; returns the id."""
    session_id = start_session(client, {"topic": topic, "mode": mode})["sessionId"]
    if end:
        clock.advance(seconds)
        end_session(client, session_id, messages=list(messages), corrections=list(corrections))
    return session_id


def correction(n: int, category: str | None = "grammar") -> dict:
    item = {"original": f"Tôi đi chợ {n}", "correction": f"Tôi đã đi chợ {n}",
            "explanation": f"Thì quá khứ {n}"}
    if category:
        item["category"] = category
    return item


def erase(client, erasures, *, expect_done: bool = True) -> dict:
    """DELETE /api/learning/history (202, a running job), the queue drained, and the job's
    final view from GET /api/learning/erasure/{id}."""
    from apitest import data

    started = data(client.delete("/api/learning/history"), 202)
    assert started["status"] == "running" and started["erasureId"]
    erasures.drain()
    view = data(client.get(f"/api/learning/erasure/{started['erasureId']}"))
    if expect_done:
        assert view["status"] == "done" and view["itemsLeft"] == 0, view
    return view

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

"""A forged cursor (a bool, a 39-digit number, a string where a number goes) answers 400
invalid_cursor on every learning list, never a 500 or someone else's data."""
from __future__ import annotations

import pytest

from speakpho import cursors

HUGE = 10 ** 38


@pytest.mark.parametrize("payload", [{"before": True}, {"before": HUGE}, {"before": -1}, {"before": "5"}])
def test_history(alice, payload):
    response = alice.get("/api/learning/history", query=f"cursor={cursors.encode(payload)}")
    assert response.status == 400 and response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("created, correction_id", [(True, "c-1"), (HUGE, "c-1"), (1, 7), (1, "")])
def test_corrections(alice, created, correction_id):
    key = {"userId": "alice", "correctionId": correction_id, "createdAt": created}
    response = alice.get("/api/learning/corrections", query=f"cursor={cursors.encode({'k': key})}")
    assert response.status == 400 and response.json()["error"]["code"] == "invalid_cursor"

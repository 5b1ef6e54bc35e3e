"""GET /api/learning/session/{id}: the session, its transcript in order with the text
exactly as sent, and its corrections; someone else's session is not found."""
from __future__ import annotations

from apitest import data, error
from learning_helpers import correction, run_session

TRANSCRIPT = [
    {"role": "user", "text": "Xin chào", "timestamp": 1_702_000_000_000},
    {"role": "coach", "text": "Chào bạn! Bạn khỏe không?", "timestamp": 1_702_000_005_000},
    {"role": "user", "text": "Tôi muốn ăn phở, nhưng quán đóng cửa rồi 🍜", "timestamp": 1_702_000_009_000},
    {"role": "coach", "text": "Ồ, tiếc quá! Ngày mai mình đi ăn bún chả nhé?", "timestamp": 1_702_000_012_000},
]


def test_session_detail_returns_transcript_in_order_and_corrections(alice, clock):
    messages = TRANSCRIPT * 3  # 12 messages: the order must come from the sequence, not the text
    fixes = [correction(0, "tone"), correction(1, None), correction(2, "word_order")]
    session_id = run_session(alice, clock, topic="ẩm thực", messages=messages, corrections=fixes)

    detail = data(alice.get(f"/api/learning/session/{session_id}"))
    assert detail["messages"] == messages
    assert detail["session"]["id"] == session_id
    assert detail["session"]["topic"] == "ẩm thực"
    assert detail["session"]["messageCount"] == 12 and detail["session"]["correctionCount"] == 3
    assert [c["original"] for c in detail["corrections"]] == [f["original"] for f in fixes]
    assert [c["category"] for c in detail["corrections"]] == ["tone", None, "word_order"]
    first = detail["corrections"][0]
    assert first["sessionId"] == session_id and first["reviewed"] is False and first["nextReviewAt"] is None
    assert first["explanation"] == "Thì quá khứ 0"


def test_another_learners_session_is_not_found(alice, bob, clock):
    session_id = run_session(alice, clock, messages=TRANSCRIPT, corrections=[correction(0)])
    assert error(bob.get(f"/api/learning/session/{session_id}"), 404)["code"] == "not_found"
    assert error(alice.get("/api/learning/session/no-such-session"), 404)["code"] == "not_found"
    assert data(alice.get(f"/api/learning/session/{session_id}"))["messages"] == TRANSCRIPT


def test_a_session_in_progress_has_no_transcript_yet(alice, clock):
    session_id = run_session(alice, clock, end=False)
    detail = data(alice.get(f"/api/learning/session/{session_id}"))
    assert detail["session"]["status"] == "active"
    assert detail["messages"] == [] and detail["corrections"] == []

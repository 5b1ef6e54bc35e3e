"""A transcript line keeps the provider it was said with (the history draws a divider where it
changes); a line sent without one (an older page) has none."""
from __future__ import annotations

from apitest import data, end_session, error, start_session


def test_each_line_keeps_its_provider(api, clock):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(30)
    end_session(alice, sid, messages=[
        {"role": "coach", "text": "Chào bạn!", "timestamp": 1, "provider": "gemini"},
        {"role": "user", "text": "Xin chào", "timestamp": 2, "provider": "openai"},
        {"role": "user", "text": "Tạm biệt", "timestamp": 3}])
    messages = data(alice.get(f"/api/learning/session/{sid}"))["messages"]
    assert messages == [{"role": "coach", "text": "Chào bạn!", "timestamp": 1, "provider": "gemini"},
                        {"role": "user", "text": "Xin chào", "timestamp": 2, "provider": "openai"},
                        {"role": "user", "text": "Tạm biệt", "timestamp": 3}]


def test_a_line_names_a_known_provider(api, clock):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    reply = alice.post("/api/session/end", {"sessionId": sid, "messages": [
        {"role": "user", "text": "Xin chào", "timestamp": 1, "provider": "skype"}]})
    assert error(reply, 422)["details"][0]["field"] == "body.messages.0.provider"

"""Hostile or careless bodies answer 400 naming the problem and write nothing (never a 500):
numbers Python or DynamoDB cannot hold, nesting past the recursion limit, lone surrogates."""
from __future__ import annotations

import pytest

from apitest import count_requests, data, start_session


@pytest.mark.parametrize("raw, field", [
    ('{"topic": 1' + "0" * 5000 + "}", "body"),
    ("[" * 100_000, "body"),
    ('{"topic": "pho \\ud800"}', "body.topic"),
])
def test_start_refuses_without_a_500(api, dynamodb, raw, field):
    alice = api.as_user("alice")
    with count_requests(dynamodb) as meter:
        response = alice.post("/api/session/start", raw=raw)
    assert response.status == 400, response.body
    assert response.json()["error"]["code"] == "invalid_body"
    assert response.json()["error"]["details"]["field"] == field
    assert meter.total == 0


@pytest.mark.parametrize("message, field", [
    ({"role": "user", "text": "Xin chào", "timestamp": 10 ** 38}, "body.messages.1.timestamp"),
    ({"role": "user", "text": "Xin \udc00 chào", "timestamp": 1}, "body.messages.1.text"),
])
def test_an_end_with_a_bad_message_writes_no_part_of_the_transcript(api, dynamodb, clock, message, field):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(60)
    good = {"role": "coach", "text": "Chào bạn", "timestamp": 1}
    import json
    raw = json.dumps({"sessionId": sid, "messages": [good, message]}, ensure_ascii=True)
    with count_requests(dynamodb) as meter:
        response = alice.post("/api/session/end", raw=raw)
    assert response.status in (400, 422), response.body
    assert field in json.dumps(response.json()["error"])
    assert meter.total == 0
    # The session is untouched: a correct end still completes it with its whole transcript.
    ended = data(alice.post("/api/session/end", {"sessionId": sid, "messages": [good]}))
    assert ended["session"]["messageCount"] == 1

"""Bad input answers 4xx naming the field, and writes nothing."""
from __future__ import annotations

import pytest

from apitest import T0, data, end_session, start_session


def _no_session_written(dynamodb):
    items = dynamodb.query(TableName="usage_periods", KeyConditionExpression="userId = :u",
                           ExpressionAttributeValues={":u": {"S": "alice"}})["Items"]
    return items == []


@pytest.mark.parametrize("body, field", [
    ({"mode": "karaoke"}, "body.mode"),
    ({"provider": "claude"}, "body.provider"),
    ({"difficulty": 3}, "body.difficulty"),
    ({"topic": "x" * 201}, "body.topic"),
    ({"unexpected": True}, "body.unexpected"),
])
def test_start_rejects_bad_fields(api, dynamodb, body, field):
    r = api.as_user("alice").post("/api/session/start", body)
    assert r.status == 422
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert field in [d["field"] for d in err["details"]]
    assert _no_session_written(dynamodb)


def test_malformed_json_is_422(api, dynamodb):
    r = api.as_user("alice").post("/api/session/start", raw="{not json")
    assert r.status == 422 and r.json()["error"]["details"][0]["type"] == "json_invalid"
    assert _no_session_written(dynamodb)


def _started(api):
    alice = api.as_user("alice")
    return alice, start_session(alice)["sessionId"]


def _end_rejected(api, dynamodb, payload, field, status=422):
    alice, sid = _started(api)
    r = end_session(alice, sid, status=None, **payload)
    assert r.status == status, r.body
    details = r.json()["error"].get("details")
    names = [d["field"] for d in details] if isinstance(details, list) else [details["field"]]
    assert any(n.startswith(field) for n in names), names
    # Nothing written: the session is still active and has no transcript.
    assert data(alice.get("/api/usage"))["activeSessionId"] == sid
    msgs = dynamodb.query(TableName="session_messages", KeyConditionExpression="sessionId = :s",
                          ExpressionAttributeValues={":s": {"S": sid}})["Items"]
    assert msgs == []


def test_end_rejects_too_many_messages(api, dynamodb):
    msgs = [{"role": "user", "text": "a", "timestamp": T0}] * 2001
    _end_rejected(api, dynamodb, {"messages": msgs}, "body.messages")


def test_end_rejects_too_many_corrections(api, dynamodb):
    corr = [{"original": "a", "correction": "b"}] * 201
    _end_rejected(api, dynamodb, {"corrections": corr}, "body.corrections")


def test_end_rejects_long_text(api, dynamodb):
    _end_rejected(api, dynamodb, {"messages": [{"role": "user", "text": "á" * 4001, "timestamp": T0}]},
                  "body.messages.0.text")


def test_end_rejects_unknown_role_and_category(api, dynamodb):
    _end_rejected(api, dynamodb, {"messages": [{"role": "system", "text": "hi", "timestamp": T0}]},
                  "body.messages.0.role")
    _end_rejected(api, dynamodb, {"corrections": [{"original": "a", "correction": "b", "category": "spelling"}]},
                  "body.corrections.0.category")


def test_end_rejects_wrong_types(api, dynamodb):
    _end_rejected(api, dynamodb, {"disconnectCode": "abnormal"}, "body.disconnectCode")
    _end_rejected(api, dynamodb, {"messageCount": -1}, "body.messageCount")


def test_body_over_one_megabyte_is_413(api, dynamodb):
    msgs = [{"role": "user", "text": "x" * 3000, "timestamp": T0}] * 400  # ~1.2 MB
    _end_rejected(api, dynamodb, {"messages": msgs}, "body", status=413)


def test_largest_allowed_end_is_stored_completely(api, dynamodb, clock):
    alice, sid = _started(api)
    msgs = [{"role": "user" if i % 2 else "coach", "text": f"câu {i} " + "ư" * 200, "timestamp": T0 + i}
            for i in range(2000)]
    corr = [{"original": f"sai {i}", "correction": f"đúng {i}", "category": "grammar"} for i in range(200)]
    out = end_session(alice, sid, messages=msgs[:1500], corrections=corr)
    assert out["session"]["messageCount"] == 1500 and out["session"]["correctionCount"] == 200
    from speakpho import ddb

    from speakpho.transcript import transcript_messages

    stored = transcript_messages(ddb.query_all(dynamodb, TableName="session_messages",
                                               KeyConditionExpression="sessionId = :s",
                                               ExpressionAttributeValues={":s": {"S": sid}}))
    assert len(stored) == 1500 and stored[1234]["text"] == msgs[1234]["text"]


def test_heartbeat_requires_session_id(api):
    r = api.as_user("alice").post("/api/session/heartbeat", {})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "body.sessionId"


def test_allowance_bounds(api):
    root = api.as_user("root", admin=True)
    r = root.put("/api/admin/users/alice/allowance", {"secondsLimit": -5, "reason": "x"})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "body.secondsLimit"
    r = root.put("/api/admin/users/alice/allowance", {"secondsLimit": 60})
    assert r.status == 422 and r.json()["error"]["details"][0]["field"] == "body.reason"


def test_unknown_route_is_404(api):
    assert api.as_user("alice").get("/api/nope").status == 404

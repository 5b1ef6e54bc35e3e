"""Request rules the document states beyond what Powertools generates (local/contract.py
REQUEST_RULES, PATH_ID, DAYS), held against the API's own verdicts: a body the document calls
valid is accepted, one it calls invalid is refused, and JSON types mean what JSON Schema says."""
from __future__ import annotations

import itertools

import jsonschema
import pytest

from apitest import T0, client_event, data, end_session, error, start_session
from local.openapi import merged_schema

ABSENT = object()


@pytest.fixture(scope="module")
def components() -> dict:
    return merged_schema()["components"]


def documented_valid(body: dict, name: str, components: dict) -> bool:
    validator = jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": components})
    return validator.is_valid(body)


def combos(**choices) -> list[dict]:
    names = list(choices)
    return [{n: v for n, v in zip(names, values) if v is not ABSENT}
            for values in itertools.product(*choices.values())]


def test_correction_review_bodies(api, clock, components):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    end_session(alice, sid, corrections=[{"original": "a", "correction": "b"}])
    correction_id = data(alice.get("/api/learning/corrections"))["corrections"][0]["id"]
    for body in combos(reviewed=(ABSENT, None, True, False), confidenceLevel=(ABSENT, None, 0, 4.0),
                       disputed=(ABSENT, None, True, False)):
        answer = alice.patch(f"/api/learning/corrections/{correction_id}", body)
        expected = documented_valid(body, "CorrectionReview", components)
        assert (answer.status == 200) == expected and answer.status in (200, 422), (body, answer.body)


def test_client_event_fields_of_each_type(api, clock, components):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    for kind in ("provider_connected", "provider_disconnected", "reconnect_attempt"):
        for fields in combos(code=(ABSENT, None, 1011), reason=(ABSENT, "drop"), connectMs=(ABSENT, 850)):
            event = client_event(kind, T0, **fields)
            answer = alice.post("/api/session/events", {"sessionId": sid, "events": [event]})
            expected = documented_valid(event, "ClientEvent", components)
            assert (answer.status == 200) == expected and answer.status in (200, 422), (event, answer.body)


def test_more_events_than_documented_is_413(api, clock, components):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    events = [client_event("reconnect_attempt", T0 + i) for i in range(51)]
    assert not documented_valid({"sessionId": sid, "events": events}, "SessionEventsRequest", components)
    assert error(alice.post("/api/session/events", {"sessionId": sid, "events": events}), 413)["code"] == \
        "payload_too_large"
    assert data(alice.post("/api/session/events", {"sessionId": sid, "events": events[:50]}))["accepted"] == 50


@pytest.mark.parametrize("message", [
    {"role": "user", "text": "x", "timestamp": True},
    {"role": "user", "text": "x", "timestamp": "5"},
    {"role": 1, "text": "x", "timestamp": 5},
])
def test_json_types_are_what_json_schema_says(api, clock, message):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    assert error(alice.post("/api/session/end", {"sessionId": sid, "messages": [message]}), 422)["code"] == \
        "validation_error"
    assert error(alice.post("/api/session/end", {"sessionId": sid, "providerSwitched": 1}), 422)
    ended = data(alice.post("/api/session/end", {"sessionId": sid, "disconnectCode": 1000.0,
                                                 "messages": [{"role": "user", "text": "x", "timestamp": 5.0}]}))
    assert ended["session"]["disconnectCode"] == 1000 and ended["session"]["messageCount"] == 1


def test_a_top_level_array_is_not_a_body(api, clock):
    alice = api.as_user("alice")
    for raw in ('[{"topic": "food"}]', "[null]", "[]"):
        assert error(alice.call("POST", "/api/session/start", raw=raw), 422)["details"][0]["field"] == "body"
    assert data(alice.get("/api/usage"))["activeSessionId"] is None   # nothing was started


def test_a_user_id_in_a_path_is_url_safe(api, clock):
    admin = api.as_user("root", admin=True)
    refused = admin.put("/api/admin/users/%C3%97/allowance", {"secondsLimit": 60, "reason": "x"})
    assert error(refused, 422)["details"][0]["field"] == "path.userId"
    assert data(admin.put("/api/admin/users/alice-1/allowance", {"secondsLimit": 60, "reason": "x"}))["userId"] == \
        "alice-1"

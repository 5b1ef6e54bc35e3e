"""Session lifecycle through the deployed handlers (local gateway, moto)."""
from __future__ import annotations

import json

from apitest import T0, data, end_session, start_session, switch_provider
from speakpho import ddb
from speakpho.tables import STATS_SK
from speakpho.transcript import transcript_messages


def test_start_defaults_and_usage(api):
    alice = api.as_user("alice")
    s = start_session(alice)
    assert s["provider"] == "gemini" and s["mode"] == "coach"
    assert s["startedAt"] == T0
    assert s["usage"]["secondsLimit"] == 30 * 60
    assert s["usage"]["activeSessionId"] == s["sessionId"]
    usage = data(alice.get("/api/usage"))
    assert usage == {"plan": "free", "period": "2026-11", "secondsLimit": 1800, "secondsUsed": 0,
                     "secondsRemaining": 1800, "minutesUsed": 0.0, "minutesRemaining": 30.0,
                     "activeSessionId": s["sessionId"], "creditedSeconds": 0,
                     "creditBudgetSeconds": 180}     # 10 % of the free plan's 30 minutes


def test_heartbeat_tracks_time_and_limit(api, clock):
    alice = api.as_user("alice")
    root = api.as_user("root", admin=True)
    data(root.put("/api/admin/users/alice/allowance", {"secondsLimit": 100, "reason": "trial"}))
    s = start_session(alice)
    clock.advance(40)
    hb = data(alice.post("/api/session/heartbeat", {"sessionId": s["sessionId"]}))
    assert hb["sessionSeconds"] == 40 and hb["limitReached"] is False
    assert hb["usage"]["secondsUsed"] == 40 and hb["usage"]["secondsRemaining"] == 60
    clock.advance(70)
    hb = data(alice.post("/api/session/heartbeat", {"sessionId": s["sessionId"]}))
    assert hb["sessionSeconds"] == 110 and hb["limitReached"] is True
    assert hb["usage"]["secondsUsed"] == 100  # capped at what remained at start


def test_usage_during_a_session_counts_it_to_the_last_heartbeat(api, clock):
    """GET /api/usage agrees with the last heartbeat's answer, and never goes back at the end."""
    alice = api.as_user("alice")
    s = start_session(alice)
    clock.advance(90)
    hb = data(alice.post("/api/session/heartbeat", {"sessionId": s["sessionId"]}))
    clock.advance(20)   # time since the last heartbeat is not counted yet
    usage = data(alice.get("/api/usage"))
    assert usage == hb["usage"]
    assert usage["secondsUsed"] == 90 and usage["secondsRemaining"] == 1710 and usage["minutesUsed"] == 1.5
    end_session(alice, s["sessionId"])
    after = data(alice.get("/api/usage"))
    assert after["secondsUsed"] == 110 and after["activeSessionId"] is None


def test_end_charges_once_in_seconds_and_stores_transcript(api, clock, dynamodb):
    alice = api.as_user("alice")
    s = start_session(alice, {"topic": "food", "mode": "coach", "provider": "gemini"})
    clock.advance(125)
    payload = {
        "conversationId": "conv-1", "disconnectCode": 1000, "messageCount": 2, "provider": "gemini",
        "messages": [{"role": "user", "text": "Tôi muốn ăn phở", "timestamp": T0 + 1000},
                     {"role": "coach", "text": "Chào bạn! Bạn khỏe không?", "timestamp": T0 + 5000}],
        "corrections": [{"original": "Tôi muốn ăn phở", "correction": "Em muốn ăn phở",
                         "explanation": "Use 'em' when speaking to someone older", "category": "tone"}],
    }
    first = end_session(alice, s["sessionId"], **payload)
    assert first["totalSecondsUsed"] == 125
    assert first["totalMinutesUsed"] == round(125 / 60, 2)
    assert first["minutesRemaining"] == round((1800 - 125) / 60, 2)
    assert first["session"]["endReason"] == "user_ended"
    assert first["session"]["messageCount"] == 2 and first["session"]["correctionCount"] == 1
    clock.advance(300)
    again = end_session(alice, s["sessionId"], **payload)
    assert again == first
    assert data(alice.get("/api/usage"))["secondsUsed"] == 125
    items = ddb.query_all(dynamodb, TableName="session_messages", KeyConditionExpression="sessionId = :s",
                          ExpressionAttributeValues={":s": {"S": s["sessionId"]}})
    assert len(items) == 1   # both messages in one item (speakpho.transcript)
    assert [m["text"] for m in transcript_messages(items)] == ["Tôi muốn ăn phở", "Chào bạn! Bạn khỏe không?"]
    corrections = dynamodb.query(TableName="corrections", KeyConditionExpression="userId = :u",
                                 ExpressionAttributeValues={":u": {"S": "alice"}})["Items"]
    real = [c for c in corrections if c["correctionId"]["S"] != STATS_SK]
    stats = [c for c in corrections if c["correctionId"]["S"] == STATS_SK]
    assert len(real) == 1 and stats[0]["total"]["N"] == "1" and stats[0]["cat_tone"]["N"] == "1"


def test_end_reasons(api, clock):
    alice = api.as_user("alice")
    s = start_session(alice)
    clock.advance(10)
    assert end_session(alice, s["sessionId"], disconnectCode=1006,
                       disconnectReason="Abnormal closure")["session"]["endReason"] == "disconnect"
    s = start_session(alice)
    clock.advance(10)
    assert end_session(alice, s["sessionId"], disconnectCode=1000)["session"]["endReason"] == "user_ended"
    root = api.as_user("root", admin=True)
    data(root.put("/api/admin/users/alice/allowance", {"secondsLimit": 40, "reason": "cap"}))
    s = start_session(alice)
    clock.advance(600)
    out = end_session(alice, s["sessionId"], disconnectCode=1006)
    assert out["session"]["endReason"] == "limit_reached"
    assert out["session"]["secondsUsed"] == 20  # 40 allowed - 20 used before
    assert out["totalSecondsUsed"] == 40 and out["minutesRemaining"] == 0


def test_limit_reached_is_402(api, clock):
    alice = api.as_user("alice")
    root = api.as_user("root", admin=True)
    data(root.put("/api/admin/users/alice/allowance", {"secondsLimit": 30, "reason": "tiny"}))
    s = start_session(alice)
    clock.advance(45)
    end_session(alice, s["sessionId"])
    r = alice.post("/api/session/start", {})
    assert r.status == 402
    assert r.json()["error"]["code"] == "limit_reached"
    assert data(alice.get("/api/usage"))["activeSessionId"] is None


def test_new_start_closes_previous_active_as_stale_charged_to_last_heartbeat(api, clock):
    alice = api.as_user("alice")
    first = start_session(alice)
    clock.advance(50)
    data(alice.post("/api/session/heartbeat", {"sessionId": first["sessionId"]}))
    clock.advance(30)  # no heartbeat for these 30 s: not charged
    second = start_session(alice)
    assert second["closedSessionId"] == first["sessionId"]
    assert second["usage"]["secondsUsed"] == 50
    hb = alice.post("/api/session/heartbeat", {"sessionId": first["sessionId"]})
    assert hb.status == 409 and hb.json()["error"]["code"] == "session_not_active"
    # The learner's late end still stores the transcript and charges nothing more.
    late = end_session(alice, first["sessionId"], messages=[{"role": "user", "text": "Xin chào", "timestamp": T0}])
    assert late["session"]["endReason"] == "stale"
    assert late["session"]["secondsUsed"] == 50 and late["session"]["messageCount"] == 1
    assert late["totalSecondsUsed"] == 50
    assert data(alice.get("/api/usage"))["secondsUsed"] == 50


def test_switch_provider_records_switch(api, clock):
    alice = api.as_user("alice")
    s = start_session(alice)
    clock.advance(20)
    sw = switch_provider(alice, s["sessionId"], "openai", 1011, disconnectReason="Server error")
    assert sw["provider"] == "openai" and sw["switchCount"] == 1 and sw["providerSwitchedAt"] == T0 + 20_000
    same = alice.post("/api/session/switch-provider", {"sessionId": s["sessionId"], "provider": "openai"})
    assert same.status == 409 and same.json()["error"]["code"] == "provider_unchanged"
    back = switch_provider(alice, s["sessionId"], "gemini")
    assert back["switchCount"] == 2
    out = end_session(alice, s["sessionId"], provider="gemini", providerSwitched=True)
    assert out["session"]["initialProvider"] == "gemini" and out["session"]["switchCount"] == 2
    assert out["session"]["providerSwitched"] is True


def test_switch_reported_only_at_end_counts_once(api, clock):
    alice = api.as_user("alice")
    s = start_session(alice)
    out = end_session(alice, s["sessionId"], provider="openai", providerSwitched=True)
    assert out["session"]["provider"] == "openai" and out["session"]["switchCount"] == 1


def test_other_users_session_is_404_and_untouched(api, clock):
    alice, bob = api.as_user("alice"), api.as_user("bob")
    s = start_session(alice)
    for path, body in [("/api/session/heartbeat", {"sessionId": s["sessionId"]}),
                       ("/api/session/switch-provider", {"sessionId": s["sessionId"], "provider": "openai"}),
                       ("/api/session/end", {"sessionId": s["sessionId"]})]:
        r = bob.post(path, body)
        assert r.status == 404, (path, r.body)
    assert data(alice.get("/api/usage"))["activeSessionId"] == s["sessionId"]
    clock.advance(5)
    assert end_session(alice, s["sessionId"])["session"]["provider"] == "gemini"


def test_unknown_session_is_404(api):
    r = api.as_user("alice").post("/api/session/heartbeat", {"sessionId": "nope"})
    assert r.status == 404 and r.json()["error"]["code"] == "not_found"


def test_stale_sweeper_closes_silent_sessions(api, clock):
    from infra.catalog import SWEEPER

    alice, bob = api.as_user("alice"), api.as_user("bob")
    a = start_session(alice)
    b = start_session(bob)
    clock.advance(60)
    data(alice.post("/api/session/heartbeat", {"sessionId": a["sessionId"]}))
    data(bob.post("/api/session/heartbeat", {"sessionId": b["sessionId"]}))
    clock.advance(179)
    data(bob.post("/api/session/heartbeat", {"sessionId": b["sessionId"]}))
    # Both meters' sweep deadlines: 60 s + the 180 s stale window, rounded up to the 300 s bucket.
    # alice went silent at 60 s: not stale until 240 s, and not looked at before her bucket ends.
    assert api.gateway.invoke(SWEEPER.handler, {}, name="sweeper")["closed"] == []
    clock.advance(60)  # 299 s: alice silent for 239 s (> 180) but her bucket ends at 300 s
    assert api.gateway.invoke(SWEEPER.handler, {}, name="sweeper")["closed"] == []
    clock.advance(1)   # 300 s: alice's bucket has passed; bob (silent 61 s) is in the next one
    result = api.gateway.invoke(SWEEPER.handler, {"source": "aws.events"}, name="sweeper")
    assert result["closed"] == [a["sessionId"]]
    usage = data(alice.get("/api/usage"))
    assert usage["activeSessionId"] is None and usage["secondsUsed"] == 60
    assert data(bob.get("/api/usage"))["activeSessionId"] == b["sessionId"]
    # Running it again changes nothing.
    assert api.gateway.invoke(SWEEPER.handler, {}, name="sweeper")["closed"] == []


def test_idempotency_key_returns_first_answer(api, clock):
    alice = api.as_user("alice")
    headers = {"Idempotency-Key": "k-123"}
    first = alice.post("/api/session/start", {"topic": "travel"}, headers=headers)
    clock.advance(5)
    second = alice.post("/api/session/start", {"topic": "travel"}, headers=headers)
    assert first.status == second.status == 201
    assert first.json() == second.json()
    assert data(alice.get("/api/usage"))["activeSessionId"] == first.json()["data"]["sessionId"]
    reused = alice.post("/api/session/start", {"topic": "other"}, headers=headers)
    assert reused.status == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    # The key is per user: bob's identical key starts bob's own session.
    bob = api.as_user("bob").post("/api/session/start", {"topic": "travel"}, headers=headers)
    assert bob.status == 201 and bob.json()["data"]["sessionId"] != first.json()["data"]["sessionId"]


def test_auth_required_everywhere(api):
    from local.gateway import Gateway
    from infra.catalog import routes

    anonymous = api.__class__(Gateway())
    for route in routes():
        path = route.path.replace("{id}", "x").replace("{userId}", "x")
        r = anonymous.call(route.method, path, {} if route.method in ("POST", "PUT", "PATCH") else None)
        assert r.status == 401, (route, r.status)
        bad = api.__class__(Gateway(), token="a.b.c").call(route.method, path)
        assert bad.status == 401


def test_expired_and_forged_tokens_are_401(api):
    from local import tokens

    expired = tokens.mint("alice", ttl_seconds=-10)
    r = api.__class__(api.gateway, token=expired).get("/api/usage")
    assert r.status == 401
    header, payload, sig = tokens.mint("alice").split(".")
    forged_payload = tokens._b64(json.dumps({"sub": "mallory", "exp": 4_000_000_000}).encode())
    r = api.__class__(api.gateway, token=f"{header}.{forged_payload}.{sig}").get("/api/usage")
    assert r.status == 401


def test_allowance_requires_admin_group_exactly(api):
    learner = api.as_user("alice")
    r = learner.put("/api/admin/users/alice/allowance", {"secondsLimit": 99999, "reason": "me"})
    assert r.status == 403
    sneaky = api.as_user("eve", groups=["not-admin", "administrators"])
    assert sneaky.put("/api/admin/users/eve/allowance", {"secondsLimit": 1, "reason": "x"}).status == 403
    root = api.as_user("root", admin=True, email="root@example.com")
    out = data(root.put("/api/admin/users/alice/allowance", {"secondsLimit": 3600, "reason": "support ticket 42"}))
    assert out["usage"]["secondsLimit"] == 3600
    history = data(root.get("/api/admin/users/alice/allowance"))
    assert history["changes"] == [{"secondsLimit": 3600, "reason": "support ticket 42", "changedBy": "root",
                                   "changedAt": T0}]
    assert data(learner.get("/api/usage"))["secondsLimit"] == 3600


def test_groups_claim_parsing_is_exact():
    from speakpho.auth import parse_groups

    assert parse_groups("[admin learners]") == {"admin", "learners"}
    assert parse_groups("[superadmin]") == {"superadmin"}
    assert "admin" not in parse_groups("[superadmin admins]")
    assert parse_groups('["admin"]') == {"admin"}
    assert parse_groups("admin,learners") == {"admin", "learners"}
    assert parse_groups("") == frozenset() and parse_groups(None) == frozenset()


def test_metrics_count_each_session_once(api, clock, monkeypatch):
    from session import telemetry

    seen = {"started": 0, "ended": 0}
    monkeypatch.setattr(telemetry, "session_started", lambda d, **_: seen.__setitem__("started", seen["started"] + 1))
    monkeypatch.setattr(telemetry, "session_ended", lambda d, facts: seen.__setitem__("ended", seen["ended"] + 1))
    alice = api.as_user("alice")
    s = start_session(alice, headers={"Idempotency-Key": "m-1"})
    start_session(alice, headers={"Idempotency-Key": "m-1"})
    clock.advance(5)
    for _ in range(3):
        end_session(alice, s["sessionId"], disconnectCode=1006)
    assert seen == {"started": 1, "ended": 1}


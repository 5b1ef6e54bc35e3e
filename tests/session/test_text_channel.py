"""A text session (channel "text"): typed practice with the page's rehearsal coach. It is
metered like any session but gets no provider access, so it works where no provider is
configured: no token minted, no 503, nothing to renew, no call to place."""
from __future__ import annotations

from apitest import data, end_session, error, start_session, stored_session, switch_provider


def test_a_text_session_starts_without_any_provider_key(api, providers, clock):
    providers.keys.keys.clear()                       # no provider configured at all
    alice = api.as_user("alice")
    assert error(alice.post("/api/session/start", {"provider": "gemini"}), 503)["code"] == "provider_unavailable"
    started = start_session(alice, {"provider": "gemini", "channel": "text"})
    assert started["providerAccess"] is None and providers.gemini.minted == []
    assert stored_session(started["sessionId"])["channel"] == "text"
    clock.advance(200)                                # past the renewal point of any lease
    beat = data(alice.post("/api/session/heartbeat", {"sessionId": started["sessionId"]}))
    assert "providerAccess" not in beat and providers.gemini.minted == []
    switched = switch_provider(alice, started["sessionId"], "openai", 1011)
    assert switched["provider"] == "openai" and switched["providerAccess"] is None
    assert end_session(alice, started["sessionId"])["totalSecondsUsed"] == 200   # metered all the same


def test_a_text_session_gets_no_token_and_places_no_call(api, providers, clock):
    alice = api.as_user("alice")
    sid = start_session(alice, {"provider": "openai", "channel": "text"})["sessionId"]
    refused = error(alice.post("/api/session/connect", {"sessionId": sid, "sdp": "v=0"}), 409)
    assert refused["code"] == "wrong_transport" and providers.openai.calls == []
    switch_provider(alice, sid, "gemini")
    assert error(alice.post("/api/session/access", {"sessionId": sid}), 409)["code"] == "wrong_transport"
    assert providers.gemini.minted == []


def test_the_channel_is_voice_or_text(api):
    reply = api.as_user("alice").post("/api/session/start", {"channel": "video"})
    assert error(reply, 422)["details"][0]["field"] == "body.channel"

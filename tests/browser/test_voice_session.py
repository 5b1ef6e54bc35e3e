"""A voice session in Chromium against the fakes of both providers (make dev's): the fake
microphone's audio reaches the fake Gemini Live, its transcriptions and record_correction call
become lines and a correction, a goAway is resumed without the dialog, the fake's 1011 opens
the dialog with the code and cause, "Try OpenAI" places a call through /api/session/connect
with the conversation handed over, and End makes the server hang the call up. Every message
the adapters sent parses as the providers' SDK client types."""
from __future__ import annotations

import pytest
from browser_helpers import Requests, expect, wait_until
from browser_seed import Http
from voice_helpers import (check_against_sdks, connections, fakes_log, sent_messages, shoot, start_voice,
                           voice_context, voice_page, wait_for_line)  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser]

HEARD = "Xin chao, tôi muốn ăn phở"     # what both fakes hear the learner say (any audio / a loud second)
END, EVENTS, CONNECT = "/api/session/end", "/api/session/events", "/api/session/connect"


def events_sent(requests: Requests) -> list[dict]:
    seen, out = set(), []
    for body in requests.sent[EVENTS] + requests.sent[END]:
        for event in body.get("events", []):
            if event["eventId"] not in seen:
                seen.add(event["eventId"])
                out.append(event)
    return out


def test_a_voice_session_resumes_a_go_away_switches_after_a_1011_and_hangs_up_at_the_end(
        voice_page, runner, fresh_month):
    page, http = voice_page, Http(runner.base)
    requests = Requests(page, END, EVENTS, CONNECT, "/api/session/switch-provider")
    gemini_before = len(connections(http, "gemini"))
    start_voice(page, runner, "voice-gia", "gemini")

    # The microphone's audio reaches the fake, which hears the learner's line and corrects it.
    wait_for_line(page, "user", HEARD)
    expect(page.locator("#live-corrections .correction").first).to_be_visible()
    wait_for_line(page, "coach", "Em muốn ăn phở")
    ours = connections(http, "gemini")[gemini_before:]
    assert ours and ours[0]["audioBytesIn"] > 0 and ours[0]["toolResponses"] >= 1, ours
    shoot(page, "practice-voice-session.png", full_page=True)
    page.set_viewport_size({"width": 375, "height": 812})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(page, "practice-voice-phone.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    # goAway: a new connection resumes with the handle; no dialog, the story says a resumption.
    assert http.post("/local/providers/go-away", {"timeLeftMs": 4000}).status == 200
    wait_until(lambda: any(c["resumed"] for c in connections(http, "gemini")[gemini_before:]),
               message="the resumed connection")
    page.wait_for_timeout(4500)     # past the goAway's deadline: the old connection is gone by then
    expect(page.locator("#disconnect-dialog")).to_be_hidden()
    expect(page.locator("#connection-status")).to_have_text("Connected to Gemini.")
    lines_before = len(page.locator("#bubbles .bubble").all())
    wait_until(lambda: len(page.locator("#bubbles .bubble").all()) > lines_before, message="a turn after the resumption")

    # The provider fails: the dialog shows the code and its cause.
    assert http.post("/local/providers/fail", {"provider": "gemini", "code": 1011,
                                               "reason": "Internal error encountered."}).status == 200
    expect(page.locator("#disconnect-dialog")).to_be_visible()
    expect(page.locator("#disconnect-reason")).to_contain_text("Server error (1011): API error on provider side.")
    expect(page.locator("#disconnect-reason")).to_contain_text("Internal error encountered.")
    shoot(page, "practice-voice-disconnect.png")
    page.set_viewport_size({"width": 375, "height": 812})
    shoot(page, "practice-voice-phone-disconnect.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Try OpenAI: the call is placed through our /connect, the conversation handed over.
    openai_before = len(connections(http, "openai"))
    page.click("#switch-provider")
    expect(page.locator("#disconnect-dialog")).to_be_hidden()
    expect(page.locator("#connection-status")).to_have_text("Connected to OpenAI.")
    expect(page.locator("#bubbles .provider-divider")).to_have_text(["Now with OpenAI"])
    assert requests.statuses[CONNECT] == [200]
    call = wait_until(lambda: connections(http, "openai")[openai_before:], message="the OpenAI call")[0]
    assert call["contextTurns"] > 0, call
    users_before = sum(1 for b in page.locator("#bubbles .bubble[data-role='user']").all())
    wait_for_line(page, "user", HEARD, times=users_before + 1)   # heard on the WebRTC track
    wait_until(lambda: connections(http, "openai")[openai_before]["audioBytesIn"] > 0, message="audio on the call")

    page.click("#end")
    expect(page.locator("#summary")).to_have_attribute("data-state", "saved")
    hangups = wait_until(lambda: [h for h in fakes_log(http)["hangups"] if h["callId"] == call["callId"]],
                         message="the server's hangup")
    assert hangups[0]["by"] == "server"
    facts = page.locator("#summary-facts")
    expect(facts.locator("dd[data-fact='drops']")).to_have_text("Gemini 1011")
    expect(facts.locator("dd[data-fact='switches']")).to_have_text("Gemini → OpenAI")
    expect(facts.locator("dd[data-fact='resumptions']")).to_contain_text("1 time")
    shoot(page, "practice-voice-summary.png", full_page=True)
    page.set_viewport_size({"width": 375, "height": 812})
    shoot(page, "practice-voice-phone-summary.png", full_page=True)

    # What the page sent: the switch's cause, the story's events, the latency summary.
    assert requests.sent["/api/session/switch-provider"][0]["disconnectCode"] == 1011
    kinds = [(e["type"], e["provider"], e.get("code")) for e in events_sent(requests)]
    assert kinds[:4] == [("provider_connected", "gemini", None), ("reconnect_attempt", "gemini", None),
                         ("provider_connected", "gemini", None), ("provider_disconnected", "gemini", 1011)], kinds
    assert kinds[-1] == ("provider_connected", "openai", None)
    end = requests.sent[END][-1]
    assert end["disconnectCode"] == 1000 and end["provider"] == "openai"
    latency = end["latency"]
    assert latency["gemini"]["turns"] >= 1 and sum(latency["gemini"]["histogram"]) == latency["gemini"]["turns"]
    assert len(latency["gemini"]["histogram"]) == 12

    counts = check_against_sdks(sent_messages(page))
    assert counts["gemini"] > 0 and counts["openai"] > 0, counts

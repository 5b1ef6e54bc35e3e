"""The monthly limit during a voice session (OpenAI: the call is the server's): the page ends the
session itself when the server says the minutes are up, and the server's hangup follows it; a page
that is frozen (its timers stopped) cannot end anything, and the hangup schedule still ends the
call within the grace, by itself; the page, woken, says "Your minutes are used up", not
"Connection lost". And a voice start without a microphone starts nothing."""
from __future__ import annotations

import re

import pytest
from browser_helpers import Requests, expect, sign_in, wait_until
from browser_seed import ADMIN, Http
from voice_helpers import PRACTICE, connections, fakes_log, start_voice, voice_context, voice_page  # noqa: F401

pytestmark = [pytest.mark.browser]

ALLOWANCE_S = 60          # the schedule fires at start + 60 s + the 30 s grace: under the sweeper's 180 s
USED_UP = "Your minutes are used up"


def small_allowance(http: Http, user: str) -> None:
    reply = http.as_user(ADMIN, admin=True).call("PUT", f"/api/admin/users/{user}/allowance",
                                                 {"secondsLimit": ALLOWANCE_S, "reason": "browser test: the limit"})
    assert reply.status == 200, reply.body[:300]


def the_call(http: Http, before: int) -> dict:
    return wait_until(lambda: connections(http, "openai")[before:], message="the OpenAI call")[0]


def hangups_of(http: Http, call_id: str) -> list[dict]:
    return [h for h in fakes_log(http)["hangups"] if h["callId"] == call_id]


def test_the_page_ends_an_openai_session_at_the_limit_and_the_server_hangs_up(voice_page, runner, fresh_month):
    page, http, user = voice_page, Http(runner.base), "voice-lam"
    small_allowance(http, user)
    before = len(connections(http, "openai"))
    start_voice(page, runner, user, "openai")
    call = the_call(http, before)

    http.advance(ALLOWANCE_S + 5)     # past the minutes (not the grace): a heartbeat says limitReached
    expect(page.locator("#summary")).to_have_attribute("data-state", "saved")
    expect(page.locator("#summary-status")).to_contain_text(USED_UP)
    expect(page.locator("#summary-facts dd[data-fact='end-reason']")).to_have_text("This month's minutes ran out")
    hangup = wait_until(lambda: hangups_of(http, call["callId"]), message="the hangup after the end")[0]
    assert hangup["by"] == "server"


def test_a_frozen_page_is_hung_up_by_the_schedule_within_the_grace(voice_page, voice_context, runner, fresh_month):
    page, http, user = voice_page, Http(runner.base), "voice-nhu"
    small_allowance(http, user)
    before = len(connections(http, "openai"))
    requests = Requests(page, "/api/session/end")
    start_voice(page, runner, user, "openai")
    call = the_call(http, before)
    started = http.advance(0)

    cdp = voice_context.new_cdp_session(page)
    cdp.send("Page.setWebLifecycleState", {"state": "frozen"})   # no timer, no heartbeat, no end
    try:
        http.advance(ALLOWANCE_S + 31)    # past the minutes and the grace, on the server's clock
        hangup = wait_until(lambda: hangups_of(http, call["callId"]), timeout=10,
                            message="the schedule's hangup")[0]
        assert hangup["by"] == "server" and hangup["at"] - started <= (ALLOWANCE_S + 31 + 5) * 1000, hangup
        assert requests.sent["/api/session/end"] == []   # the page did nothing: the schedule did it
    finally:
        cdp.send("Page.setWebLifecycleState", {"state": "active"})

    # Woken, the page hears the call gone and asks the server before it shows any dialog.
    expect(page.locator("#summary")).to_have_attribute("data-state", "saved")
    expect(page.locator("#summary-status")).to_contain_text(USED_UP)
    expect(page.locator("#disconnect-dialog")).to_be_hidden()
    # Woken, its heartbeat or the call's close comes first: either way no drop of the network's or the provider's.
    expect(page.locator("#summary-facts dd[data-fact='drops']")).to_have_text(re.compile(r"^(None|OpenAI 1011 \(minutes used up\))$"))


def test_a_voice_start_without_a_microphone_starts_nothing(page, runner, fresh_month):
    """The shared Chromium has no microphone (no fake device): a clear message and no start call."""
    requests = Requests(page, "/api/session/start")
    sign_in(page, runner, PRACTICE, "voice-mic")
    expect(page.locator("#provider option")).to_have_count(2)
    page.select_option("#channel", "voice")
    page.click("#start")
    expect(page.locator("#setup-status")).to_contain_text("Text practice")
    expect(page.locator("#setup-status")).to_have_attribute("data-kind", "error")
    assert requests.sent["/api/session/start"] == []
    assert Http(runner.base).as_user("voice-mic").get("/api/usage").data["activeSessionId"] is None

    page.select_option("#channel", "text")   # the learner without a microphone can still practise
    page.click("#start")
    expect(page.locator("#connection-status")).to_have_text("Connected to Gemini.")
    assert requests.sent["/api/session/start"][-1]["channel"] == "text"
    page.click("#end")
    expect(page.locator("#summary")).to_have_attribute("data-state", "saved")

"""The practice page (/practice) in headless Chromium against the local runner, with the
rehearsal coach as the voice provider: a whole session with a provider switch, a closed tab,
an end the API cannot take, the monthly limit reached, a phone-sized screen. Each is checked
through the API afterwards."""
from __future__ import annotations

import json

import pytest
from browser_env import SCREENSHOTS
from browser_helpers import Requests, bubble_texts, expect, greeted, say, sign_in, wait_until
from browser_seed import ADMIN, Http
from pagehelpers import js_minutes

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_local_storage")]

PRACTICE = "/practice?heartbeatMs=500"   # quick heartbeats (honoured by the local config only)
EVENTS, END = "/api/session/events", "/api/session/end"


def shoot(page, name: str, **kwargs) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), **kwargs)


def start(page, *, topic="Ordering food", provider="gemini", mode="coach") -> None:
    page.fill("#topic", topic)
    page.select_option("#channel", "text")   # the rehearsal coach (voice: test_voice_*.py)
    page.select_option("#provider", provider)
    page.select_option("#mode", mode)
    page.click("#start")
    expect(page.locator("#connection-status")).to_have_text(
        f"Connected to {'Gemini' if provider == 'gemini' else 'OpenAI'}.")
    expect(page.locator("#bubbles .bubble")).to_have_count(1)   # the coach's greeting


def active_session_id(learner: Http) -> str:
    return wait_until(lambda: learner.get("/api/usage").data["activeSessionId"], message="an active session")


def sent_events(requests: Requests) -> list[dict]:
    """Every client event the page sent, through the events route or in the end's body, once each."""
    seen, events = set(), []
    for body in requests.sent[EVENTS] + requests.sent[END]:
        for event in body.get("events", []):
            if event["eventId"] not in seen:
                seen.add(event["eventId"])
                events.append(event)
    return events


def test_a_whole_session_switching_provider_after_a_1011(page, runner, fresh_month):
    user = "thu"
    http = Http(runner.base)
    learner = http.as_user(user)
    requests = Requests(page, EVENTS, END, "/api/session/switch-provider")
    sign_in(page, runner, PRACTICE, user)
    expect(page.locator("#meter-remaining")).to_have_text("30 min")   # the free plan, nothing used yet
    shoot(page, "practice-setup.png", full_page=True)

    start(page)
    session_id = active_session_id(learner)
    say(page, "Xin chào! Tôi muốn ăn phở")
    say(page, "Cái này bao nhiêu tiền không?")
    expect(page.locator("#live-corrections .correction")).to_have_count(2)

    # Two minutes pass on the server: the next heartbeat answer re-syncs the meter with the API.
    http.advance(120)
    wait_until(lambda: int(page.get_attribute("#meter-remaining", "data-seconds-used")) >= 120,
               message="a heartbeat answer after the clock moved")
    usage = learner.get("/api/usage").data
    assert int(page.get_attribute("#meter-remaining", "data-seconds-used")) <= usage["secondsUsed"] + 2
    assert abs(int(page.get_attribute("#meter-remaining", "data-seconds-remaining")) - usage["secondsRemaining"]) <= 2
    shoot(page, "practice-session.png", full_page=True)

    # The provider fails: the dialog says why, in words, and offers the three ways on.
    page.click("#drop-1011")
    dialog = page.locator("#disconnect-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#disconnect-reason")).to_contain_text("Server error (1011): API error on provider side.")
    expect(page.locator("#reconnect")).to_have_text("Reconnect (Gemini)")
    expect(page.locator("#switch-provider")).to_have_text("Try OpenAI")
    expect(page.locator("#end-from-dialog")).to_have_text("End Session")
    shoot(page, "practice-disconnect.png")
    page.click("#switch-provider")
    expect(dialog).to_be_hidden()
    expect(page.locator("#live-provider")).to_have_text("OpenAI")
    expect(page.locator("#connection-status")).to_have_text("Connected to OpenAI.")
    greeted(page, 2)
    say(page, "Cam on, tôi đi chợ hôm qua")
    say(page, "Tạm biệt!")
    expect(page.locator("#live-corrections .correction")).to_have_count(3)
    transcript = bubble_texts(page)
    shown_corrections = page.locator("#live-corrections del").all_text_contents()

    page.click("#end")
    expect(page.locator("#summary")).to_have_attribute("data-state", "saved")
    expect(page.locator("#summary-status")).to_have_text("Saved to your learning history.")
    expect(page.locator("#summary-corrections del")).to_have_text(shown_corrections)
    shoot(page, "practice-summary.png", full_page=True)

    # The switch carried its cause; the end carried everything, as the learner's own End (1000).
    assert requests.sent["/api/session/switch-provider"] == [{
        "sessionId": session_id, "provider": "openai", "disconnectCode": 1011,
        "disconnectReason": "Internal error on the provider side"}]
    end = requests.sent[END][-1]
    assert end["disconnectCode"] == 1000 and end["provider"] == "openai" and end["providerSwitched"] is True
    assert "pageClosed" not in end
    assert [m["text"] for m in end["messages"]] == transcript
    events = sent_events(requests)
    assert [(e["type"], e["provider"], e.get("code")) for e in events] == [
        ("provider_connected", "gemini", None), ("provider_disconnected", "gemini", 1011),
        ("provider_connected", "openai", None)]
    assert all(isinstance(e["connectMs"], int) for e in events if e["type"] == "provider_connected")

    # Through the API: the summary's figures, the history, the transcript and its corrections.
    usage = learner.get("/api/usage").data
    facts = dict(zip(page.locator("#summary-facts dt").all_inner_texts(), page.locator("#summary-facts dd").all_inner_texts()))
    assert facts["Remaining this month"] == js_minutes(usage["minutesRemaining"])   # the pages' one format
    assert facts["Used this month"] == js_minutes(usage["minutesUsed"])
    assert facts["Ended"] == "You ended it"
    history = learner.get("/api/learning/history").data["sessions"]
    assert history[0]["id"] == session_id and history[0]["correctionCount"] == 3
    detail = learner.get(f"/api/learning/session/{session_id}").data
    assert [m["text"] for m in detail["messages"]] == transcript
    # Each line keeps the provider it was said with: Gemini's, then OpenAI's from the switch on.
    providers = [m["provider"] for m in detail["messages"]]
    switched_at = providers.index("openai")
    assert set(providers[:switched_at]) == {"gemini"} and set(providers[switched_at:]) == {"openai"}
    assert [c["original"] for c in detail["corrections"]] == shown_corrections
    assert detail["session"]["endedBy"] == "learner" and detail["session"]["provider"] == "openai"

    # The summary links to the conversation in the learning history.
    page.click("#history-link")
    expect(page.locator("#detail-heading")).to_have_text("Ordering food")
    expect(page.locator("#detail-corrections .correction")).to_have_count(3)
    # The history's transcript shows where OpenAI took the conversation over, as the live one did.
    expect(page.locator("#bubbles .provider-divider")).to_have_text(["Now with OpenAI"])
    items = page.locator("#bubbles > *")
    assert items.nth(switched_at).get_attribute("class") == "provider-divider"

    # The admin's view: the switch and its cause (the timeline lands with the admin story work).
    admin = http.as_user(ADMIN, admin=True).get(f"/api/admin/sessions/{session_id}").data
    assert admin["session"]["providerSwitched"] is True and admin["session"]["initialProvider"] == "gemini"
    assert "timeline" in admin, "GET /api/admin/sessions/{id} has no timeline yet (the admin story work adds it)"
    switches = [e for e in admin["timeline"] if e.get("type") == "provider_switched"]
    assert [e.get("code") for e in switches] == [1011], admin["timeline"]


def test_closing_the_tab_ends_the_session_with_1001(browser_context, runner, fresh_month):
    """The page's closing sends the end with fetch keepalive: the server records it at once, not
    the sweeper later. Server rule asked for: an end with pageClosed: true is the learner's
    (endedBy learner, endReason user_ended), keeping disconnectCode 1001."""
    user = "khanh"
    learner = Http(runner.base).as_user(user)
    tab = browser_context.new_page()
    sign_in(tab, runner, PRACTICE, user)
    start(tab)
    say(tab, "Xin chao")
    transcript = bubble_texts(tab)
    session_id = active_session_id(learner)
    tab.close(run_before_unload=True)

    def ended():
        session = learner.get(f"/api/learning/session/{session_id}").data["session"]
        return session if session["status"] == "ended" else None

    # No sweep is run: only the page's own end can have ended it.
    try:
        session = wait_until(ended, timeout=10, message="the keepalive end")
    except AssertionError:
        explain_unrecorded_close(browser_context, runner, learner, session_id)
        raise
    detail = learner.get(f"/api/learning/session/{session_id}").data
    assert [m["text"] for m in detail["messages"]] == transcript
    assert session["disconnectCode"] == 1001
    assert (session["endedBy"], session["endReason"]) == ("learner", "user_ended"), session


def explain_unrecorded_close(browser_context, runner, learner: Http, session_id: str) -> None:
    """Why the closed tab's end was not recorded: the end it queued, sent as it is."""
    tab = browser_context.new_page()
    tab.goto(runner.base + "/config.json")
    queued = json.loads(tab.evaluate("localStorage.getItem('speakpho.pendingEnds')") or "[]")
    tab.close()
    entry = next((e for e in queued if e["sessionId"] == session_id), None)
    assert entry, "the closing page queued no end"
    assert entry["body"]["disconnectCode"] == 1001 and entry["body"].get("pageClosed") is True, entry["body"]
    reply = learner.post(END, entry["body"])
    assert reply.status == 200, ("the API refuses the page-closing end (server rule for pageClosed pending)",
                                 reply.status, reply.json())


def test_an_end_the_api_cannot_take_is_delivered_on_the_next_visit(page, runner, browser_context, fresh_month):
    user = "bao"
    learner = Http(runner.base).as_user(user)
    sign_in(page, runner, PRACTICE, user)
    start(page, mode="coach")
    say(page, "Xin chao, tôi muốn ăn phở")
    say(page, "Hẹn gặp lại")
    transcript = bubble_texts(page)
    session_id = active_session_id(learner)

    page.route(f"**{END}", lambda route: route.abort("internetdisconnected"))
    page.click("#end")
    expect(page.locator("#summary")).to_have_attribute("data-state", "pending")
    expect(page.locator("#summary-status")).to_contain_text("Your conversation is saved on this device")
    queued = json.loads(page.evaluate("localStorage.getItem('speakpho.pendingEnds')"))
    assert [(e["sessionId"], e["user"]) for e in queued] == [(session_id, user)]
    assert [m["text"] for m in queued[0]["body"]["messages"]] == transcript
    assert learner.get(f"/api/learning/session/{session_id}").data["session"]["status"] == "active"

    # The next visit (another tab: its own sign-in, the same localStorage) delivers it once.
    visit = browser_context.new_page()
    ends = Requests(visit, END)
    try:
        sign_in(visit, runner, "/learning", user)
        expect(visit.locator("#visit-status")).to_have_text("1 conversation saved on this device was sent to your history.")
        expect(visit.locator("#session-list .session-item")).to_have_count(1)
        assert visit.evaluate("localStorage.getItem('speakpho.pendingEnds')") is None
        assert ends.statuses[END] == [200] and len(ends.sent[END]) == 1
        detail = learner.get(f"/api/learning/session/{session_id}").data
        assert detail["session"]["status"] == "ended" and detail["session"]["disconnectCode"] == 1000
        assert [m["text"] for m in detail["messages"]] == transcript
        assert len(detail["corrections"]) == 1

        visit.reload()   # a third visit: nothing left to send
        expect(visit.locator("#session-list .session-item")).to_have_count(1)
        assert len(ends.sent[END]) == 1
    finally:
        visit.close()
    page.unroute(f"**{END}")
    page.close(run_before_unload=True)   # the first tab's closing may send its copy again: a harmless repeat
    detail = learner.get(f"/api/learning/session/{session_id}").data
    assert [m["text"] for m in detail["messages"]] == transcript


def test_the_monthly_limit_reached_mid_session(page, runner, fresh_month):
    user = "lien"
    http = Http(runner.base)
    learner = http.as_user(user)
    admin = http.as_user(ADMIN, admin=True)
    assert admin.call("PUT", f"/api/admin/users/{user}/allowance",
                      {"secondsLimit": 300, "reason": "browser test: a small allowance"}).status == 200
    sign_in(page, runner, PRACTICE, user)
    expect(page.locator("#meter-remaining")).to_have_text("5 min")
    start(page)
    say(page, "Xin chao")
    session_id = active_session_id(learner)

    http.advance(250)   # 83 % of the month's 300 s
    notices = page.locator("#notices .notice-item")
    expect(notices).to_have_count(1)
    expect(notices.nth(0)).to_have_attribute("data-level", "80")
    expect(notices.nth(0)).to_contain_text("You have used 80% of this month's voice minutes")
    expect(notices.nth(0)).to_contain_text("the meter above shows what is left")   # no figure that goes stale
    expect(page.locator("#live")).to_be_visible()

    http.advance(60)    # past the allowance: the heartbeat says limitReached
    expect(notices).to_have_count(2)
    expect(notices.nth(1)).to_have_attribute("data-level", "100")
    expect(notices.nth(1)).to_contain_text("You have used 100% of this month's voice minutes")
    expect(page.locator("#summary")).to_have_attribute("data-state", "saved")
    expect(page.locator("#summary-facts dd[data-fact='end-reason']")).to_have_text("This month's minutes ran out")
    expect(page.locator("#meter-remaining")).to_have_text("0 s")

    session = learner.get(f"/api/learning/session/{session_id}").data["session"]
    assert (session["endReason"], session["endedBy"]) == ("limit_reached", "limit")
    assert learner.get("/api/usage").data["secondsRemaining"] == 0
    expect(notices).to_have_count(2)   # each notice once

    # Nothing left: a new start is refused with the usage, and the page says so.
    page.click("#again")
    page.click("#start")
    expect(page.locator("#setup-status")).to_contain_text("You have used all your voice minutes for this month")


def test_practice_fits_a_phone_screen_and_reconnects(page, runner, fresh_month):
    user = "vy"
    requests = Requests(page, EVENTS, END)
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, runner, PRACTICE, user)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    start(page, provider="openai", mode="free")
    say(page, "Xin chào! Tôi muốn ăn phở")
    expect(page.locator("#live-corrections .correction")).to_have_count(0)   # free mode: no corrections
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shoot(page, "practice-phone.png")

    page.click("#drop-1006")
    expect(page.locator("#disconnect-reason")).to_contain_text("Abnormal closure (1006): Network issue, server timeout.")
    box = page.locator("#disconnect-dialog").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    shoot(page, "practice-phone-disconnect.png")
    page.click("#reconnect")
    expect(page.locator("#disconnect-dialog")).to_be_hidden()
    expect(page.locator("#connection-status")).to_have_text("Connected to OpenAI.")
    greeted(page, 2)
    say(page, "Vâng")
    page.click("#end")
    expect(page.locator("#summary")).to_have_attribute("data-state", "saved")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert [(e["type"], e.get("code")) for e in sent_events(requests)] == [
        ("provider_connected", None), ("provider_disconnected", 1006), ("reconnect_attempt", None),
        ("provider_connected", None)]
    assert all(e["provider"] == "openai" for e in sent_events(requests))
    assert set(requests.statuses[EVENTS]) <= {200} and requests.statuses[END] == [200]

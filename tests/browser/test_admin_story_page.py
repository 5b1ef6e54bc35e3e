"""The session story on the Session Health Monitor, against the local runner seeded with the
seed's scenario (browser_seed.story_session: Gemini connects, drops with 1011, a reconnect is
attempted, the app switches to OpenAI with cause 1011, OpenAI connects, a heartbeat gap, the
learner ends it), a session the sweeper closed and one still live.

Everything shown is compared with the API's own answers (detail `timeline`, list rows'
`switchCause`, stats' `providerReliability` and `endedByBreakdown`, the new filters), so these
tests need the admin API's story fields; test_admin_contract.py checks the drawing against
answers of the contract's shape."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from browser_env import SCREENSHOTS
from browser_seed import ADMIN, Http
from pagehelpers import (apply_filters, detail_facts, expect, expected_row, shown_row, sign_in, to_fixed,
                         wait_until_shown)

pytestmark = pytest.mark.browser

LIST_CALLS = re.compile(r"/api/admin/sessions\?")


def admin_api(runner) -> Http:
    return Http(runner.base).as_user(ADMIN, admin=True)


def one(timeline: list[dict], kind: str, **fields) -> dict:
    found = [e for e in timeline if e["type"] == kind and all(e.get(k) == v for k, v in fields.items())]
    assert len(found) == 1, (kind, fields, timeline)
    return found[0]


def open_story(page, runner, seeded):
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    page.locator(f"#sessions-body tr[data-session-id='{seeded.story['id']}'] button").click()
    expect(page.locator("#admin-detail-heading")).to_have_text("Session of thu@example.com")
    expect(page.locator("#timeline-section")).to_be_visible()


# ---------------------------------------------------------------------------- the table (list rows)
def test_live_and_timed_out_sessions_are_never_clean(page, runner, seeded):
    rows = {s["id"]: s for s in admin_api(runner).get("/api/admin/sessions", limit=25).data["sessions"]}
    assert rows[seeded.live_id]["status"] == "active"
    assert rows[seeded.swept_id]["endedBy"] == "client_vanished" and rows[seeded.swept_id]["disconnectCode"] is None
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    live = page.locator(f"#sessions-body tr[data-session-id='{seeded.live_id}']")
    expect(live.locator(".badge.live")).to_have_text("Live")
    assert shown_row(live) | {"user": ""} == {"user": "", "duration": "Live", "provider": "Gemini",
                                               "disconnect": "—", "endedBy": "—", "messages": "0"}
    swept = shown_row(page.locator(f"#sessions-body tr[data-session-id='{seeded.swept_id}']"))
    assert swept["disconnect"] == "No end (timed out)" and swept["endedBy"] == "Timed out (no heartbeat)"
    assert "Clean" not in swept["disconnect"]
    story = shown_row(page.locator(f"#sessions-body tr[data-session-id='{seeded.story['id']}']"))
    assert story["endedBy"] == "Learner" and story["disconnect"] == "1000 Normal closure"


def test_a_switch_shows_its_cause(page, runner, seeded):
    listing = admin_api(runner).get("/api/admin/sessions", limit=25).data
    row = next(s for s in listing["sessions"] if s["id"] == seeded.story["id"])
    assert row["switchCause"] == "1011", row                       # the admin API's list field
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    shown = shown_row(page.locator(f"#sessions-body tr[data-session-id='{seeded.story['id']}']"))
    assert shown["provider"].startswith("OpenAI switched · 1011 Server error"), shown
    assert shown == expected_row(row, listing["stats"])


# ---------------------------------------------------------------------------- the timeline strip
def test_the_timeline_strip_draws_the_scenario(page, runner, seeded):
    data = admin_api(runner).get(f"/api/admin/sessions/{seeded.story['id']}").data
    timeline, session = data["timeline"], data["session"]      # the admin API's detail fields
    assert session["endedBy"] == "learner"
    started, ended = one(timeline, "started"), one(timeline, "ended")
    drop = one(timeline, "provider_disconnected", code=1011)
    switch = one(timeline, "provider_switched", to="openai")
    assert switch["code"] == 1011 and drop["provider"] == "gemini"
    assert (drop["at"], switch["at"]) == (seeded.story["disconnected"], seeded.story["switched"])

    open_story(page, runner, seeded)
    picture = page.locator("#timeline-strip svg.tl-picture")
    expect(picture).to_have_attribute("role", "img")
    summary = picture.get_attribute("aria-label")
    for words in ("connected to Gemini for", "then OpenAI for", "1 disconnect (1011 Server error)",
                  "1 reconnect attempt", "1 switch (to OpenAI, cause 1011 Server error)", "ended by learner"):
        assert words in summary, (words, summary)

    # Segments: Gemini from the start to the 1011 drop, OpenAI from the switch to the end.
    segments = page.locator("#timeline-strip .tl-seg").evaluate_all(
        "gs => gs.map(g => [g.dataset.provider, Number(g.dataset.from), Number(g.dataset.to)])")
    assert segments == [["gemini", started["at"], drop["at"]], ["openai", switch["at"], ended["at"]]]

    markers = page.locator("#timeline-strip .tl-marker")
    expect(markers).to_have_count(len(timeline))
    disconnect = page.locator(".tl-marker[data-type='provider_disconnected']")
    expect(disconnect).to_have_attribute("data-code", "1011")
    expect(disconnect).to_have_attribute("data-provider", "gemini")
    expect(disconnect.locator(".tl-mark-text")).to_have_text("1011")
    expect(page.locator(".tl-marker[data-type='reconnect_attempt']")).to_have_count(1)
    switched = page.locator(".tl-marker[data-type='provider_switched']")
    expect(switched).to_have_attribute("data-code", "1011")
    expect(switched.locator(".tl-mark-text")).to_have_text("→ OpenAI · 1011")
    expect(page.locator(".tl-marker[data-type='heartbeat_gap']")).to_have_count(1)
    expect(page.locator("#timeline-strip .tl-hbgap")).to_have_count(1)
    end = page.locator(".tl-marker[data-type='ended']")
    expect(end).to_have_attribute("data-ended-by", "learner")
    expect(end.locator(".tl-mark-text")).to_have_text("learner")
    # Every marker can be reached with the keyboard and says what it is.
    for i in range(markers.count()):
        expect(markers.nth(i)).to_have_attribute("tabindex", "0")
        assert markers.nth(i).get_attribute("aria-label")
    assert "Disconnected at" in disconnect.get_attribute("aria-label")
    assert "code: 1011 Server error" in disconnect.get_attribute("aria-label")
    assert "cause: 1011 Server error" in switched.get_attribute("aria-label")

    # The same timeline as text, in order.
    items = page.locator("#timeline-list li")
    expect(items).to_have_count(len(timeline))
    assert items.evaluate_all("lis => lis.map(li => li.dataset.type)") == [e["type"] for e in sorted(
        timeline, key=lambda e: (e["at"], e["source"] != "server"))]
    expect(page.locator("#timeline-list li[data-type='provider_disconnected']")).to_contain_text(
        "Code: 1011 Server error · Reason: Internal error encountered")
    facts = detail_facts(page)
    assert facts["Ended by"] == "Learner" and facts["Switch cause"] == "1011 Server error"
    assert facts["Credited"].startswith(f"{session['creditedSeconds']} s not charged")


def test_hovering_or_focusing_a_marker_shows_its_details(page, runner, seeded):
    open_story(page, runner, seeded)
    tip = page.locator("#timeline-tip")
    expect(tip).to_be_hidden()
    disconnect = page.locator(".tl-marker[data-type='provider_disconnected']")
    disconnect.hover()
    expect(tip).to_be_visible()
    details = dict(zip(tip.locator("dt").all_inner_texts(), tip.locator("dd").all_inner_texts()))
    at = seeded.story["disconnected"]
    assert details["Time"] == datetime.fromtimestamp(at / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert (details["Event"], details["Provider"], details["Code"], details["Reason"]) == (
        "Disconnected", "Gemini", "1011 Server error", "Internal error encountered")
    page.mouse.move(0, 0)
    expect(tip).to_be_hidden()

    # Keyboard: focus moves marker to marker; the tip follows, Escape dismisses it.
    page.locator(".tl-marker[data-type='reconnect_attempt']").focus()
    expect(tip).to_contain_text("Reconnect attempt")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.type") == "provider_switched"
    expect(tip).to_contain_text("Switched provider")
    expect(tip).to_contain_text("Gemini → OpenAI")
    expect(tip).to_contain_text("1011 Server error")
    tip_box, strip_box = tip.bounding_box(), page.locator("#timeline-strip").bounding_box()
    assert strip_box["x"] <= tip_box["x"] and tip_box["x"] + tip_box["width"] <= strip_box["x"] + strip_box["width"] + 1
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()
    page.locator(".tl-marker[data-type='ended']").hover()
    expect(tip).to_contain_text("Ended by")
    expect(tip).to_contain_text("Learner")
    # The picture for the docs: the detail with a marker's details shown (focus keeps them while scrolling).
    page.mouse.move(0, 0)
    page.locator(".tl-marker[data-type='provider_disconnected']").focus()
    expect(tip).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#admin-detail").screenshot(path=str(SCREENSHOTS / "admin-detail.png"))


# ---------------------------------------------------------------------------- stats cards
def test_reliability_and_ended_by_cards_match_the_api(page, runner, seeded):
    stats = admin_api(runner).get("/api/admin/sessions", limit=25).data["stats"]
    reliability, ended_by = stats["providerReliability"], stats["endedByBreakdown"]   # the admin API's fields
    assert reliability["gemini"]["failures"] >= 1 and reliability["gemini"]["failuresByCode"].get("1011", 0) >= 1
    assert reliability["openai"]["failures"] == 0
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    expect(page.locator("#reliability-card")).to_be_visible()
    for provider, row in reliability.items():
        cells = page.locator(f"#reliability-body tr[data-provider='{provider}'] td").all_inner_texts()
        assert cells[0] == f"{to_fixed(row['failureRate'] * 100, 1)}%"
        assert cells[2] == f"{row['failures']} / {row['connections']}"
    gemini = page.locator("#reliability-body tr[data-provider='gemini'] td").nth(3)
    expect(gemini).to_contain_text("1011 Server error ×")
    expect(page.locator("#reliability-body tr[data-provider='openai'] td").nth(3)).to_have_text("none")
    expect(page.locator("#ended-by-card")).to_be_visible()
    for key, count in ended_by.items():
        if count:
            expect(page.locator(f"#ended-by li[data-ended-by='{key}'] .count")).to_have_text(str(count))
    assert ended_by.get("client_vanished") == 1 and ended_by.get("learner", 0) >= 1
    expect(page.locator("#ended-by li[data-ended-by='client_vanished'] .code-label")).to_have_text(
        "Timed out (no heartbeat)")


# ---------------------------------------------------------------------------- filters
def test_filters_apply_as_they_change(page, runner, seeded):
    admin = admin_api(runner)
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    expect(page.locator("#sessions-body tr")).to_have_count(seeded.total_sessions)
    expect(page.locator("#filters button[type=submit]")).to_have_count(0)   # no Apply button
    with page.expect_response(LIST_CALLS):
        page.select_option("#f-provider", "openai")
    wait_until_shown(page)
    ids = page.locator("#sessions-body tr").evaluate_all("rows => rows.map(r => r.dataset.sessionId)")
    assert ids == [s["id"] for s in admin.get("/api/admin/sessions", provider="openai", limit=25).data["sessions"]]

    # Typing in the user id field loads once, after the typing pauses.
    calls: list[str] = []
    page.on("request", lambda r: LIST_CALLS.search(r.url) and calls.append(r.url))
    page.locator("#f-user").press_sequentially("thu", delay=60)
    wait_until_shown(page)
    page.wait_for_timeout(600)
    assert len(calls) == 1 and "userId=thu" in calls[0], calls
    expect(page.locator("#sessions-body tr")).to_have_count(1)
    page.click("#reset-filters")
    wait_until_shown(page)
    expect(page.locator("#sessions-body tr")).to_have_count(seeded.total_sessions)


def test_status_ended_by_and_initial_provider_filters(page, runner, seeded):
    admin = admin_api(runner)
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    for filters, expected_ids in (({"status": "active"}, [seeded.live_id]),
                                  ({"endedBy": "client_vanished"}, [seeded.swept_id]),
                                  ({"initialProvider": "gemini", "provider": "openai"}, None)):
        apply_filters(page, **filters)
        expected = admin.get("/api/admin/sessions", **filters, limit=25).data      # the admin API's filters
        ids = page.locator("#sessions-body tr").evaluate_all("rows => rows.map(r => r.dataset.sessionId)")
        assert ids == [s["id"] for s in expected["sessions"]], filters
        if expected_ids is not None:
            assert ids == expected_ids, filters
        else:
            assert seeded.story["id"] in ids and expected["stats"]["totalSessions"] == len(ids)
        expect(page.locator("#stat-total")).to_have_text(str(expected["stats"]["totalSessions"]))


# What the Disconnect column says of a session without a client end: who closed it decides.
DISCONNECT_WORDS = [
    ({"status": "ended", "endedBy": "client_vanished", "endReason": "timeout"}, "No end (timed out)"),
    ({"status": "ended", "endedBy": "superseded", "endReason": "stale"}, "No end (replaced by a newer session)"),
    ({"status": "ended", "endReason": "stale", "disconnectCode": None}, "No end (replaced by a newer session)"),
    ({"status": "ended", "endReason": "timeout", "disconnectCode": None}, "No end (timed out)"),
    ({"status": "ended", "endedBy": "learner", "endReason": "user_ended", "disconnectCode": None}, "Clean"),
    ({"status": "active", "endedAt": None}, "Live: not ended yet"),
]


def test_disconnect_words_say_who_closed_a_session_without_an_end(page, runner):
    page.goto(runner.base + "/admin")
    shown = page.evaluate("""async (sessions) => {
        const words = await import('/js/admin-words.js');
        return sessions.map((s) => words.disconnectText(s));
    }""", [session for session, _ in DISCONNECT_WORDS])
    assert shown == [words for _, words in DISCONNECT_WORDS]

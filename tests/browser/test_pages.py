"""The web pages in headless Chromium against the local runner (`python -m local.server`):
what every script must never do, and the learning history (paging, a session's bubbles and
corrections, the review queue, phone width, empty/loading/error states). Sign-in:
test_signin.py; the admin page: test_admin.py, test_admin_story.py."""
from __future__ import annotations

import json
import re

import pytest
from browser_env import SCREENSHOTS, WEB
from browser_seed import LEARNER, XSS_TOPIC, Http
from pagehelpers import expect, sign_in, title_case

pytestmark = pytest.mark.browser

HISTORY_CALLS = re.compile(r"/api/learning/history\?")


def topics_in_list(page) -> list[str]:
    return page.locator("#session-list .session-topic").all_inner_texts()


# ---------------------------------------------------------------------------- static checks
def test_scripts_never_parse_data_as_html():
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(")
    offenders = [f"{p.name}:{n}" for p in sorted((WEB / "js").rglob("*.js"))
                 for n, line in enumerate(p.read_text().splitlines(), 1) if sinks.search(line)]
    assert offenders == []
    # Every page and module the tests expect is there (others may be added: the scan above covers them).
    assert {"admin.js", "admin-strip.js", "admin-timeline.js", "api.js", "auth.js", "dom.js", "format.js", "home.js",
            "learning.js", "shell.js", "transcript.js", "practice.js", "session-client.js", "rehearsal-coach.js",
            "close-codes.js"} \
        <= {p.name for p in (WEB / "js").glob("*.js")}
    for html in sorted(WEB.glob("*.html")):   # each page has the CSP meta, scripts from the site only
        text = html.read_text()
        assert 'http-equiv="Content-Security-Policy"' in text and "script-src 'self'" in text, html.name
        assert "<script>" not in text and "onclick=" not in text, html.name



def test_pages_keep_their_content_security_policy_and_scripts_stay_small():
    """No inline script or style may creep in (the CSP forbids both), and no module grows past ~300 lines."""
    for page in sorted(p.name for p in WEB.glob("*.html")):
        html = (WEB / page).read_text()
        assert ('content="default-src \'self\'; script-src \'self\'; style-src \'self\'; img-src \'self\' data:; '
                'connect-src \'self\' https:; object-src \'none\'; base-uri \'none\'; form-action \'self\'"') in html
        assert " style=" not in html and "<style" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), page
    for script in (WEB / "js").rglob("*.js"):  # providers/ too
        assert len(script.read_text().splitlines()) <= 300, script.name
        assert "setAttribute('style'" not in script.read_text() and "style:" not in script.read_text(), script.name


# ---------------------------------------------------------------------------- learning history
def test_history_pages_newest_first_and_shows_a_session(page, runner, seeded):
    learner = Http(runner.base).as_user(LEARNER)
    first = learner.get("/api/learning/history", page=1, limit=10).data
    second = learner.get("/api/learning/history", page=2, limit=10).data
    newest_first = [s["topic"] for s in reversed(seeded.learner_sessions)]
    assert [s["topic"] for s in first["sessions"] + second["sessions"]] == newest_first

    sign_in(page, runner, "/learning", LEARNER)
    expect(page.locator("#session-list .session-item")).to_have_count(10)
    assert topics_in_list(page) == newest_first[:10]
    counts = page.locator("#session-list .correction-count").all_inner_texts()
    assert counts == [f"{s['correctionCount']} correction{'' if s['correctionCount'] == 1 else 's'}"
                      for s in first["sessions"]]
    expect(page.locator("#page-info")).to_have_text("Page 1 of 2 · 12 sessions")
    expect(page.locator("#prev-page")).to_be_disabled()

    page.click("#next-page")
    expect(page.locator("#page-info")).to_have_text("Page 2 of 2 · 12 sessions")
    assert topics_in_list(page) == newest_first[10:]
    # The topic with markup is shown as text; nothing it contains ran or became an element.
    expect(page.locator("#session-list .session-topic", has_text="<b>Bold</b>")).to_have_text(XSS_TOPIC)
    assert page.locator("#session-list img, #session-list b").count() == 0
    assert page.evaluate("window.__xss") is None
    expect(page.locator("#next-page")).to_be_disabled()
    page.click("#prev-page")
    expect(page.locator("#page-info")).to_have_text("Page 1 of 2 · 12 sessions")

    chosen = next(s for s in reversed(seeded.learner_sessions) if len(s["corrections"]) == 2)
    page.locator("#session-list .session-item", has_text=chosen["topic"]).click()
    expect(page.locator("#detail-heading")).to_have_text(chosen["topic"])
    bubbles = page.locator("#bubbles .bubble")
    expect(bubbles).to_have_count(len(chosen["messages"]))
    shown = [t.split(": ", 1)[1] for t in bubbles.all_text_contents()]
    assert shown == [m["text"] for m in chosen["messages"]]

    box = page.locator("#bubbles").bounding_box()
    for i, message in enumerate(chosen["messages"]):
        b = bubbles.nth(i).bounding_box()
        gap_left, gap_right = b["x"] - box["x"], (box["x"] + box["width"]) - (b["x"] + b["width"])
        if message["role"] == "user":
            assert gap_right < 20 < gap_left, (message, gap_left, gap_right)   # learner on the right
        else:
            assert gap_left < 20 < gap_right, (message, gap_left, gap_right)   # coach on the left

    items = page.locator("#detail-corrections .correction")
    expect(items).to_have_count(2)
    for i, correction in enumerate(chosen["corrections"]):
        item = items.nth(i)
        expect(item.locator("del")).to_have_text(correction["original"])
        assert "line-through" in item.locator("del").evaluate("e => getComputedStyle(e).textDecorationLine")
        expect(item.locator(".corrected")).to_have_text(f"Correction: {correction['correction']}")
        expect(item.locator(".explanation")).to_have_text(correction["explanation"])
        expect(item.locator(".category")).to_have_text(title_case(correction["category"]))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "learning.png"), full_page=True)


def test_review_rating_moves_to_the_next_and_lowers_the_due_count(page, runner, seeded):
    learner = Http(runner.base).as_user(LEARNER)
    queue = learner.get("/api/learning/review", limit=20).data
    due = queue["dueCount"]
    assert due > 1
    first = queue["corrections"][0]

    sign_in(page, runner, "/learning", LEARNER)
    expect(page.locator("#due-badge")).to_have_text(str(due))
    page.click("#tab-review")
    expect(page.locator("#panel-review")).to_be_visible()
    expect(page.locator("#review-due")).to_have_text(f"{due} corrections due for review")
    expect(page.locator("#review-original")).to_have_text(first["original"])
    expect(page.locator("#review-answer")).to_be_hidden()
    page.click("#reveal")
    expect(page.locator("#review-correction")).to_have_text(first["correction"])
    page.click("#rating-buttons button[data-level='4']")

    expect(page.locator("#review-status")).to_contain_text("Saved: you rated it 4.")
    expect(page.locator("#review-due")).to_have_text(f"{due - 1} correction{'' if due - 1 == 1 else 's'} due for review")
    expect(page.locator("#due-badge")).to_have_text(str(due - 1))
    after = learner.get("/api/learning/review", limit=20).data
    assert after["dueCount"] == due - 1
    assert first["id"] not in [c["id"] for c in after["corrections"]]
    expect(page.locator("#review-card")).to_have_attribute("data-correction-id", after["corrections"][0]["id"])
    expect(page.locator("#review-original")).to_have_text(after["corrections"][0]["original"])
    reviewed = learner.get("/api/learning/corrections", reviewed="true").data["corrections"]
    rated = next(c for c in reviewed if c["id"] == first["id"])
    assert rated["reviewed"] is True and rated["confidenceLevel"] == 4 and rated["nextReviewAt"] > seeded.now_ms


def test_a_rating_lost_on_the_way_back_is_not_counted_twice(page, runner, seeded):
    """The first save reaches the server but its answer is lost (the browser sees a network
    error); the learner clicks the same rating again. The page sends the same Idempotency-Key,
    so the server answers as the first time instead of reviewing the card a second time."""
    learner = Http(runner.base).as_user(LEARNER)
    card = learner.get("/api/learning/review", limit=20).data["corrections"][0]
    sent: list[dict] = []

    def lose_the_first_answer(route):
        sent.append(route.request.headers)
        if len(sent) == 1:
            sent.append(route.fetch().json())   # the server records the rating...
            route.abort("connectionreset")      # ...and the answer never arrives
        else:
            route.continue_()

    page.route(f"**/api/learning/corrections/{card['id']}", lose_the_first_answer)
    sign_in(page, runner, "/learning", LEARNER)
    page.click("#tab-review")
    expect(page.locator("#review-card")).to_have_attribute("data-correction-id", card["id"])
    page.click("#reveal")
    page.click("#rating-buttons button[data-level='3']")
    expect(page.locator("#review-status")).to_contain_text("Could not save your rating")
    page.click("#rating-buttons button[data-level='3']")
    expect(page.locator("#review-status")).to_contain_text("Saved: you rated it 3.")

    first_headers, first_answer, retry_headers = sent
    assert first_headers["idempotency-key"] and retry_headers["idempotency-key"] == first_headers["idempotency-key"]
    stored = next(c for c in learner.get("/api/learning/corrections", reviewed="true").data["corrections"]
                  if c["id"] == card["id"])
    # One FSRS review: a second one at the same instant would have moved the card on again.
    assert stored["nextReviewAt"] == first_answer["data"]["nextReviewAt"]
    assert stored["confidenceLevel"] == 3


def test_learning_fits_a_phone_screen(page, runner, seeded):
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, runner, "/learning", LEARNER)
    expect(page.locator("#session-list .session-item")).to_have_count(10)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "learning-phone.png"))
    page.locator("#session-list .session-item").first.click()
    expect(page.locator("#detail-body")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SCREENSHOTS / "learning-phone-session.png"))
    list_box = page.locator("#session-list").bounding_box()
    detail_box = page.locator("#session-detail").bounding_box()
    assert detail_box["y"] > list_box["y"] + list_box["height"]   # one column: the detail under the list
    assert detail_box["width"] <= 375
    page.click("#tab-review")
    page.click("#reveal")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_learning_empty_loading_and_error_states(page, runner):
    held = []
    page.route(HISTORY_CALLS, lambda route: held.append(route))
    sign_in(page, runner, "/learning", "newbie")
    expect(page.locator("#history-status")).to_have_text("Loading your sessions…")
    for _ in range(200):   # the route's handler runs when Playwright next pumps its events: let it
        if held:
            break
        page.wait_for_timeout(25)
    held.pop().continue_()
    expect(page.locator("#history-status")).to_contain_text("You have no sessions yet.")
    expect(page.locator("#session-list li")).to_have_count(0)
    expect(page.locator("#due-badge")).to_have_text("0")
    page.click("#tab-review")
    expect(page.locator("#review-due")).to_have_text("Nothing is due for review right now.")
    expect(page.locator("#review-card")).to_be_hidden()
    page.unroute(HISTORY_CALLS)

    failing = json.dumps({"success": False, "error": {"code": "internal_error", "message": "Internal server error"}})
    page.route(HISTORY_CALLS,
               lambda route: route.fulfill(status=500, content_type="application/json", body=failing))
    page.click("#tab-history")
    page.reload()
    expect(page.locator("#history-status")).to_have_text(
        "Could not load your sessions: Internal server error (HTTP 500)")
    expect(page.locator("#history-status")).to_have_attribute("data-kind", "error")
    page.unroute(HISTORY_CALLS)
    page.click("#history-retry")
    expect(page.locator("#history-status")).to_contain_text("You have no sessions yet.")
    expect(page.locator("#history-retry")).to_be_hidden()

"""The README's "Try it" path, as a newcomer walks it on make dev's runner, at desktop and
phone widths (issue 21): the navigation, the one minutes format, a drop and a switch told by
the summary and the history, a running session "In progress", the Review badge, and the
admin page's causes, "had a drop", its two lengths and its phone layout."""
from __future__ import annotations

import re

import pytest
from browser_env import SCREENSHOTS
from browser_helpers import expect, say, sign_in
from browser_seed import ADMIN, Http
from pagehelpers import apply_filters
from pagehelpers import sign_in as admin_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_local_storage")]

WIDTHS = {"desktop": (1280, 900), "phone": (375, 812)}
MINUTES = re.compile(r"^(\d+ h( \d+ min)?|\d+ min( \d+ s)?|\d+ s)$")   # format.js duration()


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("size", WIDTHS)
def test_a_learner_walks_the_readme(page, runner, fresh_month, size):
    width, height = WIDTHS[size]
    page.set_viewport_size({"width": width, "height": height})
    user = f"walker-{size}"
    learner = Http(runner.base).as_user(user)
    sign_in(page, runner, "/practice?heartbeatMs=500", user)
    expect(page.locator("nav a[href='/admin']")).to_be_hidden()        # a learner's navigation: no admin page
    expect(page.locator("#meter-remaining")).to_have_text("30 min")     # the one minutes format
    fits(page, width)

    page.fill("#topic", "Ordering food")
    page.select_option("#channel", "text")
    page.click("#start")
    expect(page.locator("#connection-status")).to_have_text("Connected to Gemini.")
    say(page, "Xin chao, tôi muốn ăn phở")
    expect(page.locator("#live-corrections .correction .category").first).to_have_text("Vocabulary")
    page.click("#drop-1011")
    page.click("#switch-provider")
    expect(page.locator("#bubbles .provider-divider")).to_have_text("Now with OpenAI")
    say(page, "Cam on")
    page.click("#end")
    expect(page.locator("#summary")).to_have_attribute("data-state", "saved")
    facts = dict(zip(page.locator("#summary-facts dt").all_inner_texts(), page.locator("#summary-facts dd").all_inner_texts()))
    assert facts["Provider switches"] == "Gemini → OpenAI" and facts["Connection drops"] == "Gemini 1011"
    assert "Credited" in facts                                          # the dialog's promise, answered either way
    for key in ("This session", "Used this month", "Remaining this month"):
        assert MINUTES.match(facts[key]), (key, facts[key])
    fits(page, width)

    # The history tells the same story: provider path, switch, credit, the divider.
    page.click("#history-link")
    expect(page.locator("#detail-meta")).to_contain_text("via OpenAI (started on Gemini)")
    expect(page.locator("#detail-story")).to_contain_text("Switched from Gemini to OpenAI")
    expect(page.locator("#detail-story")).to_contain_text(re.compile(r"credited back"))   # or that nothing was
    expect(page.locator("nav a[href='/admin']")).to_be_hidden()
    expect(page.locator("#due-badge")).to_be_visible()                 # 0 too: a number, never hidden
    assert re.fullmatch(r"\d+|99\+", page.locator("#due-badge").inner_text())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"learning-story-{size}.png"), full_page=True)

    # A session still running is "In progress", not a conversation with 0 messages.
    running = learner.post("/api/session/start", {"topic": "Still talking", "mode": "coach"}).data["sessionId"]
    try:
        page.reload()
        item = page.locator(f".session-item[data-session-id='{running}']")
        expect(item.locator(".in-progress")).to_have_text("In progress")
        item.click()
        expect(page.locator("#detail-story")).to_contain_text("In progress")
        expect(page.locator("#bubbles")).not_to_contain_text("No messages were saved")
    finally:
        learner.post("/api/session/end", {"sessionId": running, "disconnectCode": 1000})


@pytest.mark.parametrize("size", WIDTHS)
def test_an_admin_sees_causes_drops_and_lengths(page, runner, seeded, size):
    width, height = WIDTHS[size]
    page.set_viewport_size({"width": width, "height": height})
    admin = Http(runner.base).as_user(ADMIN, admin=True)
    admin_sign_in(page, runner, "/admin", ADMIN, admin=True)
    expect(page.locator("nav a[href='/practice']")).to_be_visible()    # the Practice link the other pages have
    expect(page.locator("nav a[href='/admin']")).to_be_visible()       # admins see Session health
    listing = admin.get("/api/admin/sessions", limit=25).data
    causes = listing["stats"]["closeCodes"]
    # The seed's "Common cause": in the code grid, and as the disconnect cell's tooltip.
    for item in page.locator("#close-codes .code-item").all():
        code = item.get_attribute("data-code")
        if code in causes and causes[code].get("cause"):
            expect(item.locator(".code-cause")).to_have_text(causes[code]["cause"])
    coded = [s for s in listing["sessions"] if s.get("disconnectCode") not in (None, 1000)]
    assert coded, "the seed has a session ended with a disconnect code"
    cell = page.locator(f"#sessions-body tr[data-session-id='{coded[0]['id']}'] td:nth-child(5) span").first
    assert causes[str(coded[0]["disconnectCode"])]["cause"] in cell.get_attribute("title")
    expect(page.locator("#label-duration")).to_have_text("Avg length (wall clock)")
    expect(page.locator("#sessions-table thead th").nth(2)).to_have_text("Charged")

    if size == "phone":
        fits(page, width)
        wrap = page.locator("#sessions-section .table-wrap")
        assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")   # the table scrolls sideways...
        expect(page.locator("#sessions-section .scroll-hint")).to_be_visible()   # ...and says so
        boxes = [page.locator(f"#filters {s}").bounding_box() for s in ("#f-from", "#f-to", "#f-provider", "#f-initial")]
        assert max(b["width"] for b in boxes) - min(b["width"] for b in boxes) < 2   # even columns

    # "Had a drop": the seed's switched session (1011, then OpenAI, ended 1000) is found.
    apply_filters(page, hadDrop=True)
    expect(page.locator("#range-note")).to_contain_text('"Had a drop" narrows the table')
    dropped = admin.get("/api/admin/sessions", hadDrop="true", limit=25).data["sessions"]
    assert seeded.story["id"] in {s["id"] for s in dropped} and all(s["hadDrop"] for s in dropped)
    ids = page.locator("#sessions-body tr").evaluate_all("rows => rows.map(r => r.dataset.sessionId)")
    assert ids == [s["id"] for s in dropped]

    # The detail: its two lengths, and the first segment (Gemini before the switch) on the strip.
    page.locator(f"#sessions-body tr[data-session-id='{seeded.story['id']}'] button").click()
    detail = page.locator("#admin-detail")
    expect(detail).to_contain_text("Wall-clock length")
    expect(detail).to_contain_text("Charged")
    first = page.locator("#timeline-strip .tl-seg").first
    expect(first).to_have_attribute("data-provider", "gemini")
    box = first.locator("rect").bounding_box()
    assert box and box["width"] >= 4, box
    if size == "phone":
        ratio = page.locator("#timeline-strip .tl-picture").evaluate(
            "svg => svg.getBoundingClientRect().width / svg.viewBox.baseVal.width")
        assert ratio >= 0.9, ratio                                    # its labels are drawn at their size
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"admin-drop-{size}.png"), full_page=True)


def test_a_swept_sessions_strip_shows_the_connection_it_had(page, runner, seeded):
    """Swept after its heartbeats stopped: its strip shows OpenAI up to its last heartbeat, not a grey track."""
    admin_sign_in(page, runner, f"/admin#session={seeded.swept_id}", ADMIN, admin=True)
    segment = page.locator("#timeline-strip .tl-seg").first
    expect(segment).to_have_attribute("data-provider", "openai")
    box = segment.locator("rect").bounding_box()
    track = page.locator("#timeline-strip .tl-track").bounding_box()
    assert box["width"] >= 0.05 * track["width"], (box, track)
    expect(page.locator("#admin-detail")).to_contain_text("No end (timed out)")

"""The web pages in headless Chromium against the local runner (`python -m local.server`):
sign-in, the learning history (paging, a session's bubbles and corrections, the review
queue, phone width, empty/loading/error states) and the Session Health Monitor (stats
against the API, close codes, charts, filters, paging, CSV export, detail, not authorised)."""
from __future__ import annotations

import base64
import json
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from browser_seed import ADMIN, LEARNER, XSS_TOPIC, Http
from browser_env import SCREENSHOTS, WEB

pytestmark = pytest.mark.browser

HISTORY_CALLS = re.compile(r"/api/learning/history\?")


def expect(*args, **kwargs):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args, **kwargs)


def to_fixed(value: float, digits: int) -> str:
    """JavaScript's Number.prototype.toFixed (exact binary value, halves away from zero)."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def title_case(text: str) -> str:
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


def sign_in(page, runner, path: str, user: str, *, admin: bool = False) -> None:
    page.goto(runner.base + path)
    expect(page.locator("#signin-user")).to_be_visible()
    page.fill("#signin-user", user)
    if admin:
        page.check("#signin-admin")
    page.click("#signin button[type=submit]")
    expect(page.locator("#account-name")).to_contain_text(f"{user}@example.com")


def topics_in_list(page) -> list[str]:
    return page.locator("#session-list .session-topic").all_inner_texts()


# ---------------------------------------------------------------------------- static checks
def test_scripts_never_parse_data_as_html():
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(")
    offenders = [f"{p.name}:{n}" for p in sorted((WEB / "js").glob("*.js"))
                 for n, line in enumerate(p.read_text().splitlines(), 1) if sinks.search(line)]
    assert offenders == []
    # Every page and module the tests expect is there (others may be added: the scan above covers them).
    assert {"admin.js", "api.js", "auth.js", "dom.js", "format.js", "home.js", "learning.js", "shell.js",
            "transcript.js", "practice.js", "session-client.js", "rehearsal-coach.js", "close-codes.js"} \
        <= {p.name for p in (WEB / "js").glob("*.js")}
    for html in sorted(WEB.glob("*.html")):   # each page has the CSP meta, scripts from the site only
        text = html.read_text()
        assert 'http-equiv="Content-Security-Policy"' in text and "script-src 'self'" in text, html.name
        assert "<script>" not in text and "onclick=" not in text, html.name


# ---------------------------------------------------------------------------- sign-in
def test_sign_in_sign_out_and_expired_token(page, runner):
    page.goto(runner.base + "/learning")
    expect(page.locator("#signin h1")).to_have_text("Sign in")
    expect(page.locator("#app")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") is None

    sign_in(page, runner, "/learning", "tuan")
    token = page.evaluate("sessionStorage.getItem('speakpho.token')")
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["sub"] == "tuan" and claims["cognito:groups"] == []
    expect(page.locator("#app")).to_be_visible()

    page.click("#signout")
    expect(page.locator("#signin-status")).to_have_text("You have signed out.")
    expect(page.locator("#app")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") is None

    # A token the API refuses (bad signature) -> 401 -> back to sign-in, saying why.
    payload = base64.urlsafe_b64encode(json.dumps({"sub": "tuan", "exp": 4102444800}).encode()).decode().rstrip("=")
    page.evaluate("t => sessionStorage.setItem('speakpho.token', t)", f"eyJhbGciOiJIUzI1NiJ9.{payload}.AAAA")
    page.reload()
    expect(page.locator("#signin-status")).to_contain_text("Your sign-in has expired or is no longer valid")
    expect(page.locator("#signin-user")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") is None


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


# ---------------------------------------------------------------------------- admin
def stat_texts(page) -> dict:
    return {k: page.locator(f"#stat-{k}").inner_text() for k in ("total", "duration", "switch", "providers")}


def expected_stat_texts(stats: dict) -> dict:
    providers = stats["providerBreakdown"]
    return {
        "total": str(stats["totalSessions"]),
        "duration": f"{to_fixed(stats['avgDuration'], 1)} min",
        "switch": f"{to_fixed(stats['providerSwitchRate'] * 100, 1)}%",
        "providers": f"{providers.get('gemini', 0)} / {providers.get('openai', 0)}",
    }


def apply_filters(page, **values) -> None:
    """Sets every filter (unnamed ones to their defaults) and applies them."""
    values = {"from": "", "to": "", "provider": "", "mode": "", "limit": "25", "hasDisconnect": False, **values}
    for name, value in values.items():
        if name == "hasDisconnect":
            page.set_checked("#f-disconnect", bool(value))
        elif name in ("provider", "mode", "limit"):
            page.select_option(f"#f-{name}", value)
        else:
            page.fill(f"#f-{name}", value)
    with page.expect_response(lambda r: "/api/admin/sessions?" in r.url):
        page.click("#filters button[type=submit]")
    expect(page.locator("#admin-status")).to_be_hidden()


def form_query(page) -> dict:
    query = {"from": page.input_value("#f-from"), "to": page.input_value("#f-to"),
             "provider": page.input_value("#f-provider"), "mode": page.input_value("#f-mode")}
    if page.is_checked("#f-disconnect"):
        query["hasDisconnect"] = "true"
    return {k: v for k, v in query.items() if v}


def test_admin_dashboard_matches_the_api(page, runner, seeded):
    admin = Http(runner.base).as_user(ADMIN, admin=True)
    listing = admin.get("/api/admin/sessions", limit=25).data
    stats = listing["stats"]
    series = admin.get("/api/admin/sessions/timeseries").data["series"]
    assert stats["totalSessions"] == seeded.total_sessions

    sign_in(page, runner, "/admin", ADMIN, admin=True)
    expect(page.locator("#sessions-body tr")).to_have_count(seeded.total_sessions)
    assert stat_texts(page) == expected_stat_texts(stats)
    expect(page.locator("#f-from")).to_have_value(listing["from"])
    expect(page.locator("#f-to")).to_have_value(listing["to"])

    # Close codes with the API's labels.
    assert stats["disconnectBreakdown"], stats
    codes = page.locator("#close-codes .code-item")
    expect(codes).to_have_count(len(stats["disconnectBreakdown"]))
    for code, count in stats["disconnectBreakdown"].items():
        item = page.locator(f"#close-codes .code-item[data-code='{code}']")
        expect(item.locator(".count")).to_have_text(str(count))
        expect(item.locator(".code-label")).to_have_text(stats["closeCodeLabels"][code])

    # Charts: one bar per day, stacked by code, totals = sessions; switch rate per day.
    bars = page.evaluate("""() => { const c = Chart.getChart(document.getElementById('chart-sessions'));
        return {labels: c.data.labels, type: c.config.type, stacked: c.options.scales.y.stacked,
                sets: c.data.datasets.map(d => ({label: d.label, data: d.data}))}; }""")
    assert bars["type"] == "bar" and bars["stacked"] is True
    assert bars["labels"] == [d["date"] for d in series]
    assert [sum(s["data"][i] for s in bars["sets"]) for i in range(len(series))] == [d["sessions"] for d in series]
    for code in {c for d in series for c in d["disconnects"]}:
        dataset = next(s for s in bars["sets"] if s["label"].startswith(code + " "))
        assert dataset["label"] == f"{code} {stats['closeCodeLabels'][code]}"
        assert dataset["data"] == [d["disconnects"].get(code, 0) for d in series]
    rates = page.evaluate("Chart.getChart(document.getElementById('chart-switch')).data.datasets[0].data")
    assert rates == [math.floor(d["switchRate"] * 1000 + 0.5) / 10 for d in series]  # JS Math.round
    assert sum(d["sessions"] for d in series) == stats["totalSessions"]

    # Table: the seed's columns, in the API's order.
    headers = page.locator("#sessions-table thead th").all_inner_texts()
    assert headers == ["User", "Time", "Duration", "Provider", "Disconnect", "Messages"]
    rows = page.locator("#sessions-body tr")
    for i, session in enumerate(listing["sessions"]):
        cells = rows.nth(i).locator("td").all_inner_texts()
        assert cells[0] == session["userEmail"]
        assert cells[2] == f"{to_fixed(session['minutesUsed'], 1)} min"
        assert cells[3].startswith({"gemini": "Gemini", "openai": "OpenAI"}[session["provider"]])
        assert ("switched" in cells[3]) == session["providerSwitched"]
        code = session["disconnectCode"]
        assert cells[4] == ("Clean" if code is None else f"{code} {stats['closeCodeLabels'][str(code)]}")
        assert cells[5] == str(session["messageCount"])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin.png"), full_page=True)


def test_admin_filters_paging_export_and_detail(page, runner, seeded):
    admin = Http(runner.base).as_user(ADMIN, admin=True)
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    expect(page.locator("#sessions-body tr")).to_have_count(seeded.total_sessions)
    days = admin.get("/api/admin/sessions/timeseries").data["series"]
    busiest = max(days, key=lambda d: d["sessions"])["date"]

    for filters in ({"provider": "openai"}, {"provider": "openai", "hasDisconnect": True}, {"mode": "free"},
                    {"from": busiest, "to": busiest}):
        apply_filters(page, **filters)
        query = form_query(page)
        expected = admin.get("/api/admin/sessions", **query, limit=25).data
        assert 0 < expected["stats"]["totalSessions"] < seeded.total_sessions, (filters, expected["stats"])
        assert stat_texts(page) == expected_stat_texts(expected["stats"]), filters
        expect(page.locator("#sessions-body tr")).to_have_count(len(expected["sessions"]))
        ids = page.locator("#sessions-body tr").evaluate_all("rows => rows.map(r => r.dataset.sessionId)")
        assert ids == [s["id"] for s in expected["sessions"]], filters
        if "provider" in filters:
            assert all(t.startswith("OpenAI") for t in page.locator("#sessions-body td:nth-child(4)").all_inner_texts())
        if "from" in filters:
            assert all(t.startswith(busiest) for t in page.locator("#sessions-body td:nth-child(2)").all_inner_texts())

    # Paging with nextCursor: 10 per page, stats for the whole range on every page.
    apply_filters(page, limit="10")
    query = form_query(page)
    page_one = admin.get("/api/admin/sessions", **query, limit=10).data
    page_two = admin.get("/api/admin/sessions", **query, limit=10, cursor=page_one["nextCursor"]).data
    row_ids = "rows => rows.map(r => r.dataset.sessionId)"
    expect(page.locator("#table-page")).to_have_text(f"Page 1 of 2 · {seeded.total_sessions} sessions")
    assert page.locator("#sessions-body tr").evaluate_all(row_ids) == [s["id"] for s in page_one["sessions"]]
    page.click("#table-next")
    expect(page.locator("#table-page")).to_have_text(f"Page 2 of 2 · {seeded.total_sessions} sessions")
    assert page.locator("#sessions-body tr").evaluate_all(row_ids) == [s["id"] for s in page_two["sessions"]]
    expect(page.locator("#table-next")).to_be_disabled()
    page.click("#table-prev")
    expect(page.locator("#table-page")).to_have_text(f"Page 1 of 2 · {seeded.total_sessions} sessions")
    assert page.locator("#sessions-body tr").evaluate_all(row_ids) == [s["id"] for s in page_one["sessions"]]

    # CSV export with the same filters, downloaded as a file.
    apply_filters(page, mode="coach")
    query = form_query(page)
    expected_csv = admin.call("GET", "/api/admin/sessions/export.csv?" + urlencode(query))
    assert expected_csv.status == 200 and expected_csv.body.startswith(b"id,")
    with page.expect_download() as download_info:
        page.click("#export-csv")
    download = download_info.value
    assert Path(download.path()).read_bytes() == expected_csv.body
    assert download.suggested_filename.endswith(".csv")
    rows = int(expected_csv.headers["X-Export-Rows"])
    expect(page.locator("#export-status")).to_contain_text(f"Exported {rows} sessions")

    # Click-through to one session's detail with its transcript and corrections.
    switched = next(s for s in seeded.learner_sessions if s["corrections"] and s["topic"] == "The weather")
    apply_filters(page)
    page.locator(f"#sessions-body tr[data-session-id='{switched['id']}'] button").click()
    detail = admin.get(f"/api/admin/sessions/{switched['id']}").data
    expect(page.locator("#admin-detail-heading")).to_have_text("Session of lan@example.com")
    expect(page.locator("#admin-bubbles .bubble")).to_have_count(len(detail["messages"]))
    assert [t.split(": ", 1)[1] for t in page.locator("#admin-bubbles .bubble").all_text_contents()] == \
        [m["text"] for m in detail["messages"]]
    expect(page.locator("#admin-corrections del")).to_have_text([c["original"] for c in detail["corrections"]])
    facts = dict(zip(page.locator("#detail-facts dt").all_inner_texts(), page.locator("#detail-facts dd").all_inner_texts()))
    assert facts["Topic"] == "The weather" and facts["Session id"] == switched["id"]
    assert facts["Provider"] == "Gemini → OpenAI (1 switch)"
    expect(page.locator("#sessions-section")).to_be_hidden()
    assert page.evaluate("location.hash") == f"#session={switched['id']}"
    page.screenshot(path=str(SCREENSHOTS / "admin-detail.png"), full_page=True)
    page.click("#detail-back")
    expect(page.locator("#sessions-section")).to_be_visible()
    expect(page.locator("#admin-detail")).to_be_hidden()


def test_admin_page_refuses_a_learner(page, runner, seeded):
    statuses = []
    page.on("response", lambda r: "/api/admin/" in r.url and statuses.append(r.status))
    sign_in(page, runner, "/admin", LEARNER)
    expect(page.locator("#forbidden")).to_be_visible()
    expect(page.locator("#forbidden-heading")).to_have_text("Not authorised")
    expect(page.locator("#forbidden-user")).to_have_text("lan@example.com")
    expect(page.locator("#dashboard")).to_be_hidden()
    assert statuses and set(statuses) == {403}
    assert page.locator("#sessions-body tr").count() == 0
    assert page.locator("#close-codes li").count() == 0
    assert page.locator("#stat-total").inner_text() == "—"
    html = page.content()
    assert "minh@example.com" not in html and "hoa@example.com" not in html
    page.screenshot(path=str(SCREENSHOTS / "admin-not-authorised.png"))


# ---------------------------------------------------------------------------- deployed sign-in
def test_cognito_hosted_ui_sign_in_uses_pkce(page, runner):
    """The deployed mode, with Cognito's hosted UI and token endpoint answered in the
    browser (page.route): authorization code + PKCE, the ID token as bearer, sign-out."""
    import hashlib

    host = "auth.speakpho.test"
    # The shape infra/stack.py writes (domain as the hosted UI's base URL).
    config = {"apiBase": "", "auth": {"mode": "cognito", "region": "us-east-1", "userPoolId": "us-east-1_Test",
                                      "clientId": "web-client-id", "domain": f"https://{host}",
                                      "redirectUri": f"{runner.base}/", "scopes": ["openid", "email", "profile"]}}
    id_token = Http(runner.base).post("/local/token", {"sub": "mai"}).data["token"]
    seen = {}

    def cognito(route):
        url = route.request.url
        if "/oauth2/authorize?" in url:
            seen["authorize"] = dict(parse_qsl(urlsplit(url).query))
            route.fulfill(status=302, headers={
                "Location": f"{runner.base}/?code=the-code&state={seen['authorize']['state']}"})
        elif url.endswith("/oauth2/token"):
            seen["token"] = dict(parse_qsl(route.request.post_data))
            route.fulfill(status=200, headers={"Access-Control-Allow-Origin": "*"},
                          json={"id_token": id_token, "access_token": "unused", "token_type": "Bearer",
                                "expires_in": 3600})
        elif "/logout?" in url:
            seen["logout"] = dict(parse_qsl(urlsplit(url).query))
            route.fulfill(status=302, headers={"Location": f"{runner.base}/"})
        else:
            route.abort()

    page.route(f"{runner.base}/config.json", lambda route: route.fulfill(json=config))
    page.route(f"https://{host}/**", cognito)
    page.goto(runner.base + "/learning")
    expect(page.locator("#signin-user")).to_have_count(0)   # no dev form in deployed mode
    page.click("#signin button")
    expect(page.locator("#account-name")).to_have_text("mai@example.com")
    assert urlsplit(page.url).path == "/learning" and "code=" not in page.url
    expect(page.locator("#history-status")).to_contain_text("You have no sessions yet.")

    authorize, token = seen["authorize"], seen["token"]
    assert {k: authorize[k] for k in ("response_type", "client_id", "redirect_uri", "code_challenge_method")} == {
        "response_type": "code", "client_id": "web-client-id", "redirect_uri": runner.base + "/",
        "code_challenge_method": "S256"}
    assert authorize["scope"] == "openid email profile"
    assert {k: token[k] for k in ("grant_type", "client_id", "code", "redirect_uri")} == {
        "grant_type": "authorization_code", "client_id": "web-client-id", "code": "the-code",
        "redirect_uri": runner.base + "/"}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(token["code_verifier"].encode()).digest()).decode().rstrip("=")
    assert challenge == authorize["code_challenge"] and len(token["code_verifier"]) >= 43
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") == id_token

    page.click("#signout")
    expect(page.locator("#signin-status")).to_have_text("You have signed out.")
    assert seen["logout"] == {"client_id": "web-client-id", "logout_uri": runner.base + "/"}
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") is None

    # A callback whose state this tab did not issue is refused.
    page.goto(runner.base + "/?code=stolen&state=forged")
    expect(page.locator("#signin-status")).to_contain_text("does not match this browser tab")
    assert page.evaluate("sessionStorage.getItem('speakpho.token')") is None

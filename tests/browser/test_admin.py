"""The Session Health Monitor in headless Chromium against the local runner: stat cards,
close codes, charts and table against the API's answers, each filter, cursor paging, the CSV
download, the detail view, and a learner's "Not authorised". The session story (timeline,
reliability, who ended it): test_admin_story.py."""
from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import urlencode

import pytest
from browser_env import SCREENSHOTS
from browser_seed import ADMIN, LEARNER, Http
from pagehelpers import (apply_filters, detail_facts, expect, expected_row, expected_stat_texts, form_query,
                         shown_row, sign_in, stat_texts)

pytestmark = pytest.mark.browser


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

    # Table: the seed's columns and who ended each session, in the API's order.
    headers = page.locator("#sessions-table thead th").all_inner_texts()
    assert headers == ["User", "Time", "Charged", "Provider", "Disconnect", "Ended by", "Messages"]   # charged minutes, not wall time
    rows = page.locator("#sessions-body tr")
    for i, session in enumerate(listing["sessions"]):
        assert shown_row(rows.nth(i)) == expected_row(session, stats), session
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
    facts = detail_facts(page)
    assert facts["Topic"] == "The weather" and facts["Session id"] == switched["id"]
    assert facts["Provider"] == "Gemini → OpenAI (1 switch)"
    assert facts["Ended by"] == "Learner" and facts["Status"] == "Ended"
    expect(page.locator("#sessions-section")).to_be_hidden()
    assert page.evaluate("location.hash") == f"#session={switched['id']}"
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

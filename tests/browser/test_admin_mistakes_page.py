"""The Session Health Monitor's "Common mistakes" (issue 20 §4) in headless Chromium against the
local runner, fed by the corrections stream's pump from the seed's corrections: the chart of
corrections by category, the top pairs with their counts and "≈ N" learners, the section's
topic and difficulty filters and the page's days, the CSV download, and the phone layout."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest
from browser_env import SCREENSHOTS
from browser_seed import ADMIN, LEARNER, Http, seeded_corrections
from pagehelpers import apply_filters, expect, sign_in

pytestmark = pytest.mark.browser


def shown_pairs(page) -> list[dict]:
    return page.locator("#mistakes-body tr").evaluate_all("""rows => rows.map(r => ({
        original: r.querySelector('del').textContent, correction: r.querySelector('ins').textContent,
        count: r.querySelector('.count').textContent, learners: r.querySelector('.learners').textContent}))""")


def wait_shown(page, query: dict) -> None:
    expect(page.locator("#mistakes-section")).to_have_attribute("data-shown", urlencode(query))


def chart(page) -> dict:
    return page.evaluate("""() => { const c = Chart.getChart(document.getElementById('chart-mistakes'));
        return {type: c.config.type, labels: c.data.labels,
                sets: c.data.datasets.map(d => ({label: d.label, data: d.data}))}; }""")


def test_the_section_shows_the_seeds_mistakes_and_downloads_them(page, runner, seeded):
    admin = Http(runner.base).as_user(ADMIN, admin=True)
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    days = {"from": page.locator("#f-from"), "to": page.locator("#f-to")}
    expect(days["from"]).not_to_have_value("")
    query = {"from": days["from"].input_value(), "to": days["to"].input_value()}
    wait_shown(page, query)
    stats = admin.get("/api/admin/corrections/stats", **query).data
    assert sum(stats["byCategory"].values()) == seeded_corrections(seeded)

    # The top pairs as the API ranks them, the seed's most frequent first with its count.
    said = [c["original"] for s in seeded.learner_sessions for c in s["corrections"]]
    top = max(set(said), key=said.count)
    assert stats["topPairs"][0]["count"] == said.count(top) >= 2, stats["topPairs"]
    expect(page.locator("#mistakes-body tr")).to_have_count(len(stats["topPairs"]))
    assert shown_pairs(page) == [{"original": p["original"], "correction": p["correction"], "count": str(p["count"]),
                                  "learners": f"≈ {p['learners']}"} for p in stats["topPairs"]]
    assert shown_pairs(page)[0]["learners"] == "≈ 1"   # the seed's corrections are one learner's
    assert page.locator("#mistakes-table thead th").all_inner_texts() == \
        ["Said → correction", "Category", "Count", "Learners"]

    # The chart: corrections by category, the lapses as a second dataset.
    drawn = chart(page)
    assert drawn["type"] == "bar" and len(drawn["labels"]) == len(stats["byCategory"])
    assert drawn["sets"][0]["label"] == "Corrections"
    assert sum(drawn["sets"][0]["data"]) == sum(stats["byCategory"].values())
    assert drawn["sets"][1]["label"].startswith("Lapses")
    assert sum(drawn["sets"][1]["data"]) == sum(stats["lapsesByCategory"].values())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#mistakes-section").screenshot(path=str(SCREENSHOTS / "admin-mistakes.png"))

    # The CSV with the bearer token, as the API answers it.
    expected_csv = admin.call("GET", "/api/admin/corrections/export.csv?" + urlencode(query))
    assert expected_csv.status == 200 and expected_csv.body.startswith(b"kind,category,original,correction")
    with page.expect_download() as download_info:
        page.click("#mistakes-csv")
    download = download_info.value
    body = Path(download.path()).read_bytes()
    assert body == expected_csv.body and top.encode() in body
    assert download.suggested_filename == f"corrections-{query['from']}-{query['to']}.csv"
    expect(page.locator("#mistakes-export-status")).to_have_text(
        f"Downloaded {expected_csv.headers['X-Export-Rows']} rows to {download.suggested_filename}.")

    # The section's own filters: a difficulty the seed never used shows no mistakes.
    page.select_option("#m-difficulty", "advanced")
    wait_shown(page, {**query, "difficulty": "advanced"})
    expect(page.locator("#mistakes-empty")).to_be_visible()
    expect(page.locator("#mistakes-pairs")).to_be_hidden()
    expect(page.locator("#mistakes-chart")).to_be_hidden()
    page.select_option("#m-difficulty", "intermediate")
    wait_shown(page, {**query, "difficulty": "intermediate"})
    expect(page.locator("#mistakes-body tr")).to_have_count(len(stats["topPairs"]))
    page.select_option("#m-difficulty", "")

    # The page's days: one day before the seed has no corrections.
    apply_filters(page, **{"from": "2026-10-01", "to": "2026-10-01"})
    wait_shown(page, {"from": "2026-10-01", "to": "2026-10-01"})
    expect(page.locator("#mistakes-empty")).to_be_visible()
    expect(page.locator("#mistakes-body tr")).to_have_count(0)


def test_the_pairs_table_scrolls_sideways_at_phone_width(page, runner, seeded):
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    expect(page.locator("#mistakes-body tr").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375   # the page does not
    wrap = page.locator("#mistakes-pairs .table-wrap")
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")   # the table does...
    expect(page.locator("#mistakes-pairs .scroll-hint")).to_be_visible()   # ...and says so


def test_a_learner_gets_no_mistakes(page, runner, seeded):
    statuses = []
    page.on("response", lambda r: "/api/admin/corrections" in r.url and statuses.append(r.status))
    sign_in(page, runner, "/admin", LEARNER)
    expect(page.locator("#forbidden")).to_be_visible()
    expect(page.locator("#mistakes-section")).to_be_hidden()
    assert page.locator("#mistakes-body tr").count() == 0 and statuses == []   # never asked

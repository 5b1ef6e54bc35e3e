"""The learner's pages completed: the old page's localStorage corrections moved on the first
visit (and nothing on the second), the usage card, the Corrections tab (filters, paging,
counts by category), a capped due count, deleting one conversation, flagging a correction as
wrong, erasing everything. Each checked through the API afterwards."""
from __future__ import annotations

import json

import pytest
from browser_env import SCREENSHOTS
from browser_helpers import Requests, expect, sign_in
from browser_seed import CORRECTIONS, Http, run_session
from pagehelpers import js_duration, js_minutes

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("clean_local_storage")]

IMPORT = "/api/learning/corrections/import"
CATEGORIES = ["grammar", "tone", "vocabulary", "word_order", "pronunciation"]


def seed_sessions(learner: Http, sizes: list[int]) -> list[dict]:
    """Ended sessions with `size` corrections each (cycling through the seed's five, numbered past the
    first round: a session stores the same correction once), oldest first."""
    return [run_session(learner, topic=f"Chủ đề {i + 1}", mode="coach", provider="gemini", seconds=60, turns=4,
                        corrections=[_nth_correction(k) for k in range(size)])
            for i, size in enumerate(sizes)]


def _nth_correction(k: int) -> dict:
    seed = CORRECTIONS[k % len(CORRECTIONS)]
    rounds = k // len(CORRECTIONS)
    return {**seed, "correction": f"{seed['correction']} ({rounds + 1})"} if rounds else seed


def shown_ids(page) -> list[str]:
    return page.locator("#all-corrections > li").evaluate_all("items => items.map((i) => i.dataset.correctionId)")


def test_old_page_corrections_move_to_the_account_on_the_first_visit_only(page, runner, fresh_month):
    user = "tam"
    learner = Http(runner.base).as_user(user)
    page.goto(runner.base + "/config.json")
    stored = [{"original": f"câu {i}", "correction": f"Câu {i}.", "explanation": "Capital and full stop",
               "category": CATEGORIES[i % 5], "createdAt": 1_790_000_000_000 + i} for i in range(250)]
    stored.append({"original": "", "correction": "nothing to correct"})   # the API could never take it
    page.evaluate("list => localStorage.setItem('speakpho.corrections', JSON.stringify(list))", stored)
    imports = Requests(page, IMPORT)

    sign_in(page, runner, "/practice", user)   # the first visit, to any learner page
    expect(page.locator("#visit-status")).to_have_text("250 corrections from the old practice page were added to your account.")
    assert [len(body["corrections"]) for body in imports.sent[IMPORT]] == [200, 50]
    assert imports.statuses[IMPORT] == [200, 200]
    assert imports.sent[IMPORT][0]["corrections"][3] == {k: stored[3][k] for k in ("original", "correction", "explanation",
                                                                                   "category", "createdAt")}
    assert json.loads(page.evaluate("localStorage.getItem('speakpho.corrections')")) == [stored[-1]]
    stats = learner.get("/api/learning/corrections", limit=1).data["stats"]
    assert stats["total"] == 250 and stats["byCategory"] == {c: 50 for c in CATEGORIES}

    page.goto(runner.base + "/learning#corrections")   # the second visit: nothing more is sent
    expect(page.locator("#all-corrections > li")).to_have_count(20)
    expect(page.locator("#visit-status")).to_be_hidden()
    assert len(imports.sent[IMPORT]) == 2
    assert learner.get("/api/learning/corrections", limit=1).data["stats"]["total"] == 250


def test_usage_card_and_corrections_tab_filters_pages_and_counts(page, runner, fresh_month):
    user = "nhung"
    learner = Http(runner.base).as_user(user)
    seed_sessions(learner, [10, 10, 5])
    sign_in(page, runner, "/learning#corrections", user)
    usage = learner.get("/api/usage").data
    expect(page.locator("#usage-used")).to_have_text(js_minutes(usage["minutesUsed"]))   # the one minutes format
    expect(page.locator("#usage-remaining")).to_have_text(js_minutes(usage["minutesRemaining"]))
    expect(page.locator("#usage-limit")).to_have_text(js_duration(usage["secondsLimit"]))
    # The lifetime bounds (docs/learning.md): the retention and the corrections held of the cap.
    expect(page.locator("#bounds-retention")).to_have_text("Transcripts are kept for 365 days.")
    expect(page.locator("#bounds-corrections")).to_have_text("25 of 10,000 corrections")

    first = learner.get("/api/learning/corrections", limit=20).data
    expect(page.locator("#all-corrections > li")).to_have_count(20)
    assert shown_ids(page) == [c["id"] for c in first["corrections"]]
    rest = learner.get("/api/learning/corrections", limit=20, cursor=first["nextCursor"]).data
    page.click("#corrections-more")
    expect(page.locator("#all-corrections > li")).to_have_count(25)
    assert shown_ids(page)[20:] == [c["id"] for c in rest["corrections"]]
    expect(page.locator("#corrections-more")).to_be_hidden()

    # The counts by category: the chart's data and the list are the API's stats.
    by_category = first["stats"]["byCategory"]
    chart = page.evaluate("Chart.getChart(document.getElementById('chart-categories')).data")
    assert chart["labels"] == ["Grammar", "Tone", "Vocabulary", "Word order", "Pronunciation"]
    assert chart["datasets"][0]["data"] == [by_category[c] for c in CATEGORIES]
    assert page.locator("#category-counts .count").all_inner_texts() == [str(by_category[c]) for c in CATEGORIES]
    expect(page.locator("#corrections-totals")).to_have_text("25 corrections · 0 reviewed")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "learning-corrections.png"), full_page=True)

    page.select_option("#filter-category", "tone")
    tone = learner.get("/api/learning/corrections", category="tone", limit=20).data["corrections"]
    expect(page.locator("#all-corrections > li")).to_have_count(len(tone))
    assert shown_ids(page) == [c["id"] for c in tone]
    page.select_option("#filter-reviewed", "true")
    expect(page.locator("#corrections-status")).to_have_text("No corrections match these filters.")
    expect(page.locator("#all-corrections > li")).to_have_count(0)


def test_a_capped_due_count_shows_99_plus(page, runner, fresh_month):
    capped = json.dumps({"success": True, "data": {"corrections": [], "dueCount": 99, "dueCountCapped": True}})
    page.route("**/api/learning/review?*", lambda route: route.fulfill(status=200, content_type="application/json", body=capped))
    sign_in(page, runner, "/learning#review", "quynh")
    expect(page.locator("#due-badge")).to_have_text("99+")
    expect(page.locator("#review-due")).to_have_text("99+ corrections due for review")


def test_deleting_one_conversation(page, runner, fresh_month):
    """Needs DELETE /api/learning/session/{id} (the backend's work in progress)."""
    user = "phuong"
    http = Http(runner.base)
    learner = http.as_user(user)
    older, newer = seed_sessions(learner, [2, 1])
    sign_in(page, runner, "/learning", user)
    expect(page.locator("#session-list .session-item")).to_have_count(2)
    page.locator("#session-list .session-item", has_text=older["topic"]).click()
    expect(page.locator("#detail-heading")).to_have_text(older["topic"])

    page.click("#delete-session")
    expect(page.locator("#confirm-dialog")).to_be_visible()
    expect(page.locator("#confirm-message")).to_contain_text(older["topic"])
    page.click("#confirm-no")   # cancelled: nothing is deleted
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    assert learner.get(f"/api/learning/session/{older['id']}").status == 200

    deletes = Requests(page, f"/api/learning/session/{older['id']}")
    page.click("#delete-session")
    page.click("#confirm-yes")
    expect(page.locator("#detail-status")).to_have_text(
        f"Deleted “{older['topic']}”: {len(older['messages'])} messages and 2 corrections.")
    assert deletes.statuses[f"/api/learning/session/{older['id']}"] == [200]
    assert learner.get(f"/api/learning/session/{older['id']}").status == 404
    history = learner.get("/api/learning/history").data["sessions"]
    expect(page.locator("#session-list .session-item")).to_have_count(len(history))
    assert older["id"] not in page.locator("#session-list .session-item").evaluate_all("b => b.map((x) => x.dataset.sessionId)")
    corrections = learner.get("/api/learning/corrections").data
    assert corrections["stats"]["total"] == 1 and {c["sessionId"] for c in corrections["corrections"]} == {newer["id"]}

    # The contract: a repeat answers zeros, someone else's is not found.
    again = learner.call("DELETE", f"/api/learning/session/{older['id']}")
    assert again.status == 200 and again.data == {"sessionId": older["id"], "messagesDeleted": 0, "correctionsDeleted": 0}
    assert http.as_user("intruder").call("DELETE", f"/api/learning/session/{newer['id']}").status == 404

    # A session still in progress cannot be deleted: the page says why.
    live = learner.post("/api/session/start", {"topic": "Đang nói", "mode": "coach"}).data
    page.reload()
    page.locator("#session-list .session-item", has_text="Đang nói").click()
    page.click("#delete-session")
    page.click("#confirm-yes")
    expect(page.locator("#detail-status")).to_have_text(
        "This session is still in progress. End it on the practice page first, then delete it.")
    learner.post("/api/session/end", {"sessionId": live["sessionId"]})


def test_flagging_a_correction_as_wrong(page, runner, fresh_month):
    """Needs PATCH /api/learning/corrections/{id} {disputed} (the backend's work in progress)."""
    user = "son"
    learner = Http(runner.base).as_user(user)
    seed_sessions(learner, [3])
    sign_in(page, runner, "/learning#corrections", user)
    expect(page.locator("#all-corrections > li")).to_have_count(3)
    due = learner.get("/api/learning/review").data["dueCount"]
    target = page.locator("#all-corrections > li").nth(1)
    correction_id = target.get_attribute("data-correction-id")

    target.locator("button.flag").click()
    flagged = page.locator(f"#all-corrections > li[data-correction-id='{correction_id}']")
    expect(flagged).to_have_class("correction disputed")
    expect(flagged.locator(".disputed-mark")).to_have_text("Flagged as wrong: it is left out of your reviews.")
    expect(flagged.locator("button.flag")).to_have_text("Unflag")
    expect(page.locator("#all-corrections > li")).to_have_count(3)   # still listed
    stored = next(c for c in learner.get("/api/learning/corrections").data["corrections"] if c["id"] == correction_id)
    assert stored["disputed"] is True
    review = learner.get("/api/learning/review").data
    assert review["dueCount"] == due - 1 and correction_id not in [c["id"] for c in review["corrections"]]
    expect(page.locator("#due-badge")).to_have_text(str(due - 1))

    flagged.locator("button.flag").click()
    expect(page.locator(f"#all-corrections > li[data-correction-id='{correction_id}'] button.flag")).to_have_text("Flag as wrong")
    stored = next(c for c in learner.get("/api/learning/corrections").data["corrections"] if c["id"] == correction_id)
    assert stored["disputed"] is False
    assert learner.get("/api/learning/review").data["dueCount"] == due


def test_erasing_all_learning_data(page, runner, fresh_month):
    user = "hai"
    learner = Http(runner.base).as_user(user)
    seed_sessions(learner, [2, 1])
    sign_in(page, runner, "/learning", user)
    expect(page.locator("#session-list .session-item")).to_have_count(2)
    page.click("#erase-all")
    expect(page.locator("#confirm-heading")).to_have_text("Erase all your learning data?")
    page.click("#confirm-yes")
    expect(page.locator("#erase-status")).to_have_text("Erased 2 conversations, 8 messages and 3 corrections.")
    expect(page.locator("#history-status")).to_contain_text("You have no sessions yet.")
    assert learner.get("/api/learning/history").data["pagination"]["total"] == 0
    assert learner.get("/api/learning/corrections").data["stats"]["total"] == 0
    expect(page.locator("#due-badge")).to_have_text("0")

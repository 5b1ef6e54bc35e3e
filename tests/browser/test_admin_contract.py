"""The admin page against answers of the contract's shape, whatever the API gives today: the
real answers are fetched and then changed in the browser (page.route), so these tests pin
how the page draws each field — a live session's strip running to now, a timed-out one ending
at its last heartbeat, the reliability and ended-by cards, the failures chart — and that a
field the API leaves out hides its card or the strip instead of breaking the page."""
from __future__ import annotations

import re

import pytest
from browser_seed import ADMIN
from pagehelpers import detail_facts, expect, sign_in

pytestmark = pytest.mark.browser

LIST = re.compile(r"/api/admin/sessions\?")
SERIES = re.compile(r"/api/admin/sessions/timeseries(\?|$)")
STORY_FIELDS = ("byInitialProvider", "providerReliability", "switchCauses", "endedByBreakdown", "creditedSeconds",
                "closeCodes")


def change_answer(page, pattern, change) -> None:
    """The API's real answer with `change(data)` applied (the envelope kept)."""
    def handler(route):
        response = route.fetch()
        payload = response.json()
        change(payload["data"])
        route.fulfill(response=response, json=payload)
    page.route(pattern, handler)


def detail_url(session_id: str) -> str:
    return f"**/api/admin/sessions/{session_id}"


def with_stats(data: dict) -> None:
    data["stats"].update({
        "byInitialProvider": {"gemini": {"sessions": 15, "switchedAway": 2, "failedSessions": 3},
                              "openai": {"sessions": 4, "switchedAway": 0, "failedSessions": 0}},
        "providerReliability": {
            "gemini": {"connections": 20, "failures": 3, "failuresByCode": {"1011": 2, "other": 1},
                       "failureRate": 0.15},
            "openai": {"connections": 6, "failures": 0, "failuresByCode": {}, "failureRate": 0}},
        "providerLatency": {
            "gemini": {"turns": 40, "p50Ms": 700, "p95Ms": None,
                       "firstAudio": {"sessions": 15, "p50Ms": 1000, "p95Ms": 2000}},
            "openai": {"turns": 0, "p50Ms": None, "p95Ms": None,
                       "firstAudio": {"sessions": 0, "p50Ms": None, "p95Ms": None}}},
        "switchCauses": {"1011": 2, "none": 1},
        "endedByBreakdown": {"learner": 15, "network": 2, "client_vanished": 1},
        "creditedSeconds": 95,
        "closeCodes": {"1011": {"label": "Server error", "cause": "API error on provider side", "side": "provider"},
                       "other": {"label": "Other code", "cause": "", "side": "unknown"}},
    })
    for row in data["sessions"]:
        if row["providerSwitched"]:
            row.update(switchCause="1011", reconnects=2)


def without_story_fields(data: dict) -> None:
    for name in STORY_FIELDS:
        data["stats"].pop(name, None)
    for row in data["sessions"]:
        for name in ("switchCause", "reconnects", "endedBy", "creditedSeconds"):
            row.pop(name, None)


def test_the_story_cards_draw_the_contract(page, runner, seeded):
    change_answer(page, LIST, with_stats)
    change_answer(page, SERIES, lambda data: [day.update(failuresByProvider={"gemini": 1 + i % 2, "openai": 0})
                                              for i, day in enumerate(data["series"])])
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    expect(page.locator("#reliability-card")).to_be_visible()
    gemini = page.locator("#reliability-body tr[data-provider='gemini'] td").all_inner_texts()
    assert gemini == ["15.0%", "≤ 700 ms / > 5000 ms (40 turns)", "3 / 20", "1011 Server error ×2, Other code ×1"]
    openai = page.locator("#reliability-body tr[data-provider='openai'] td").all_inner_texts()
    assert openai == ["0.0%", "no turns", "0 / 6", "none"]
    expect(page.locator("#initial-providers")).to_have_text(
        "Sessions by the provider they started on: Gemini 15 (2 switched away, 3 with a failure); "
        "OpenAI 4 (0 switched away, 0 with a failure).")
    expect(page.locator("#switch-causes")).to_have_text("Switch causes: 1011 Server error ×2, no code ×1.")
    labels = page.locator("#ended-by .code-label").all_inner_texts()
    assert labels == ["Learner", "Network", "Timed out (no heartbeat)"]
    expect(page.locator("#ended-by li[data-ended-by='network'] .count")).to_have_text("2")
    expect(page.locator("#credited-note")).to_contain_text("1 min 35 s of learners' time credited")
    story = page.locator(f"#sessions-body tr[data-session-id='{seeded.story['id']}'] td").nth(3)
    expect(story).to_have_text("OpenAI switched · 1011 Server error · 2 reconnects")
    expect(page.locator("#chart-failures-card")).to_be_visible()
    sets = page.evaluate("""() => Chart.getChart(document.getElementById('chart-failures')).data.datasets
        .map(d => [d.label, d.data.reduce((a, b) => a + b, 0)])""")
    days = len(page.evaluate("Chart.getChart(document.getElementById('chart-failures')).data.labels"))
    assert sets[0] == ["Gemini failures", sum(1 + i % 2 for i in range(days))] and sets[1] == ["OpenAI failures", 0]
    assert sets[2][0] == "Switches"


def test_fields_the_api_leaves_out_hide_their_cards_and_the_strip(page, runner, seeded):
    change_answer(page, LIST, without_story_fields)
    change_answer(page, SERIES, lambda data: [day.pop("failuresByProvider", None) for day in data["series"]])
    change_answer(page, detail_url(seeded.story["id"]), lambda data: data.pop("timeline", None))
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    expect(page.locator("#sessions-body tr")).to_have_count(seeded.total_sessions)
    for card in ("#reliability-card", "#ended-by-card", "#chart-failures-card"):
        expect(page.locator(card)).to_be_hidden()
    story = page.locator(f"#sessions-body tr[data-session-id='{seeded.story['id']}'] td")
    expect(story.nth(3)).to_have_text("OpenAI switched")
    expect(story.nth(5)).to_have_text("—")
    # A timed-out session still says so from its endReason alone, never "Clean".
    expect(page.locator(f"#sessions-body tr[data-session-id='{seeded.swept_id}'] td").nth(4)).to_have_text(
        "No end (timed out)")
    story.nth(0).locator("button").click()
    expect(page.locator("#admin-detail-body")).to_be_visible()
    expect(page.locator("#timeline-section")).to_be_hidden()


def test_a_live_session_runs_to_now_and_a_timed_out_one_stops_at_its_last_heartbeat(page, runner, seeded):
    live_start = {}

    def live_timeline(data):
        start = live_start["at"] = data["session"]["startedAt"]
        data["timeline"] = [
            {"at": start, "type": "started", "source": "server", "provider": "gemini"},
            {"at": start + 1000, "type": "provider_connected", "source": "client", "provider": "gemini",
             "connectMs": 820, "receivedAt": start + 1100}]

    def swept_timeline(data):
        session = data["session"]
        start, last = session["startedAt"], session["endedAt"]
        data["timeline"] = [
            {"at": start, "type": "started", "source": "server", "provider": "openai"},
            {"at": start + 2000, "type": "provider_connected", "source": "client", "provider": "openai",
             "connectMs": 650, "receivedAt": start + 2100},
            {"at": last + 200_000, "type": "timed_out", "source": "server", "endReason": "timeout",
             "endedBy": "client_vanished"}]

    change_answer(page, detail_url(seeded.live_id), live_timeline)
    change_answer(page, detail_url(seeded.swept_id), swept_timeline)
    now = (seeded.now_ms // 1000 + 240) * 1000
    page.clock.set_fixed_time(now // 1000)         # the browser's now: about 4 minutes after the seed
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    page.locator(f"#sessions-body tr[data-session-id='{seeded.live_id}'] button").click()
    segment = page.locator("#timeline-strip .tl-seg")
    expect(segment).to_have_count(1)
    expect(segment).to_have_class(re.compile(r"\btl-open\b"))
    assert segment.get_attribute("data-provider") == "gemini"
    assert int(segment.get_attribute("data-from")) == live_start["at"] and int(segment.get_attribute("data-to")) == now
    expect(page.locator("#timeline-strip .tl-now")).to_have_count(1)
    assert page.locator("#timeline-strip svg.tl-picture").get_attribute("aria-label").endswith("; still live.")
    facts = detail_facts(page)
    assert facts["Status"] == "Live" and facts["Ended"] == "Not yet (live)"
    page.locator(".tl-marker[data-type='provider_connected']").focus()
    expect(page.locator("#timeline-tip")).to_contain_text("820 ms")

    page.click("#detail-back")
    page.locator(f"#sessions-body tr[data-session-id='{seeded.swept_id}'] button").click()
    expect(page.locator("#admin-detail-heading")).to_have_text("Session of duc@example.com")
    segment = page.locator("#timeline-strip .tl-seg")
    expect(segment).to_have_count(1)
    ended_at = int(page.locator("#timeline-strip .tl-marker[data-type='timed_out']").get_attribute("data-at")) - 200_000
    assert int(segment.get_attribute("data-to")) == ended_at      # the last heartbeat, not the sweep
    end = page.locator(".tl-marker[data-type='timed_out']")
    expect(end).to_have_attribute("data-ended-by", "client_vanished")
    end.hover()
    expect(page.locator("#timeline-tip")).to_contain_text("Timed out (no heartbeat)")
    expect(page.locator("#timeline-list li")).to_have_count(3)


def test_the_detail_shows_the_sessions_own_reply_latency(page, runner, seeded):
    def with_latency(data):
        data["session"]["latency"] = {"openai": {"turns": 1, "p50Ms": 640, "p95Ms": 640},
                                      "gemini": {"turns": 12, "p50Ms": 420, "p95Ms": 1310, "firstAudioMs": 900}}

    change_answer(page, detail_url(seeded.swept_id), with_latency)
    sign_in(page, runner, "/admin", ADMIN, admin=True)
    page.locator(f"#sessions-body tr[data-session-id='{seeded.swept_id}'] button").click()
    expect(page.locator("#admin-detail-heading")).to_have_text("Session of duc@example.com")
    assert detail_facts(page)["Reply latency"] == (
        "Gemini: p50 420 ms, p95 1310 ms over 12 turns; first audio 900 ms after connecting · "
        "OpenAI: p50 640 ms, p95 640 ms over 1 turn")
    page.click("#detail-back")
    page.locator(f"#sessions-body tr[data-session-id='{seeded.live_id}'] button").click()
    expect(page.locator("#detail-facts dd").nth(2)).to_have_text(seeded.live_id)     # its Session id
    assert detail_facts(page)["Reply latency"] == "—"       # its end reported none (the API gives null)

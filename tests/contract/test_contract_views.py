"""The contract's `data` schemas against the views they are derived from (speakpho/views.py and
the domain's answers): every view validates, and every field a view has is documented, so a
field added to a view fails here until local/contract.py describes it."""
from __future__ import annotations

from datetime import date

import jsonschema
import pytest

from speakpho import story
from speakpho.corrections import new_correction_item
from speakpho.metering.end import end_answer
from speakpho.metering.start import new_session
from speakpho.metering.usage import UserRef
from speakpho.models import StartSessionRequest
from speakpho.views import correction_stats_view, correction_view, message_view, session_view, usage_view

from admin.health import detail
from admin.health.cells import cell_from_session
from admin.health.filters import HealthFilter
from admin.health.listing import admin_session_row
from admin.health.stats import series_view, stats_view
from learning import history
from local.openapi import merged_schema

T0 = 1_794_312_000_000   # 2026-11-10T12:00:00Z


@pytest.fixture(scope="module")
def components() -> dict:
    return merged_schema()["components"]


def conforms(view: dict, name: str, components: dict) -> None:
    """`view` validates against component `name`, and has no field the component does not name."""
    schema = components["schemas"][name]
    jsonschema.Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": components}).validate(view)
    undocumented = set(view) - set(schema.get("properties", {}))
    assert not undocumented, f"{name}: document {sorted(undocumented)} in local/contract.py"


def sessions() -> list[dict]:
    active = new_session(UserRef("u1", "u1@example.com"), StartSessionRequest(), now=T0, period="2026-11", seq=1,
                         remaining=1800, used=60, limit=1800)
    ended = {**active, "status": "ended", "endedAt": T0 + 95_000, "endReason": "error", "endedBy": "provider",
             "secondsUsed": 80, "creditedSeconds": 15, "disconnectCode": 1011, "disconnectReason": "boom",
             "conversationId": "c-1", "messageCount": 2, "correctionCount": 1, "switchCount": 1,
             "provider": "openai", "providerSwitchedAt": T0 + 30_000,
             "endResult": {"totalSecondsUsed": 140, "secondsLimit": 1800},
             # speakpho.metering.end.content_fields: as the end reported it (one provider's turns all
             # above 5000 ms: its percentiles from the cells are null).
             "latency": {"gemini": {"turns": 2, "p50Ms": 300, "p95Ms": 900, "firstAudioMs": 800,
                                    "histogram": [0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]},
                         "openai": {"turns": 1, "p50Ms": 6000, "p95Ms": 6000,
                                    "histogram": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]}}}
    ended["story"] = [*active["story"], *every_kind_of_entry()]
    return [active, ended]


def every_kind_of_entry() -> list[dict]:
    """One timeline entry of each type, as the writers store them."""
    def client(kind: str, at: int, **fields) -> dict:
        event = {"type": kind, "eventId": f"e-{kind}", "at": at, "provider": "gemini", **fields}
        return story.client_entry(event, received_at=at + 5, span_start=T0, span_end=T0 + 95_000)
    return [client("provider_connected", T0 + 1_000, connectMs=420),
            client("provider_disconnected", T0 + 20_000, code=1011, reason="Internal error"),
            client("reconnect_attempt", T0 + 21_000),
            story.heartbeat_gap(T0 + 22_000, T0 + 90_000, 30),
            story.server_entry("provider_switched", T0 + 30_000, code=1011, reason="Internal error",
                               **{"from": "gemini", "to": "openai"}),
            story.server_entry("ended", T0 + 95_000, endReason="error", endedBy="provider", code=1011),
            story.server_entry("timed_out", T0 + 95_000, endReason="timeout", endedBy="client_vanished"),
            story.server_entry("superseded", T0 + 95_000, endReason="stale", endedBy="superseded"),
            story.server_entry("access_granted", T0 + 1_000, provider="gemini", expiresAt=T0 + 601_000),
            story.server_entry("call_connected", T0 + 31_000, callId="rtc_1"),
            story.server_entry("call_hung_up", T0 + 95_000, callId="rtc_1", why="end")]


@pytest.mark.parametrize("which", [0, 1])
def test_session_views(components, which):
    item = sessions()[which]
    conforms(session_view(item), "Session", components)
    conforms(admin_session_row(item), "AdminSession", components)
    for figures in (admin_session_row(item)["latency"] or {}).values():
        conforms(figures, "SessionProviderLatency", components)
    conforms(history.history_entry(item), "HistoryEntry", components)


class OneSession:
    """The store both session details read: one session, its transcript and corrections."""

    def __init__(self, session: dict):
        self.session = {**session, "historyUser": session["userId"]}

    def get_session(self, session_id):
        return self.session

    def session_messages(self, session_id):
        return [{"role": "user", "text": "Xin chào", "timestamp": T0, "seq": 0}]

    def session_corrections(self, session_id):
        return [new_correction_item(user_id="u1", correction_id="c1", session_id=session_id, index=0, original="a",
                                    correction="b", explanation="c", category="grammar", created_at=T0)]


def test_session_details(components):
    store = OneSession(sessions()[1])
    admin_detail = detail.session_detail(store, "s")
    conforms(admin_detail, "AdminSessionDetail", components)
    assert {e["type"] for e in admin_detail["timeline"]} == set(story.CLIENT_TYPES + story.SERVER_TYPES)
    for entry in admin_detail["timeline"]:
        conforms(entry, "TimelineEntry", components)
    conforms(history.session_detail(store, "u1", "s"), "SessionDetail", components)


def test_end_answer(components):
    conforms(end_answer(sessions()[1]), "EndedSession", components)
    capped = end_answer({**sessions()[1], "correctionsDropped": 2})   # the learner's cap reached
    assert capped["correctionsDropped"] == {"count": 2, "reason": "corrections_limit"}
    conforms(capped, "EndedSession", components)


def test_usage_message_and_corrections(components):
    conforms(usage_view(plan="free", period="2026-11", seconds_limit=1800, seconds_used=1900,
                        active_session_id=None, credited_seconds=120, credit_budget_seconds=180), "Usage", components)
    conforms(message_view({"role": "coach", "text": "Chào em", "timestamp": T0, "seq": 3}), "Message", components)
    fresh = new_correction_item(user_id="u1", correction_id="c1", session_id=None, index=None, original="a",
                                correction="b", explanation=None, category=None, created_at=T0)
    reviewed = {**fresh, "sessionId": "s1", "category": "tone", "explanation": "why", "reviewed": True,
                "confidenceLevel": 4, "reviewedAt": T0, "nextReviewAt": T0 + 86_400_000}
    for item in (fresh, reviewed):
        conforms(correction_view(item), "Correction", components)
    conforms(correction_stats_view({"total": 3, "reviewed": 1, "cat_tone": 2}), "CorrectionStats", components)
    conforms(correction_stats_view(None), "CorrectionStats", components)


def test_health_stats_and_series(components):
    cells = [cell_from_session(s) for s in sessions()]
    conforms(stats_view(cells), "HealthStats", components)
    latency = stats_view(cells)["providerLatency"]
    assert latency["gemini"]["p95Ms"] == 1000 and latency["openai"]["p95Ms"] is None
    for figures in latency.values():
        conforms(figures, "ProviderLatencyStats", components)
        conforms(figures["firstAudio"], "FirstAudioStats", components)
    conforms(stats_view([]), "HealthStats", components)
    flt = HealthFilter(day_from=date(2026, 11, 9), day_to=date(2026, 11, 10))
    for day in series_view(cells, flt):
        conforms(day, "DayHealth", components)

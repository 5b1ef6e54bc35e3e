"""The latency the learners felt: an end's latency summary is stored once, its histograms reach
the day cells once through the stream, and the admin stats read p50/p95 per provider from the
summed histograms (at no read more); the session detail shows the session's own figures."""
from __future__ import annotations

import csv
import io

import pytest

from admin_helpers import user
from apitest import count_requests, data, end_session, error, start_session, stored_session

from admin.health.cells import cell_from_item
from admin.health.latency import latency_counters, provider_latency, session_latency
from speakpho.latency import histogram_of

EMPTY = {"turns": 0, "p50Ms": None, "p95Ms": None, "firstAudio": {"sessions": 0, "p50Ms": None, "p95Ms": None}}


def summary(samples: list[int], first_audio: int | None = None) -> dict:
    """What the browser sends for one provider (its own p50/p95 from the raw samples)."""
    ordered = sorted(samples)
    figures = {"turns": len(samples), "histogram": histogram_of(samples),
               "p50Ms": ordered[len(ordered) // 2] if ordered else 0,
               "p95Ms": ordered[-1] if ordered else 0}
    return figures if first_audio is None else {**figures, "firstAudioMs": first_audio}


def stats(admin, query: str = "") -> dict:
    return data(admin.get("/api/admin/sessions", query=query))["stats"]


# --------------------------------------------------------------------------- cells (pure)
@pytest.mark.parametrize("latency, counters", [
    (None, {}),
    ({}, {}),
    ({"gemini": summary([50, 80, 450])}, {"lat_gemini_0": 2, "lat_gemini_4": 1}),
    ({"gemini": summary([], first_audio=900)}, {"fa_gemini_6": 1}),
    ({"gemini": summary([250], first_audio=6000), "openai": summary([7000, 7000], first_audio=100)},
     {"lat_gemini_2": 1, "fa_gemini_11": 1, "lat_openai_11": 2, "fa_openai_0": 1}),
    ({"livekit": summary([120])}, {"lat_other_1": 1}),      # a stored key outside PROVIDERS is bounded
])
def test_what_a_sessions_latency_adds_to_its_cell(latency, counters):
    assert latency_counters({"latency": latency} if latency is not None else {}) == counters


def cell(**values):
    return cell_from_item({"pk": "month#2026-11", "sk": "2026-11-10#gemini#coach#clean#gemini#learner",
                           "sessions": 1, **values})


def test_stats_read_the_percentiles_of_the_summed_histograms():
    cells = [cell(lat_gemini_1=9, fa_gemini_4=1), cell(lat_gemini_9=1, fa_gemini_6=1, lat_openai_11=3)]
    view = provider_latency(cells)
    assert view["gemini"] == {"turns": 10, "p50Ms": 200, "p95Ms": 3000,
                              "firstAudio": {"sessions": 2, "p50Ms": 500, "p95Ms": 1000}}
    # Every turn above the last bound: no upper bound to give.
    assert view["openai"] == {**EMPTY, "turns": 3}
    assert provider_latency([]) == {"gemini": EMPTY, "openai": EMPTY}


def test_a_sessions_own_figures():
    stored = {"gemini": {**summary([100, 300], first_audio=700)}, "openai": summary([])}
    assert session_latency({"latency": stored}) == {
        "gemini": {"turns": 2, "p50Ms": 300, "p95Ms": 300, "firstAudioMs": 700},
        "openai": {"turns": 0, "p50Ms": 0, "p95Ms": 0}}
    assert session_latency({}) is None


# --------------------------------------------------------------------------- through the API
def test_an_end_stores_its_latency_once(api, clock):
    alice = user(api, "alice")
    sid = start_session(alice, {"provider": "gemini"})["sessionId"]
    clock.advance(60)
    sent = {"gemini": summary([300, 450, 900], first_audio=800)}
    end_session(alice, sid, latency=sent)
    assert stored_session(sid)["latency"] == sent
    end_session(alice, sid, latency={"gemini": summary([5000])})      # a repeat changes nothing
    assert stored_session(sid)["latency"] == sent


def test_an_end_without_latency_stores_none(api, clock):
    alice = user(api, "alice")
    sid = start_session(alice, {"provider": "openai"})["sessionId"]
    clock.advance(30)
    end_session(alice, sid, latency={})
    assert "latency" not in stored_session(sid)


@pytest.mark.parametrize("histogram, turns, message", [
    ([1, 1], 2, "at least 12 items"),
    ([0] * 12, 3, "add up to 0, not to turns (3)"),
])
def test_a_histogram_refused_is_422_naming_it(api, clock, histogram, turns, message):
    alice = user(api, "alice")
    sid = start_session(alice, {"provider": "gemini"})["sessionId"]
    refused = error(end_session(alice, sid, status=None, latency={
        "gemini": {"turns": turns, "p50Ms": 1, "p95Ms": 1, "histogram": histogram}}), 422)
    assert refused["code"] == "validation_error"
    assert [d["field"] for d in refused["details"]] == ["body.latency.gemini.histogram"], refused
    assert message in refused["details"][0]["message"]
    assert stored_session(sid)["status"] == "active"                 # nothing was ended


def test_stream_rollups_give_the_admin_p50_and_p95_per_provider(api, admin, clock, pump, dynamodb):
    alice, bob = user(api, "alice"), user(api, "bob")
    a = start_session(alice, {"provider": "gemini"})["sessionId"]
    clock.advance(60)
    end_session(alice, a, latency={"gemini": summary([150] * 9, first_audio=450)})
    b = start_session(bob, {"provider": "gemini"})["sessionId"]
    clock.advance(60)
    end_session(bob, b, provider="openai", latency={"gemini": summary([2500], first_audio=900),
                                                    "openai": summary([600, 800], first_audio=1200)})
    pump.drain()
    figures = stats(admin)["providerLatency"]
    assert figures["gemini"] == {"turns": 10, "p50Ms": 200, "p95Ms": 3000,
                                 "firstAudio": {"sessions": 2, "p50Ms": 500, "p95Ms": 1000}}
    assert figures["openai"] == {"turns": 2, "p50Ms": 700, "p95Ms": 1000,
                                 "firstAudio": {"sessions": 1, "p50Ms": 1500, "p95Ms": 1500}}
    assert stats(admin, "provider=gemini")["providerLatency"]["openai"] == EMPTY   # b ended on openai

    # The stream again from its start: every session's histograms still count once.
    from local.streams import StreamPump

    StreamPump(api.gateway, dynamodb).drain()
    assert stats(admin)["providerLatency"] == figures

    # The session's own figures, as its end reported them.
    detail = data(admin.get(f"/api/admin/sessions/{b}"))["session"]
    assert detail["latency"] == {"gemini": {"turns": 1, "p50Ms": 2500, "p95Ms": 2500, "firstAudioMs": 900},
                                 "openai": {"turns": 2, "p50Ms": 800, "p95Ms": 800, "firstAudioMs": 1200}}
    rows = {r["id"]: r for r in data(admin.get("/api/admin/sessions"))["sessions"]}
    assert rows[a]["latency"]["gemini"]["turns"] == 9

    # The CSV export: each provider's p50/p95 as the session's end reported them.
    exported = {r["id"]: r for r in csv.DictReader(io.StringIO(admin.get("/api/admin/sessions/export.csv").body))}
    assert [exported[b][c] for c in ("geminiP50Ms", "geminiP95Ms", "openaiP50Ms", "openaiP95Ms")] == \
        ["2500", "2500", "800", "800"]
    assert [exported[a][c] for c in ("geminiP50Ms", "openaiP50Ms")] == ["150", ""]


def test_latency_costs_the_stats_no_read_more(api, admin, clock, pump, dynamodb):
    alice = user(api, "alice")
    plain = start_session(alice, {"provider": "gemini"})["sessionId"]
    clock.advance(30)
    end_session(alice, plain)
    pump.drain()
    with count_requests(dynamodb) as before:
        stats(admin)
    timed = start_session(alice, {"provider": "gemini"})["sessionId"]
    clock.advance(30)
    end_session(alice, timed, latency={"gemini": summary(list(range(50, 6000, 50)), first_audio=700)})
    pump.drain()
    with count_requests(dynamodb) as after:
        latency = stats(admin)["providerLatency"]["gemini"]
    assert latency["turns"] == 119 and latency["p50Ms"] == 3000
    assert after.names() == before.names()

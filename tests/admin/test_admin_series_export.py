"""Admin session health over build_dataset's known sessions (admin_helpers: the table of
what each session is): the time series, the CSV export and one session's detail."""
from __future__ import annotations

import csv
import io
from datetime import date

from admin_helpers import FULL, NEWEST_FIRST
from apitest import data

# The dataset's sessions with a provider- or network-side disconnect (admin_helpers' table:
# ended by the network); s5's switches carry a 1011 but no drop, s6 ended at the limit.
HAD_DROP = {"s2", "s4", "s9"}
OPENAI = {"s2", "s4"}                          # their final provider


# --------------------------------------------------------------------------- time series
def test_time_series_has_every_day_with_zeros(dataset_admin, ids):
    body = data(dataset_admin.get("/api/admin/sessions/timeseries", query="from=2026-11-03&to=2026-11-10"))
    series = body["series"]
    assert [d["date"] for d in series] == [f"2026-11-{d:02d}" for d in range(3, 11)]
    by_day = {d["date"]: d for d in series}
    for empty in ("2026-11-03", "2026-11-04", "2026-11-06", "2026-11-08"):
        assert by_day[empty] == {"date": empty, "sessions": 0, "endedSessions": 0, "avgDuration": 0,
                                 "switches": 0, "switchedSessions": 0, "switchRate": 0, "disconnects": {},
                                 "failuresByProvider": {"gemini": 0, "openai": 0}}
    assert by_day["2026-11-05"] == {"date": "2026-11-05", "sessions": 2, "endedSessions": 2, "avgDuration": 2.5,
                                    "switches": 1, "switchedSessions": 1, "switchRate": 0.5,
                                    "disconnects": {"1006": 1}, "failuresByProvider": {"gemini": 0, "openai": 0}}
    # s5 switched twice: two switches, one switched session.
    assert (by_day["2026-11-07"]["switches"], by_day["2026-11-07"]["switchedSessions"]) == (2, 1)
    assert by_day["2026-11-07"]["disconnects"] == {"1000": 1, "1006": 1}
    assert by_day["2026-11-07"]["avgDuration"] == 4.0
    assert by_day["2026-11-09"]["avgDuration"] == 1.75          # (120 + 90) / 2 / 60
    assert by_day["2026-11-10"] == {"date": "2026-11-10", "sessions": 2, "endedSessions": 1, "avgDuration": 10.0,
                                    "switches": 0, "switchedSessions": 0, "switchRate": 0,
                                    "disconnects": {"1001": 1}, "failuresByProvider": {"gemini": 0, "openai": 0}}


def test_time_series_sums_to_the_stats_and_takes_filters(dataset_admin, ids):
    stats = data(dataset_admin.get("/api/admin/sessions", query=FULL))["stats"]
    series = data(dataset_admin.get("/api/admin/sessions/timeseries", query=FULL))["series"]
    assert len(series) == 11
    assert sum(d["sessions"] for d in series) == stats["totalSessions"]
    totals: dict[str, int] = {}
    for day in series:
        for code, count in day["disconnects"].items():
            totals[code] = totals.get(code, 0) + count
    assert totals == stats["disconnectBreakdown"]
    assert sum(d["switches"] for d in series) == stats["totalSwitches"]
    openai = data(dataset_admin.get("/api/admin/sessions/timeseries", query=f"{FULL}&provider=openai"))["series"]
    assert {d["date"]: d["sessions"] for d in openai if d["sessions"]} == {"2026-11-05": 1, "2026-11-07": 1}
    bob = data(dataset_admin.get("/api/admin/sessions/timeseries", query=f"{FULL}&userId=bob"))["series"]
    assert {d["date"]: (d["switches"], d["switchedSessions"]) for d in bob if d["sessions"]} == {
        "2026-11-05": (1, 1), "2026-11-07": (2, 1)}
    network = data(dataset_admin.get("/api/admin/sessions/timeseries", query=f"{FULL}&endedBy=network"))["series"]
    assert {d["date"]: d["sessions"] for d in network if d["sessions"]} == {
        "2026-11-05": 1, "2026-11-07": 1, "2026-11-10": 1}
    live = data(dataset_admin.get("/api/admin/sessions/timeseries", query=f"{FULL}&status=active"))["series"]
    assert {d["date"]: d["sessions"] for d in live if d["sessions"]} == {"2026-11-10": 1}


def test_time_series_default_range_and_bad_range(dataset_admin, ids):
    series = data(dataset_admin.get("/api/admin/sessions/timeseries"))["series"]
    assert [d["date"] for d in series][0] == "2026-11-04" and len(series) == 7
    bad = dataset_admin.get("/api/admin/sessions/timeseries", query="from=2026-11-10&to=2026-11-09")
    assert bad.status == 422


# --------------------------------------------------------------------------- CSV
def test_csv_export_has_a_header_and_one_row_per_session(dataset_admin, ids):
    response = dataset_admin.get("/api/admin/sessions/export.csv", query=FULL)
    assert response.status == 200, response.body
    headers = {k.lower(): v for k, v in response.headers.items()}
    assert headers["content-type"].startswith("text/csv")
    assert headers["content-disposition"] == 'attachment; filename="sessions_2026-10-31_2026-11-10.csv"'
    assert headers["x-export-truncated"] == "false" and headers["x-export-rows"] == "9"
    rows = list(csv.DictReader(io.StringIO(response.body)))
    assert [r["id"] for r in rows] == [ids[n] for n in NEWEST_FIRST]
    s2 = next(r for r in rows if r["id"] == ids["s2"])
    assert s2["userEmail"] == "bob@example.com"
    assert s2["startedAt"] == "2026-11-05T09:00:00.000Z" and s2["endedAt"] == "2026-11-05T09:04:00.000Z"
    assert (s2["provider"], s2["initialProvider"], s2["providerSwitched"]) == ("openai", "gemini", "true")
    assert (s2["disconnectCode"], s2["disconnectLabel"], s2["wallClockMinutes"]) == ("1006", "Abnormal closure", "4.0")
    assert (s2["endedBy"], s2["switchCause"], s2["reconnects"], s2["creditedSeconds"]) == ("network", "1011", "0", "0")
    s8 = next(r for r in rows if r["id"] == ids["s8"])
    assert s8["endedAt"] == "" and s8["wallClockMinutes"] == ""
    assert (s8["endedBy"], s8["switchCause"]) == ("", "")
    assert list(rows[0])[-9:] == ["endedBy", "switchCause", "reconnects", "creditedSeconds", "hadDrop",
                                  "geminiP50Ms", "geminiP95Ms", "openaiP50Ms", "openaiP95Ms"]
    assert [s2[c] for c in ("geminiP50Ms", "geminiP95Ms", "openaiP50Ms", "openaiP95Ms")] == ["", "", "", ""]


def test_csv_export_applies_filters_and_caps_rows(dataset_admin, ids):
    response = dataset_admin.get("/api/admin/sessions/export.csv", query=f"{FULL}&mode=free")
    rows = list(csv.DictReader(io.StringIO(response.body)))
    assert {r["id"] for r in rows} == {ids[n] for n in ("s2", "s6", "s7", "s8")}
    for query, expected in (("endedBy=learner", {"s1", "s3", "s5"}), ("status=active", {"s8"}),
                            ("initialProvider=openai", {"s4"}), ("hadDrop=true", HAD_DROP),
                            ("hadDrop=true&provider=openai", HAD_DROP & OPENAI)):
        rows = list(csv.DictReader(io.StringIO(dataset_admin.get("/api/admin/sessions/export.csv",
                                                         query=f"{FULL}&{query}").body)))
        assert {r["id"] for r in rows} == {ids[n] for n in expected}, query
        if "hadDrop" in query:
            assert {r["hadDrop"] for r in rows} == {"true"}

    from admin.health.export import export_sessions
    from admin.health.filters import HealthFilter
    from admin.health_store import health_store

    flt = HealthFilter(day_from=date(2026, 10, 31), day_to=date(2026, 11, 10))
    capped = export_sessions(health_store(), flt, max_rows=3, max_bytes=1_000_000)
    assert capped.truncated is True and capped.rows == 3
    assert len(list(csv.reader(io.StringIO(capped.body)))) == 4   # header + 3


# --------------------------------------------------------------------------- detail
def test_detail_returns_the_session_its_messages_and_corrections(dataset_admin, ids):
    body = data(dataset_admin.get(f"/api/admin/sessions/{ids['s3']}"))
    assert body["session"]["id"] == ids["s3"]
    assert (body["session"]["userId"], body["session"]["userEmail"]) == ("alice", "alice@example.com")
    assert [(m["role"], m["text"]) for m in body["messages"]] == [
        ("user", "Toi muon mua ca phe"), ("coach", "Tôi muốn mua cà phê.")]
    assert [(c["original"], c["correction"], c["category"]) for c in body["corrections"]] == [
        ("Toi", "Tôi", "tone")]
    other = data(dataset_admin.get(f"/api/admin/sessions/{ids['s2']}"))
    assert other["messages"] == [] and other["corrections"] == []
    assert other["session"]["switchCount"] == 1
    assert (other["session"]["endedBy"], other["session"]["creditedSeconds"]) == ("network", 0)
    start = other["session"]["startedAt"]
    assert other["timeline"] == [
        {"at": start, "type": "started", "source": "server", "provider": "gemini"},
        {"at": start, "type": "access_granted", "source": "server", "provider": "gemini",
         "expiresAt": start + 600_000},                                  # the start's Gemini token
        {"at": start + 100_000, "type": "provider_switched", "source": "server", "code": 1011,
         "label": "Server error", "from": "gemini", "to": "openai"},
        {"at": start + 240_000, "type": "ended", "source": "server", "code": 1006, "label": "Abnormal closure",
         "endReason": "disconnect", "endedBy": "network"}]
    swept = data(dataset_admin.get(f"/api/admin/sessions/{ids['s7']}"))
    # 90 s silent before her one heartbeat: under twice the 60 s interval, no heartbeat_gap
    assert [e["type"] for e in swept["timeline"]] == ["started", "access_granted", "timed_out"]
    assert swept["timeline"][-1]["endedBy"] == "client_vanished"

"""Admin session health over a known dataset created through the real API.

    id  start (UTC)        user   mode   provider (initial -> final)   seconds  close  endReason
    s1  2026-10-31 10:00   alice  coach  gemini                           120   1000   user_ended
    s2  2026-11-05 09:00   bob    free   gemini -> openai (1 switch)      240   1006   disconnect
    s3  2026-11-05 15:00   alice  coach  gemini                            60   -      user_ended
    s4  2026-11-07 08:00   carol  coach  openai                           300   1006   disconnect
    s5  2026-11-07 20:00   bob    coach  gemini -> openai -> gemini (2)   180   1000   user_ended
    s6  2026-11-09 10:00   dave   free   gemini (60 s allowance)          120   1011   limit_reached
    s7  2026-11-09 18:00   carol  free   gemini (swept, last beat +90s)    90   -      timeout
    s9  2026-11-10 10:00   erin   coach  gemini                           600   1001   disconnect
    s8  2026-11-10 11:00   alice  free   gemini                          active
Days 11-04, 11-06 and 11-08 have no sessions. The clock is at T0 = 2026-11-10 12:00.
"""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from admin_helpers import dataset_environment
from apitest import T0, count_requests, data

FULL = "from=2026-10-31&to=2026-11-10"
NEWEST_FIRST = ["s8", "s9", "s7", "s6", "s5", "s4", "s3", "s2", "s1"]
LABELS = {"1000": "Normal closure", "1001": "Going away", "1006": "Abnormal closure",
          "1011": "Server error", "1012": "Service restart", "1013": "Try again later"}


@pytest.fixture(scope="module")
def env():
    # Built once: these tests only read (the dataset takes seconds to create in moto).
    yield from dataset_environment()


@pytest.fixture
def ids(env):
    return env.ids


@pytest.fixture
def admin(env):
    from speakpho.clock import clock

    clock.set(T0)
    return env.api.as_user("root", admin=True, email="root@example.com")


def names(ids: dict, sessions: list[dict]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[s["id"]] for s in sessions]


def all_pages(admin, query: str, limit: int) -> tuple[list[dict], list[dict]]:
    """Every row over every page, and the stats each page carried."""
    rows, stats, cursor = [], [], None
    for _ in range(50):
        q = f"{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = data(admin.get("/api/admin/sessions", query=q))
        assert len(page["sessions"]) <= limit
        rows += page["sessions"]
        stats.append(page["stats"])
        cursor = page["nextCursor"]
        if not cursor:
            return rows, stats
    raise AssertionError("paging never ended")


# --------------------------------------------------------------------------- stats
def test_stats_over_the_full_range_are_exact(admin, ids):
    page = data(admin.get("/api/admin/sessions", query=FULL))
    assert names(ids, page["sessions"]) == NEWEST_FIRST
    assert page["nextCursor"] is None
    assert page["stats"] == {
        "totalSessions": 9,
        "endedSessions": 8,
        "avgDuration": 3.56,            # (120+240+60+300+180+120+90+600) s / 8 / 60
        "providerBreakdown": {"gemini": 7, "openai": 2},
        "disconnectBreakdown": {"1000": 2, "1001": 1, "1006": 2, "1011": 1},
        "providerSwitchRate": 0.2222,   # s2 and s5 of 9
        "totalSwitches": 3,
        "endReasonBreakdown": {"disconnect": 3, "limit_reached": 1, "timeout": 1, "user_ended": 3},
        "closeCodeLabels": LABELS,
    }


def test_default_range_is_the_last_seven_days_by_the_clock(admin, ids):
    page = data(admin.get("/api/admin/sessions"))
    assert (page["from"], page["to"]) == ("2026-11-04", "2026-11-10")
    assert names(ids, page["sessions"]) == NEWEST_FIRST[:-1]   # s1 (10-31) is older
    stats = page["stats"]
    assert stats["totalSessions"] == 8
    assert stats["avgDuration"] == 3.79                         # 1590 s / 7 ended / 60
    assert stats["providerBreakdown"] == {"gemini": 6, "openai": 2}
    assert stats["disconnectBreakdown"] == {"1000": 1, "1001": 1, "1006": 2, "1011": 1}
    assert stats["providerSwitchRate"] == 0.25


def test_list_rows_carry_the_admin_fields(admin, ids):
    page = data(admin.get("/api/admin/sessions", query=FULL))
    rows = {n: r for n, r in zip(names(ids, page["sessions"]), page["sessions"])}
    s2 = rows["s2"]
    assert {k: s2[k] for k in ("userId", "userEmail", "provider", "initialProvider", "providerSwitched",
                               "switchCount", "disconnectCode", "disconnectReason", "endReason", "mode")} == {
        "userId": "bob", "userEmail": "bob@example.com", "provider": "openai", "initialProvider": "gemini",
        "providerSwitched": True, "switchCount": 1, "disconnectCode": 1006,
        "disconnectReason": "Abnormal closure", "endReason": "disconnect", "mode": "free"}
    assert s2["endedAt"] - s2["startedAt"] == 240_000
    assert s2["minutesUsed"] == 4.0
    assert rows["s3"]["disconnectCode"] is None          # a clean session: no close code
    assert rows["s3"]["messageCount"] == 2
    assert rows["s6"]["minutesUsed"] == 1.0              # charged up to the 60 s allowance
    assert rows["s8"]["endedAt"] is None and rows["s8"]["status"] == "active"
    expected_keys = {"id", "userId", "userEmail", "startedAt", "endedAt", "provider", "initialProvider",
                     "providerSwitched", "switchCount", "disconnectCode", "disconnectReason", "endReason",
                     "mode", "messageCount", "minutesUsed"}
    assert all(expected_keys <= set(r) for r in page["sessions"])


# --------------------------------------------------------------------------- filters
@pytest.mark.parametrize("query, expected, total_extra", [
    ("provider=openai", {"s2", "s4"}, {"avgDuration": 4.5, "providerBreakdown": {"gemini": 0, "openai": 2}}),
    ("provider=gemini", {"s1", "s3", "s5", "s6", "s7", "s8", "s9"}, {}),
    ("hasDisconnect=true", {"s2", "s4", "s6", "s9"},
     {"avgDuration": 5.25, "disconnectBreakdown": {"1001": 1, "1006": 2, "1011": 1}}),
    ("hasDisconnect=false", {"s1", "s3", "s5", "s7", "s8"}, {"disconnectBreakdown": {"1000": 2}}),
    ("mode=free", {"s2", "s6", "s7", "s8"}, {"endReasonBreakdown": {"disconnect": 1, "limit_reached": 1,
                                                                    "timeout": 1}}),
    ("mode=coach", {"s1", "s3", "s4", "s5", "s9"}, {}),
    ("userId=bob", {"s2", "s5"}, {"providerSwitchRate": 1.0, "totalSwitches": 3, "avgDuration": 3.5}),
    ("userId=alice&mode=coach", {"s1", "s3"}, {}),
    ("provider=gemini&hasDisconnect=true&mode=coach", {"s9"}, {"avgDuration": 10.0}),
    ("userId=carol&hasDisconnect=false", {"s7"}, {"endReasonBreakdown": {"timeout": 1}}),
    ("userId=nobody", set(), {"totalSessions": 0, "avgDuration": 0, "providerSwitchRate": 0}),
])
def test_each_filter_selects_rows_and_stats_alike(admin, ids, query, expected, total_extra):
    rows, stats = all_pages(admin, f"{FULL}&{query}", limit=200)
    assert set(names(ids, rows)) == expected
    assert len(rows) == len(expected)
    assert stats[0]["totalSessions"] == len(expected)
    for key, value in total_extra.items():
        assert stats[0][key] == value, key


def test_range_bounds_are_inclusive_utc_days(admin, ids):
    page = data(admin.get("/api/admin/sessions", query="from=2026-11-05&to=2026-11-07"))
    assert names(ids, page["sessions"]) == ["s5", "s4", "s3", "s2"]
    assert page["stats"]["totalSessions"] == 4
    one_day = data(admin.get("/api/admin/sessions", query="from=2026-10-31&to=2026-10-31"))
    assert names(ids, one_day["sessions"]) == ["s1"]
    assert one_day["stats"]["disconnectBreakdown"] == {"1000": 1}


# --------------------------------------------------------------------------- paging
@pytest.mark.parametrize("limit", [1, 2, 4])
def test_paging_returns_every_row_once_with_full_range_stats(admin, ids, limit):
    rows, stats = all_pages(admin, FULL, limit)
    assert names(ids, rows) == NEWEST_FIRST
    assert all(s == stats[0] for s in stats)
    assert stats[0]["totalSessions"] == 9


def test_paging_with_a_filter(admin, ids):
    rows, stats = all_pages(admin, f"{FULL}&hasDisconnect=true", limit=1)
    assert names(ids, rows) == ["s9", "s6", "s4", "s2"]
    assert {s["totalSessions"] for s in stats} == {4}
    rows, _ = all_pages(admin, f"{FULL}&userId=bob", limit=1)
    assert names(ids, rows) == ["s5", "s2"]


def test_a_cursor_from_another_range_or_garbage_is_400_invalid_cursor(admin, ids):
    first = data(admin.get("/api/admin/sessions", query=f"{FULL}&limit=1"))
    cursor = first["nextCursor"]
    assert cursor
    assert data(admin.get("/api/admin/sessions", query=f"{FULL}&limit=1&cursor={cursor}"))["sessions"]
    for query in (f"from=2026-10-01&to=2026-10-31&cursor={cursor}",     # another range
                  f"{FULL}&userId=bob&cursor={cursor}",                   # another filter's partitions
                  f"{FULL}&cursor=%%%not-a-cursor"):
        response = admin.get("/api/admin/sessions", query=query)
        assert response.status == 400, (query, response.body)
        assert response.json()["error"]["code"] == "invalid_cursor"


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("query, field", [
    ("from=2026-11-10&to=2026-11-01", "query.from"),
    ("from=2026-13-01", "query.from"),
    ("from=11/05/2026", "query.from"),
    ("to=2026-02-30", "query.to"),
    ("from=2025-01-01&to=2026-01-02", "query.to"),       # 367 days
    ("limit=0", "query.limit"),
    ("limit=201", "query.limit"),
    ("provider=claude", "query.provider"),
    ("mode=exam", "query.mode"),
    ("hasDisconnect=maybe", "query.hasDisconnect"),
    ("proivder=gemini", "query.proivder"),
])
def test_bad_query_parameters_are_refused_naming_the_field(admin, ids, query, field):
    response = admin.get("/api/admin/sessions", query=query)
    assert 400 <= response.status < 500
    body = response.json()
    assert body["success"] is False
    assert field in [d["field"] for d in body["error"]["details"]]


def test_a_range_of_exactly_366_days_is_allowed_and_skips_empty_days(admin, ids, env):
    with count_requests(env.client) as meter:
        page = data(admin.get("/api/admin/sessions", query="from=2025-11-10&to=2026-11-10"))
    assert page["stats"]["totalSessions"] == 9
    assert names(ids, page["sessions"]) == NEWEST_FIRST
    # 13 months of rollups + the 5 days that hold sessions (today and yesterday among them),
    # not 366 day queries.
    assert meter.names() == ["Query"] * (13 + 5)


# --------------------------------------------------------------------------- time series
def test_time_series_has_every_day_with_zeros(admin, ids):
    body = data(admin.get("/api/admin/sessions/timeseries", query="from=2026-11-03&to=2026-11-10"))
    series = body["series"]
    assert [d["date"] for d in series] == [f"2026-11-{d:02d}" for d in range(3, 11)]
    by_day = {d["date"]: d for d in series}
    for empty in ("2026-11-03", "2026-11-04", "2026-11-06", "2026-11-08"):
        assert by_day[empty] == {"date": empty, "sessions": 0, "endedSessions": 0, "avgDuration": 0,
                                 "switches": 0, "switchRate": 0, "disconnects": {}}
    assert by_day["2026-11-05"] == {"date": "2026-11-05", "sessions": 2, "endedSessions": 2, "avgDuration": 2.5,
                                    "switches": 1, "switchRate": 0.5, "disconnects": {"1006": 1}}
    assert by_day["2026-11-07"]["disconnects"] == {"1000": 1, "1006": 1}
    assert by_day["2026-11-07"]["avgDuration"] == 4.0
    assert by_day["2026-11-09"]["avgDuration"] == 1.75          # (120 + 90) / 2 / 60
    assert by_day["2026-11-10"] == {"date": "2026-11-10", "sessions": 2, "endedSessions": 1, "avgDuration": 10.0,
                                    "switches": 0, "switchRate": 0, "disconnects": {"1001": 1}}


def test_time_series_sums_to_the_stats_and_takes_filters(admin, ids):
    stats = data(admin.get("/api/admin/sessions", query=FULL))["stats"]
    series = data(admin.get("/api/admin/sessions/timeseries", query=FULL))["series"]
    assert len(series) == 11
    assert sum(d["sessions"] for d in series) == stats["totalSessions"]
    totals: dict[str, int] = {}
    for day in series:
        for code, count in day["disconnects"].items():
            totals[code] = totals.get(code, 0) + count
    assert totals == stats["disconnectBreakdown"]
    openai = data(admin.get("/api/admin/sessions/timeseries", query=f"{FULL}&provider=openai"))["series"]
    assert {d["date"]: d["sessions"] for d in openai if d["sessions"]} == {"2026-11-05": 1, "2026-11-07": 1}
    bob = data(admin.get("/api/admin/sessions/timeseries", query=f"{FULL}&userId=bob"))["series"]
    assert {d["date"]: d["switches"] for d in bob if d["sessions"]} == {"2026-11-05": 1, "2026-11-07": 1}


def test_time_series_default_range_and_bad_range(admin, ids):
    series = data(admin.get("/api/admin/sessions/timeseries"))["series"]
    assert [d["date"] for d in series][0] == "2026-11-04" and len(series) == 7
    bad = admin.get("/api/admin/sessions/timeseries", query="from=2026-11-10&to=2026-11-09")
    assert bad.status == 422


# --------------------------------------------------------------------------- CSV
def test_csv_export_has_a_header_and_one_row_per_session(admin, ids):
    response = admin.get("/api/admin/sessions/export.csv", query=FULL)
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
    assert (s2["disconnectCode"], s2["disconnectLabel"], s2["durationMinutes"]) == ("1006", "Abnormal closure", "4.0")
    s8 = next(r for r in rows if r["id"] == ids["s8"])
    assert s8["endedAt"] == "" and s8["durationMinutes"] == ""


def test_csv_export_applies_filters_and_caps_rows(admin, ids):
    response = admin.get("/api/admin/sessions/export.csv", query=f"{FULL}&mode=free")
    rows = list(csv.DictReader(io.StringIO(response.body)))
    assert {r["id"] for r in rows} == {ids[n] for n in ("s2", "s6", "s7", "s8")}

    from admin.health.export import export_sessions
    from admin.health.filters import HealthFilter
    from admin.health_store import health_store

    flt = HealthFilter(day_from=date(2026, 10, 31), day_to=date(2026, 11, 10))
    capped = export_sessions(health_store(), flt, max_rows=3)
    assert capped.truncated is True and capped.rows == 3
    assert len(list(csv.reader(io.StringIO(capped.body)))) == 4   # header + 3


# --------------------------------------------------------------------------- detail
def test_detail_returns_the_session_its_messages_and_corrections(admin, ids):
    body = data(admin.get(f"/api/admin/sessions/{ids['s3']}"))
    assert body["session"]["id"] == ids["s3"]
    assert (body["session"]["userId"], body["session"]["userEmail"]) == ("alice", "alice@example.com")
    assert [(m["role"], m["text"]) for m in body["messages"]] == [
        ("user", "Toi muon mua ca phe"), ("coach", "Tôi muốn mua cà phê.")]
    assert [(c["original"], c["correction"], c["category"]) for c in body["corrections"]] == [
        ("Toi", "Tôi", "tone")]
    other = data(admin.get(f"/api/admin/sessions/{ids['s2']}"))
    assert other["messages"] == [] and other["corrections"] == []
    assert other["session"]["switchCount"] == 1

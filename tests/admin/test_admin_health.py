"""Admin session health over build_dataset's known sessions (admin_helpers: the table of
what each session is): stats, list rows, filters, paging, bad input.
"""
from __future__ import annotations

import pytest

from admin_helpers import FULL, NEWEST_FIRST, names
from apitest import count_requests, data

NO_ENDINGS = {e: 0 for e in ("learner", "provider", "network", "limit", "client_vanished", "superseded")}
LABELS = {"1000": "Normal closure", "1001": "Going away", "1006": "Abnormal closure",
          "1011": "Server error", "1012": "Service restart", "1013": "Try again later"}
CLOSE_CODES = {**{code: {"label": label, "cause": cause, "side": side} for code, label, cause, side in (
    ("1000", "Normal closure", "User ended session properly", "learner"),
    ("1001", "Going away", "Browser tab closed, navigation", "network"),
    ("1006", "Abnormal closure", "Network issue, server timeout", "network"),
    ("1011", "Server error", "API error on provider side", "provider"),
    ("1012", "Service restart", "Provider redeploying", "provider"),
    ("1013", "Try again later", "Provider rate limiting", "provider"))},
    "other": {"label": "Other codes", "cause": "Codes outside the table", "side": "unknown"}}


def all_pages(dataset_admin, query: str, limit: int) -> tuple[list[dict], list[dict]]:
    """Every row over every page, and the stats each page carried."""
    rows, stats, cursor = [], [], None
    for _ in range(50):
        q = f"{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = data(dataset_admin.get("/api/admin/sessions", query=q))
        assert len(page["sessions"]) <= limit
        rows += page["sessions"]
        stats.append(page["stats"])
        cursor = page["nextCursor"]
        if not cursor:
            return rows, stats
    raise AssertionError("paging never ended")


# --------------------------------------------------------------------------- stats
def test_stats_over_the_full_range_are_exact(dataset_admin, ids):
    page = data(dataset_admin.get("/api/admin/sessions", query=FULL))
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
        "endedByBreakdown": {"learner": 3, "provider": 0, "network": 3, "limit": 1, "client_vanished": 1,
                             "superseded": 0},
        "creditedSeconds": 0,
        "byInitialProvider": {"gemini": {"sessions": 8, "switchedAway": 2, "failedSessions": 2},   # s2, s9
                              "openai": {"sessions": 1, "switchedAway": 0, "failedSessions": 1}},  # s4
        # Every session opens a connection on its initial provider, every switch one more.
        "providerReliability": {"gemini": {"connections": 9, "failures": 0, "failuresByCode": {}, "failureRate": 0},
                                "openai": {"connections": 3, "failures": 0, "failuresByCode": {}, "failureRate": 0}},
        # No end of the dataset reports latency (test_admin_latency.py has those that do).
        "providerLatency": {p: {"turns": 0, "p50Ms": None, "p95Ms": None,
                                "firstAudio": {"sessions": 0, "p50Ms": None, "p95Ms": None}} for p in ("gemini", "openai")},
        "switchCauses": {"1011": 2, "none": 1},
        "closeCodes": CLOSE_CODES,
        "closeCodeLabels": LABELS,
    }


def test_default_range_is_the_last_seven_days_by_the_clock(dataset_admin, ids):
    page = data(dataset_admin.get("/api/admin/sessions"))
    assert (page["from"], page["to"]) == ("2026-11-04", "2026-11-10")
    assert names(ids, page["sessions"]) == NEWEST_FIRST[:-1]   # s1 (10-31) is older
    stats = page["stats"]
    assert stats["totalSessions"] == 8
    assert stats["avgDuration"] == 3.79                         # 1590 s / 7 ended / 60
    assert stats["providerBreakdown"] == {"gemini": 6, "openai": 2}
    assert stats["disconnectBreakdown"] == {"1000": 1, "1001": 1, "1006": 2, "1011": 1}
    assert stats["providerSwitchRate"] == 0.25


def test_list_rows_carry_the_admin_fields(dataset_admin, ids):
    page = data(dataset_admin.get("/api/admin/sessions", query=FULL))
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
    story_fields = ("status", "endedBy", "switchCause", "reconnects", "creditedSeconds")
    assert {n: tuple(rows[n][k] for k in story_fields) for n in rows} == {
        "s1": ("ended", "learner", None, 0, 0), "s2": ("ended", "network", "1011", 0, 0),
        "s3": ("ended", "learner", None, 0, 0), "s4": ("ended", "network", None, 0, 0),
        "s5": ("ended", "learner", "1011", 0, 0),          # the first switch's cause
        "s6": ("ended", "limit", None, 0, 0), "s7": ("ended", "client_vanished", None, 0, 0),
        "s8": ("active", None, None, 0, 0), "s9": ("ended", "network", None, 0, 0)}
    assert rows["s7"]["endReason"] == "timeout"
    expected_keys = {"id", "userId", "userEmail", "startedAt", "endedAt", "provider", "initialProvider",
                     "providerSwitched", "switchCount", "disconnectCode", "disconnectReason", "endReason",
                     "mode", "messageCount", "minutesUsed", *story_fields}
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
    ("endedBy=network", {"s2", "s4", "s9"}, {"endedByBreakdown": {**NO_ENDINGS, "network": 3}}),
    ("endedBy=client_vanished", {"s7"}, {"endReasonBreakdown": {"timeout": 1}}),
    ("endedBy=limit", {"s6"}, {"disconnectBreakdown": {"1011": 1}}),
    ("endedBy=superseded", set(), {"totalSessions": 0}),
    ("initialProvider=openai", {"s4"}, {"byInitialProvider": {
        "gemini": {"sessions": 0, "switchedAway": 0, "failedSessions": 0},
        "openai": {"sessions": 1, "switchedAway": 0, "failedSessions": 1}}}),
    ("initialProvider=gemini", {"s1", "s2", "s3", "s5", "s6", "s7", "s8", "s9"}, {"switchCauses": {"1011": 2,
                                                                                                   "none": 1}}),
    ("initialProvider=gemini&provider=openai", {"s2"}, {"switchCauses": {"1011": 1}}),
    ("status=active", {"s8"}, {"endedSessions": 0, "endedByBreakdown": NO_ENDINGS}),
    ("status=ended", {"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s9"}, {"endedSessions": 8}),
    ("status=ended&endedBy=learner&mode=coach", {"s1", "s3", "s5"}, {"totalSwitches": 2}),
    ("userId=bob&endedBy=network", {"s2"}, {"switchCauses": {"1011": 1}}),
    ("userId=alice&status=active", {"s8"}, {}),
])
def test_each_filter_selects_rows_and_stats_alike(dataset_admin, ids, query, expected, total_extra):
    rows, stats = all_pages(dataset_admin, f"{FULL}&{query}", limit=200)
    assert set(names(ids, rows)) == expected
    assert len(rows) == len(expected)
    assert stats[0]["totalSessions"] == len(expected)
    for key, value in total_extra.items():
        assert stats[0][key] == value, key


def test_range_bounds_are_inclusive_utc_days(dataset_admin, ids):
    page = data(dataset_admin.get("/api/admin/sessions", query="from=2026-11-05&to=2026-11-07"))
    assert names(ids, page["sessions"]) == ["s5", "s4", "s3", "s2"]
    assert page["stats"]["totalSessions"] == 4
    one_day = data(dataset_admin.get("/api/admin/sessions", query="from=2026-10-31&to=2026-10-31"))
    assert names(ids, one_day["sessions"]) == ["s1"]
    assert one_day["stats"]["disconnectBreakdown"] == {"1000": 1}


# --------------------------------------------------------------------------- paging
@pytest.mark.parametrize("limit", [1, 2, 4])
def test_paging_returns_every_row_once_with_full_range_stats(dataset_admin, ids, limit):
    rows, stats = all_pages(dataset_admin, FULL, limit)
    assert names(ids, rows) == NEWEST_FIRST
    assert all(s == stats[0] for s in stats)
    assert stats[0]["totalSessions"] == 9


def test_paging_with_a_filter(dataset_admin, ids):
    rows, stats = all_pages(dataset_admin, f"{FULL}&hasDisconnect=true", limit=1)
    assert names(ids, rows) == ["s9", "s6", "s4", "s2"]
    assert {s["totalSessions"] for s in stats} == {4}
    rows, _ = all_pages(dataset_admin, f"{FULL}&userId=bob", limit=1)
    assert names(ids, rows) == ["s5", "s2"]


def test_a_cursor_from_another_range_or_garbage_is_400_invalid_cursor(dataset_admin, ids):
    first = data(dataset_admin.get("/api/admin/sessions", query=f"{FULL}&limit=1"))
    cursor = first["nextCursor"]
    assert cursor
    assert data(dataset_admin.get("/api/admin/sessions", query=f"{FULL}&limit=1&cursor={cursor}"))["sessions"]
    for query in (f"from=2026-10-01&to=2026-10-31&cursor={cursor}",     # another range
                  f"{FULL}&userId=bob&cursor={cursor}",                   # another filter's partitions
                  f"{FULL}&cursor=%%%not-a-cursor"):
        response = dataset_admin.get("/api/admin/sessions", query=query)
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
    ("endedBy=teacher", "query.endedBy"),
    ("endedBy=active", "query.endedBy"),
    ("initialProvider=claude", "query.initialProvider"),
    ("status=done", "query.status"),
    ("endedby=learner", "query.endedby"),
])
def test_bad_query_parameters_are_refused_naming_the_field(dataset_admin, ids, query, field):
    response = dataset_admin.get("/api/admin/sessions", query=query)
    assert 400 <= response.status < 500
    body = response.json()
    assert body["success"] is False
    assert field in [d["field"] for d in body["error"]["details"]]


def test_a_range_of_exactly_366_days_is_allowed_and_skips_empty_days(dataset_admin, ids, dataset):
    with count_requests(dataset.client) as meter:
        page = data(dataset_admin.get("/api/admin/sessions", query="from=2025-11-10&to=2026-11-10"))
    assert page["stats"]["totalSessions"] == 9
    assert names(ids, page["sessions"]) == NEWEST_FIRST
    # 13 months of rollups (each month's shards) + the 5 days that hold sessions (today and
    # yesterday among them), not 366 day queries; each day's Query of keys is followed by one
    # BatchGetItem of its items.
    from speakpho.config import get_settings

    assert dict(meter.ops) == {"Query": 13 * get_settings().rollup_shards + 5, "BatchGetItem": 5}

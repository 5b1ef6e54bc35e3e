"""Stats and time series over small lists of rollup cells, and the list's cursor codec
(pure functions, table-driven)."""
from __future__ import annotations

import base64
import json
from datetime import date

import pytest

from admin.health.cells import Cell
from admin.health.filters import HealthFilter
from admin.health.listing import decode_cursor, encode_cursor
from admin.health.stats import series_view, stats_view
from speakpho import cursors
from speakpho.errors import BadRequest


def cell(day: str, provider: str = "gemini", mode: str = "coach", close: str = "clean", initial: str = "gemini",
         ended_by: str = "learner", **values) -> Cell:
    return Cell(day=day, provider=provider, mode=mode, close=close, initial_provider=initial, ended_by=ended_by,
                values=values)


ONE = cell("2026-11-05", sessions=1, endedSessions=1, durationSecondsSum=120, endReason_user_ended=1, code_1000=1,
           conn_gemini=1)
TWO = cell("2026-11-05", provider="openai", close="abnormal", ended_by="network", sessions=2, endedSessions=2,
           durationSecondsSum=480, switchedSessions=1, switchCountSum=3, endReason_disconnect=2, code_1006=2,
           creditedSecondsSum=40, failedSessions=2, reconnects=3, conn_gemini=3, conn_openai=3, failc_gemini_1011=2,
           failc_openai_1006=1, failc_gemini_other=1, cause_1011=2, cause_none=1)
ACTIVE = cell("2026-11-07", mode="free", ended_by="active", sessions=1, conn_gemini=1)
EMPTIED = cell("2026-11-07", close="abnormal", ended_by="provider", sessions=0, endedSessions=0,
               endReason_disconnect=0, code_1011=0)   # after a removal
ODD = cell("2026-11-07", provider="unknown", close="abnormal", initial="unknown", ended_by="unknown", sessions=1,
           code_other=1)
EMPTY_ODD = cell("2026-11-07", provider="claude", initial="claude", sessions=0)
NONE_BY_INITIAL = {"gemini": {"sessions": 0, "switchedAway": 0, "failedSessions": 0},
                   "openai": {"sessions": 0, "switchedAway": 0, "failedSessions": 0}}
NO_RELIABILITY = {p: {"connections": 0, "failures": 0, "failuresByCode": {}, "failureRate": 0}
                  for p in ("gemini", "openai")}
NO_ENDINGS = {e: 0 for e in ("learner", "provider", "network", "limit", "client_vanished", "superseded")}


# --------------------------------------------------------------------------- stats
@pytest.mark.parametrize("cells, expected", [
    ([], {"totalSessions": 0, "endedSessions": 0, "avgDuration": 0, "providerBreakdown": {"gemini": 0, "openai": 0},
          "disconnectBreakdown": {}, "providerSwitchRate": 0, "totalSwitches": 0, "endReasonBreakdown": {},
          "endedByBreakdown": NO_ENDINGS, "creditedSeconds": 0, "byInitialProvider": NONE_BY_INITIAL,
          "providerReliability": NO_RELIABILITY, "switchCauses": {}}),
    ([ONE], {"totalSessions": 1, "endedSessions": 1, "avgDuration": 2.0,
             "providerBreakdown": {"gemini": 1, "openai": 0}, "disconnectBreakdown": {"1000": 1},
             "providerSwitchRate": 0, "totalSwitches": 0, "endReasonBreakdown": {"user_ended": 1},
             "endedByBreakdown": {**NO_ENDINGS, "learner": 1},
             "byInitialProvider": {**NONE_BY_INITIAL, "gemini": {"sessions": 1, "switchedAway": 0,
                                                                 "failedSessions": 0}},
             "providerReliability": {**NO_RELIABILITY, "gemini": {"connections": 1, "failures": 0,
                                                                  "failuresByCode": {}, "failureRate": 0}}}),
    ([TWO, ONE, ACTIVE], {"totalSessions": 4, "endedSessions": 3, "avgDuration": 3.33,     # 600 s / 3 / 60
                          "providerBreakdown": {"gemini": 2, "openai": 2},
                          "disconnectBreakdown": {"1000": 1, "1006": 2}, "providerSwitchRate": 0.25,
                          "totalSwitches": 3, "endReasonBreakdown": {"disconnect": 2, "user_ended": 1},
                          "endedByBreakdown": {**NO_ENDINGS, "learner": 1, "network": 2},
                          "creditedSeconds": 40,
                          "byInitialProvider": {"gemini": {"sessions": 4, "switchedAway": 1, "failedSessions": 2},
                                                "openai": {"sessions": 0, "switchedAway": 0, "failedSessions": 0}},
                          "providerReliability": {
                              "gemini": {"connections": 5, "failures": 3, "failuresByCode": {"1011": 2, "other": 1},
                                         "failureRate": 0.6},
                              "openai": {"connections": 3, "failures": 1, "failuresByCode": {"1006": 1},
                                         "failureRate": 0.3333}},
                          "switchCauses": {"1011": 2, "none": 1}}),
    ([EMPTIED, EMPTY_ODD], {"totalSessions": 0, "providerBreakdown": {"gemini": 0, "openai": 0},
                            "disconnectBreakdown": {}, "endReasonBreakdown": {}, "endedByBreakdown": NO_ENDINGS,
                            "byInitialProvider": NONE_BY_INITIAL}),
    ([ODD, ONE], {"totalSessions": 2, "providerBreakdown": {"gemini": 1, "openai": 0, "unknown": 1},
                  "disconnectBreakdown": {"1000": 1, "other": 1},
                  "byInitialProvider": {**NONE_BY_INITIAL, "gemini": {"sessions": 1, "switchedAway": 0,
                                                                      "failedSessions": 0},
                                        "unknown": {"sessions": 1, "switchedAway": 0, "failedSessions": 0}}}),
], ids=["none", "one", "mixed", "emptied-cells", "outside-the-sets"])
def test_stats_view(cells, expected):
    view = stats_view(cells)
    assert {k: view[k] for k in expected} == expected
    assert list(view["disconnectBreakdown"]) == sorted(view["disconnectBreakdown"],
                                                       key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0))
    assert sum(view["endedByBreakdown"].values()) == view["endedSessions"]


@pytest.mark.parametrize("cells", [[], [ONE], [TWO, ONE, ACTIVE]])
def test_every_rate_is_a_float_in_json(cells):
    """One JSON type per field: a provider without connections says 0.0, as another says 0.6."""
    view = json.loads(json.dumps(stats_view(cells)))
    rates = [row["failureRate"] for row in view["providerReliability"].values()]
    assert rates and all(isinstance(r, float) for r in rates)
    assert isinstance(view["providerSwitchRate"], float)


def test_stats_carry_every_close_code_with_its_label_cause_and_side():
    view = stats_view([])
    assert view["closeCodes"] == {
        "1000": {"label": "Normal closure", "cause": "User ended session properly", "side": "learner"},
        "1001": {"label": "Going away", "cause": "Browser tab closed, navigation", "side": "network"},
        "1006": {"label": "Abnormal closure", "cause": "Network issue, server timeout", "side": "network"},
        "1011": {"label": "Server error", "cause": "API error on provider side", "side": "provider"},
        "1012": {"label": "Service restart", "cause": "Provider redeploying", "side": "provider"},
        "1013": {"label": "Try again later", "cause": "Provider rate limiting", "side": "provider"},
        "other": {"label": "Other codes", "cause": "Codes outside the table", "side": "unknown"},
    }
    assert view["closeCodeLabels"] == {k: v["label"] for k, v in view["closeCodes"].items() if k != "other"}


RANGE = HealthFilter(date(2026, 11, 5), date(2026, 11, 7))
ZERO_DAY = {"sessions": 0, "endedSessions": 0, "avgDuration": 0, "switches": 0, "switchedSessions": 0,
            "switchRate": 0, "disconnects": {}, "failuresByProvider": {"gemini": 0, "openai": 0}}


@pytest.mark.parametrize("cells, expected", [
    ([], [ZERO_DAY, ZERO_DAY, ZERO_DAY]),
    ([ONE, TWO], [{"sessions": 3, "endedSessions": 3, "avgDuration": 3.33, "switches": 3, "switchedSessions": 1,
                   "switchRate": 0.3333, "disconnects": {"1000": 1, "1006": 2},
                   "failuresByProvider": {"gemini": 3, "openai": 1}}, ZERO_DAY, ZERO_DAY]),
    ([ACTIVE, EMPTIED, ODD], [ZERO_DAY, ZERO_DAY,
                              {**ZERO_DAY, "sessions": 2, "disconnects": {"other": 1}}]),
], ids=["none", "first-day", "last-day"])
def test_series_view_has_every_day_oldest_first(cells, expected):
    series = series_view(cells, RANGE)
    assert [d.pop("date") for d in series] == ["2026-11-05", "2026-11-06", "2026-11-07"]
    assert series == expected


# --------------------------------------------------------------------------- cursor
PARTS = ["day:2026-11-10", "day:2026-11-09", "day:2026-11-08"]
KEY = {"sessionId": "abc", "startedAt": 1_794_312_000_000}


@pytest.mark.parametrize("partition, key", [(PARTS[0], None), (PARTS[1], KEY), (PARTS[2], KEY)])
def test_cursor_round_trip(partition, key):
    cursor = encode_cursor(partition, key)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_cursor(cursor, PARTS) == (PARTS.index(partition), key)


def raw(document) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "%%%not-base64",
    raw("a string"),
    base64.urlsafe_b64encode(b"\xff\xfe not json").decode(),
    raw(["day:2026-11-10", None]),                                              # not a dict
    raw({"p": "day:2026-11-10", "k": None}),                                    # no codec version
    cursors.encode({"p": "day:2026-10-01", "k": None}),                         # another range
    cursors.encode({"p": "user:bob", "k": None}),                               # another filter
    cursors.encode({"p": ["day:2026-11-10"], "k": None}),
    cursors.encode({"p": PARTS[0], "k": {**KEY, "startedAt": True}}),            # a bool
    cursors.encode({"p": PARTS[0], "k": {**KEY, "startedAt": 10 ** 38}}),       # 39 digits: not a DynamoDB number
    cursors.encode({"p": PARTS[0], "k": {**KEY, "startedAt": -1}}),
    cursors.encode({"p": PARTS[0], "k": {**KEY, "startedAt": "1794312000000"}}),
    cursors.encode({"p": PARTS[0], "k": {**KEY, "sessionId": 7}}),
    cursors.encode({"p": PARTS[0], "k": {**KEY, "sessionId": ""}}),
    cursors.encode({"p": PARTS[0], "k": {"sessionId": "abc"}}),
    cursors.encode({"p": PARTS[0], "k": {**KEY, "startDay": "2026-11-10"}}),   # an extra key attribute
    cursors.encode({"p": PARTS[0], "k": "abc"}),
], ids=["not-base64", "a-string", "not-json", "a-list", "no-version", "other-range", "other-filter",
        "list-partition", "bool", "39-digits", "negative", "string-number", "number-id", "empty-id", "no-start",
        "extra-key", "string-key"])
def test_a_cursor_not_made_for_this_list_is_400_invalid_cursor(cursor):
    with pytest.raises(BadRequest) as refused:
        decode_cursor(cursor, PARTS)
    assert (refused.value.status, refused.value.code) == (400, "invalid_cursor")

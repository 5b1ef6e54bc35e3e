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


def cell(day: str, provider: str = "gemini", mode: str = "coach", code: str = "none", **values) -> Cell:
    return Cell(day=day, provider=provider, mode=mode, code=code, values=values)


ONE = cell("2026-11-05", code="1000", sessions=1, endedSessions=1, durationSecondsSum=120, endReason_user_ended=1)
TWO = cell("2026-11-05", provider="openai", code="1006", sessions=2, endedSessions=2, durationSecondsSum=480,
           switchedSessions=1, switchCountSum=3, endReason_disconnect=2)
ACTIVE = cell("2026-11-07", mode="free", sessions=1)
EMPTIED = cell("2026-11-07", code="1011", sessions=0, endedSessions=0, endReason_disconnect=0)   # after a removal
ODD = cell("2026-11-07", provider="unknown", code="4000", sessions=1)
EMPTY_ODD = cell("2026-11-07", provider="claude", sessions=0)


# --------------------------------------------------------------------------- stats
@pytest.mark.parametrize("cells, expected", [
    ([], {"totalSessions": 0, "endedSessions": 0, "avgDuration": 0, "providerBreakdown": {"gemini": 0, "openai": 0},
          "disconnectBreakdown": {}, "providerSwitchRate": 0, "totalSwitches": 0, "endReasonBreakdown": {}}),
    ([ONE], {"totalSessions": 1, "endedSessions": 1, "avgDuration": 2.0,
             "providerBreakdown": {"gemini": 1, "openai": 0}, "disconnectBreakdown": {"1000": 1},
             "providerSwitchRate": 0, "totalSwitches": 0, "endReasonBreakdown": {"user_ended": 1}}),
    ([TWO, ONE, ACTIVE], {"totalSessions": 4, "endedSessions": 3, "avgDuration": 3.33,     # 600 s / 3 / 60
                          "providerBreakdown": {"gemini": 2, "openai": 2},
                          "disconnectBreakdown": {"1000": 1, "1006": 2}, "providerSwitchRate": 0.25,
                          "totalSwitches": 3, "endReasonBreakdown": {"disconnect": 2, "user_ended": 1}}),
    ([EMPTIED, EMPTY_ODD], {"totalSessions": 0, "providerBreakdown": {"gemini": 0, "openai": 0},
                            "disconnectBreakdown": {}, "endReasonBreakdown": {}}),
    ([ODD, ONE], {"totalSessions": 2, "providerBreakdown": {"gemini": 1, "openai": 0, "unknown": 1},
                  "disconnectBreakdown": {"1000": 1, "4000": 1}}),
], ids=["none", "one", "mixed", "emptied-cells", "outside-the-tables"])
def test_stats_view(cells, expected):
    view = stats_view(cells)
    assert {k: view[k] for k in expected} == expected
    assert list(view["disconnectBreakdown"]) == sorted(view["disconnectBreakdown"], key=int)


RANGE = HealthFilter(date(2026, 11, 5), date(2026, 11, 7))
ZERO_DAY = {"sessions": 0, "endedSessions": 0, "avgDuration": 0, "switches": 0, "switchRate": 0, "disconnects": {}}


@pytest.mark.parametrize("cells, expected", [
    ([], [ZERO_DAY, ZERO_DAY, ZERO_DAY]),
    ([ONE, TWO], [{"sessions": 3, "endedSessions": 3, "avgDuration": 3.33, "switches": 1, "switchRate": 0.3333,
                   "disconnects": {"1000": 1, "1006": 2}}, ZERO_DAY, ZERO_DAY]),
    ([ACTIVE, EMPTIED, ODD], [ZERO_DAY, ZERO_DAY,
                              {**ZERO_DAY, "sessions": 2, "disconnects": {"4000": 1}}]),
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

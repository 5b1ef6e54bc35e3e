"""Rollup cells, table-driven: what a session image contributes, the delta between two
contributions, and the close-code classification behind hasDisconnect (pure functions)."""
from __future__ import annotations

from datetime import date

import pytest

from admin.health.cells import (Contribution, cell_from_session, cell_matches, close_code_key, contribution,
                                contribution_delta, is_disconnect)
from admin.health.filters import HealthFilter
from admin.health.listing import matching_rows

T = 1_794_312_000_000              # 2026-11-10T12:00:00Z
CELL = ("month#2026-11", "2026-11-10#gemini#coach#none")
ZERO = {"sessions": 1, "endedSessions": 0, "durationSecondsSum": 0, "switchedSessions": 0, "switchCountSum": 0}


def image(**fields) -> dict:
    session = {"sessionId": "s", "startedAt": T, "startDay": "2026-11-10", "status": "active",
               "mode": "coach", "provider": "gemini", "switchCount": 0}
    session.update(fields)
    return {k: v for k, v in session.items() if v is not None}


def ended(seconds: float = 90, **fields) -> dict:
    return image(status="ended", endedAt=T + int(seconds * 1000), **fields)


# --------------------------------------------------------------------------- contribution
@pytest.mark.parametrize("session, key, values", [
    (image(), CELL, ZERO),
    (ended(90, endReason="user_ended", disconnectCode=1000),
     ("month#2026-11", "2026-11-10#gemini#coach#1000"),
     {**ZERO, "endedSessions": 1, "durationSecondsSum": 90, "endReason_user_ended": 1}),
    (ended(1.5), CELL, {**ZERO, "endedSessions": 1, "durationSecondsSum": 1.5}),
    (ended(-5), CELL, {**ZERO, "endedSessions": 1, "durationSecondsSum": 0}),       # clock skew: never negative
    (image(status="ended"), CELL, {**ZERO, "endedSessions": 1}),                     # no endedAt: no duration
    (image(provider="openai", switchCount=2), ("month#2026-11", "2026-11-10#openai#coach#none"),
     {**ZERO, "switchedSessions": 1, "switchCountSum": 2}),
    (image(provider=None, mode=None, disconnectCode=1006), ("month#2026-11", "2026-11-10#unknown#unknown#1006"),
     ZERO),
    (image(startDay=None, startedAt=1_793_491_199_999), ("month#2026-10", "2026-10-31#gemini#coach#none"), ZERO),
    (ended(60, endReason="time-out/x"), CELL,
     {**ZERO, "endedSessions": 1, "durationSecondsSum": 60, "endReason_time_out_x": 1}),
    (image(endReason="stale"), CELL, ZERO),                                           # counted once ended
], ids=["active", "ended-1000", "ms-precision", "negative", "no-endedAt", "switched", "unknown", "day-from-ms",
        "reason-chars", "reason-not-ended"])
def test_contribution_of_a_session_image(session, key, values):
    part = contribution(session)
    assert (part.pk, part.sk) == key
    assert part.values == values


@pytest.mark.parametrize("session", [None, {}])
def test_no_image_counts_nowhere(session):
    assert contribution(session) is None


def test_an_image_without_start_cannot_be_counted():
    with pytest.raises(ValueError, match="startedAt"):
        contribution(image(startedAt=None))


# --------------------------------------------------------------------------- deltas
ACTIVE = Contribution(*CELL, dict(ZERO))
DONE = Contribution(*CELL, {**ZERO, "endedSessions": 1, "durationSecondsSum": 90, "endReason_user_ended": 1})
MOVED = Contribution("month#2026-11", "2026-11-10#openai#coach#1011",
                     {**ZERO, "switchedSessions": 1, "switchCountSum": 1})
SHORT = Contribution(*CELL, {"sessions": 1, "durationSecondsSum": 0.1})
LONGER = Contribution(*CELL, {"sessions": 1, "durationSecondsSum": 0.3})
HALF = Contribution(*CELL, {"sessions": 1, "durationSecondsSum": 1.5})
TWO_AND_HALF = Contribution(*CELL, {"sessions": 1, "durationSecondsSum": 2.5})


@pytest.mark.parametrize("applied, target, expected", [
    (None, None, {}),
    (None, ACTIVE, {CELL: {"sessions": 1}}),                                   # zeros left out
    (ACTIVE, None, {CELL: {"sessions": -1}}),                                  # a removal
    (ACTIVE, ACTIVE, {}),                                                      # a replay
    (ACTIVE, DONE, {CELL: {"endedSessions": 1, "durationSecondsSum": 90, "endReason_user_ended": 1}}),
    (DONE, ACTIVE, {CELL: {"endedSessions": -1, "durationSecondsSum": -90, "endReason_user_ended": -1}}),
    (ACTIVE, MOVED, {CELL: {"sessions": -1},
                     (MOVED.pk, MOVED.sk): {"sessions": 1, "switchedSessions": 1, "switchCountSum": 1}}),
    (SHORT, LONGER, {CELL: {"durationSecondsSum": 0.2}}),                     # float noise rounded away
    (HALF, TWO_AND_HALF, {CELL: {"durationSecondsSum": 1}}),                  # a whole float becomes an int
], ids=["nothing", "insert", "remove", "same", "end", "un-end", "move", "float", "float-int"])
def test_contribution_delta(applied, target, expected):
    delta = contribution_delta(applied, target)
    assert delta == expected
    assert all(type(v) is int for cell in delta.values() for v in cell.values() if float(v).is_integer())


# --------------------------------------------------------------------------- hasDisconnect
@pytest.mark.parametrize("code, key, disconnect", [
    (None, "none", False),            # ended without a code: not a disconnect
    (1000, "1000", False),            # normal closure
    (1001, "1001", True),
    (1006, "1006", True),
    (1011, "1011", True),
    (1013.0, "1013", True),           # numbers come back from DynamoDB as int or float
    (4000, "4000", True),             # a code outside the table is still abnormal
])
def test_close_code_classification(code, key, disconnect):
    session = ended(30, disconnectCode=code)
    assert close_code_key(session) == key
    assert is_disconnect(key) is disconnect
    day = date(2026, 11, 10)
    cell = cell_from_session(session)
    assert cell_matches(cell, HealthFilter(day, day, has_disconnect=True)) is disconnect
    assert cell_matches(cell, HealthFilter(day, day, has_disconnect=False)) is not disconnect


# --------------------------------------------------------------------------- list rows
ROWS = [image(sessionId="a", provider="gemini", mode="free"),
        ended(10, sessionId="b", provider="openai", mode="coach", disconnectCode=1006),
        ended(10, sessionId="c", provider="gemini", mode="coach", disconnectCode=1000),
        ended(10, sessionId="d", provider="openai", mode="free", disconnectCode=1011)]


@pytest.mark.parametrize("filters, expected", [
    ({}, "abcd"),
    ({"provider": "openai"}, "bd"),
    ({"mode": "free"}, "ad"),
    ({"has_disconnect": True}, "bd"),
    ({"has_disconnect": False}, "ac"),
    ({"provider": "gemini", "has_disconnect": False, "mode": "coach"}, "c"),
    ({"provider": "openai", "mode": "coach", "has_disconnect": False}, ""),
])
def test_list_rows_are_selected_like_the_cells(filters, expected):
    day = date(2026, 11, 10)
    flt = HealthFilter(day, day, **filters)
    assert "".join(r["sessionId"] for r in matching_rows(ROWS, flt)) == expected

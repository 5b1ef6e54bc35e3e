"""Rollup cells, table-driven: what a session image contributes (its cell and its story's
counters), the delta between two contributions, cells from before the story, one predicate
for cells and rows, and the bound on cell keys and counter names (pure functions)."""
from __future__ import annotations

from datetime import date

import pytest

from admin.health.cells import (Contribution, cell_from_item, cell_from_session, cell_matches, close_part,
                                code_key, contribution, contribution_delta)
from admin.health.filters import HealthFilter
from admin.health.listing import matching_rows

T = 1_794_312_000_000              # 2026-11-10T12:00:00Z
PK = "month#2026-11"
CELL = (PK, "2026-11-10#gemini#coach#clean#gemini#active")
ZERO = {"sessions": 1, "endedSessions": 0, "durationSecondsSum": 0, "switchedSessions": 0, "switchCountSum": 0}
GEMINI = {"conn_gemini": 1}        # every session opens a connection on its initial provider
DAY = date(2026, 11, 10)


def image(**fields) -> dict:
    session = {"sessionId": "s", "startedAt": T, "startDay": "2026-11-10", "status": "active",
               "mode": "coach", "provider": "gemini", "initialProvider": "gemini", "switchCount": 0}
    session.update(fields)
    return {k: v for k, v in session.items() if v is not None}


def ended(seconds: float = 90, **fields) -> dict:
    return image(status="ended", endedAt=T + int(seconds * 1000), **fields)


def client(kind: str, at: int, provider: str = "gemini", **kw) -> dict:
    return {"type": kind, "source": "client", "at": T + at, "provider": provider, **kw}


def server(kind: str, at: int, **kw) -> dict:
    return {"type": kind, "source": "server", "at": T + at, **kw}


# The seed's scenario: Gemini fails with 1011, a reconnect attempt, the switch to OpenAI
# citing 1011, OpenAI connects, the learner ends normally.
SEED_STORY = [server("started", 0, provider="gemini"), client("provider_connected", 1_000, connectMs=300),
              client("provider_disconnected", 60_000, code=1011, reason="Server error"),
              client("reconnect_attempt", 61_000),
              server("provider_switched", 70_000, **{"from": "gemini", "to": "openai", "code": 1011}),
              client("provider_connected", 71_000, "openai", connectMs=250),
              server("ended", 180_000, endReason="user_ended", endedBy="learner", code=1000)]


# --------------------------------------------------------------------------- contribution
@pytest.mark.parametrize("session, key, values", [
    (image(), CELL, {**ZERO, **GEMINI}),
    (ended(90, endReason="user_ended", endedBy="learner", disconnectCode=1000),
     (PK, "2026-11-10#gemini#coach#clean#gemini#learner"),
     {**ZERO, **GEMINI, "endedSessions": 1, "durationSecondsSum": 90, "endReason_user_ended": 1, "code_1000": 1}),
    (ended(1.5, endedBy="learner"), (PK, "2026-11-10#gemini#coach#clean#gemini#learner"),
     {**ZERO, **GEMINI, "endedSessions": 1, "durationSecondsSum": 1.5}),
    (ended(-5, endedBy="learner"), (PK, "2026-11-10#gemini#coach#clean#gemini#learner"),
     {**ZERO, **GEMINI, "endedSessions": 1, "durationSecondsSum": 0}),           # clock skew: never negative
    (image(status="ended"), (PK, "2026-11-10#gemini#coach#clean#gemini#other"),  # ended, no endedBy, no endedAt
     {**ZERO, **GEMINI, "endedSessions": 1}),
    (image(provider="openai", switchCount=2), (PK, "2026-11-10#openai#coach#clean#gemini#active"),
     {**ZERO, **GEMINI, "switchedSessions": 1, "switchCountSum": 2, "cause_unknown": 2}),   # switches not in the story
    (image(provider=None, mode=None, initialProvider=None), (PK, "2026-11-10#unknown#unknown#clean#unknown#active"),
     {**ZERO, "conn_other": 1}),
    (image(provider="claude", mode="exam", initialProvider="claude"),
     (PK, "2026-11-10#other#other#clean#other#active"), {**ZERO, "conn_other": 1}),
    (image(startDay=None, startedAt=1_793_491_199_999),
     ("month#2026-10", "2026-10-31#gemini#coach#clean#gemini#active"), {**ZERO, **GEMINI}),
    (ended(60, endReason="time-out/x", endedBy="made-up"), (PK, "2026-11-10#gemini#coach#clean#gemini#other"),
     {**ZERO, **GEMINI, "endedSessions": 1, "durationSecondsSum": 60, "endReason_time_out_x": 1}),
    (image(endReason="stale"), CELL, {**ZERO, **GEMINI}),                           # counted once ended
    (ended(120, endedBy="client_vanished", endReason="timeout"),
     (PK, "2026-11-10#gemini#coach#clean#gemini#client_vanished"),
     {**ZERO, **GEMINI, "endedSessions": 1, "durationSecondsSum": 120, "endReason_timeout": 1}),
    (ended(180, provider="openai", switchCount=1, endedBy="learner", endReason="user_ended", disconnectCode=1000,
           creditedSeconds=10, story=SEED_STORY),
     (PK, "2026-11-10#openai#coach#clean#gemini#learner"),
     {**ZERO, "endedSessions": 1, "durationSecondsSum": 180, "switchedSessions": 1, "switchCountSum": 1,
      "endReason_user_ended": 1, "code_1000": 1, "creditedSecondsSum": 10, "reconnects": 1, "conn_gemini": 1,
      "conn_openai": 1, "failc_gemini_1011": 1, "cause_1011": 1, "failedSessions": 1}),
    (ended(30, endedBy="provider", endReason="error", disconnectCode=1011),     # ended by the provider: failed
     (PK, "2026-11-10#gemini#coach#abnormal#gemini#provider"),
     {**ZERO, **GEMINI, "endedSessions": 1, "durationSecondsSum": 30, "endReason_error": 1, "code_1011": 1,
      "failedSessions": 1}),
], ids=["active", "ended-1000", "ms-precision", "negative", "ended-without-endedBy", "switched", "missing",
        "outside-the-sets", "day-from-ms", "reason-chars", "reason-not-ended", "swept", "seed-scenario",
        "ended-by-provider"])
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


@pytest.mark.parametrize("entry, counted", [
    (server("heartbeat_gap", 5_000, **{"from": T, "to": T + 5_000}), False),
    (client("provider_connected", 5_000, connectMs=300), False),                # the provider already in use
    (client("provider_connected", 5_000, "openai"), True),                      # a connection elsewhere
    (client("reconnect_attempt", 5_000), True),
    (client("provider_disconnected", 5_000, code=1000), False),                 # a normal closure: no failure
    (client("provider_disconnected", 5_000, code=1002), False),                 # no known side: no failure
    (client("provider_disconnected", 5_000, code=1006), True),
])
def test_which_story_entries_change_the_cell(entry, counted):
    """A stream record that changes nothing counted writes nothing (the ledger's "unchanged")."""
    base = [server("started", 0, provider="gemini"), client("provider_connected", 1_000)]
    before, after = contribution(image(story=base)), contribution(image(story=base + [entry]))
    assert bool(contribution_delta(before, after)) is counted


# --------------------------------------------------------------------------- bounded keys and names
@pytest.mark.parametrize("made_up", [1234, 4999, 3000, 1002])
def test_a_made_up_close_code_makes_no_new_cell_key_nor_counter(made_up):
    """Its key is "other" wherever a code is counted: the end's code, a failure, a switch's cause."""
    def session(code: int) -> dict:
        return ended(60, endedBy="network", endReason="disconnect", disconnectCode=code, switchCount=1,
                     provider="openai", story=[client("provider_disconnected", 1_000, code=code),
                                               server("provider_switched", 2_000, **{"from": "gemini", "to": "openai",
                                                                                     "code": code})])
    made = contribution(session(made_up))
    assert (code_key(made_up), close_part(made_up)) == ("other", "abnormal")
    assert made.sk == contribution(session(1006)).sk         # the same cell as a known network code
    assert "code_other" in made.values and "cause_other" in made.values
    assert not [name for name in made.values if str(made_up) in name]


def test_cell_keys_and_counter_names_are_a_bounded_set():
    """Every close code, every endedBy, both statuses, switches and failures with any code:
    80 cell keys a day at most (2 providers x 2 modes x 2 initial providers x 10 (close,
    endedBy) pairs), and counter names from a fixed list."""
    codes = [None, 1000, 1001, 1006, 1011, 1012, 1013, 1002, 1234, 3000, 4000, 4999]
    by_code = {None: "learner", 1000: "learner", 1011: "provider", 1012: "provider", 1013: "provider",
               4000: "provider", 4999: "provider"}
    keys, names = set(), set()
    for provider in ("gemini", "openai"):
        for initial in ("gemini", "openai"):
            for mode in ("free", "coach"):
                other = "openai" if initial == "gemini" else "gemini"
                for code in codes:
                    timeline = [client("provider_disconnected", 1_000, initial, code=code or 1006),
                                client("reconnect_attempt", 1_500, initial),
                                server("provider_switched", 2_000, **{"from": initial, "to": other, "code": code}),
                                client("provider_disconnected", 3_000, other, code=code or 1011)]
                    common = dict(provider=provider, mode=mode, initialProvider=initial, story=timeline,
                                  switchCount=2, creditedSeconds=5)
                    sessions = [image(**common)]
                    for ended_by in ("limit", "client_vanished", "superseded", by_code.get(code, "network")):
                        sessions.append(ended(60, endedBy=ended_by, disconnectCode=code, **common))
                    for session in sessions:
                        part = contribution(session)
                        keys.add(part.sk)
                        names.update(part.values)
    assert len(keys) == 80
    failure_keys = ("1001", "1006", "1011", "1012", "1013", "other")
    allowed = ({"sessions", "endedSessions", "durationSecondsSum", "switchedSessions", "switchCountSum",
                "creditedSecondsSum", "failedSessions", "reconnects", "endReason_"}
               | {f"code_{k}" for k in ("1000", *failure_keys)}
               | {f"conn_{p}" for p in ("gemini", "openai")}
               | {f"failc_{p}_{k}" for p in ("gemini", "openai") for k in failure_keys}
               | {f"cause_{k}" for k in ("none", "1000", *failure_keys, "unknown")})
    assert {n for n in names if not n.startswith("endReason_")} <= allowed


def test_a_month_of_every_reachable_cell_fits_in_four_query_pages():
    """The worst case: 31 days x 80 cells, each holding every counter at 7 digits, the latency
    histograms' 48 included (1.8 MB without them). A real month holds far fewer counters per
    cell (docs/admin.md: one page)."""
    from speakpho.item_size import item_size
    from speakpho import ddb

    failure_keys = ("1001", "1006", "1011", "1012", "1013", "other")
    counters = {n: 1_234_567 for n in (
        "sessions", "endedSessions", "switchedSessions", "switchCountSum", "creditedSecondsSum",
        "failedSessions", "reconnects", "endReason_limit_reached", "conn_gemini", "conn_openai",
        *[f"code_{k}" for k in failure_keys], *[f"failc_{p}_{k}" for p in ("gemini", "openai") for k in failure_keys],
        *[f"cause_{k}" for k in ("none", "1000", *failure_keys, "unknown")],
        *[f"{prefix}{p}_{i}" for prefix in ("lat_", "fa_") for p in ("gemini", "openai") for i in range(12)])}
    pairs = [("clean", "active"), ("clean", "learner"), ("abnormal", "provider"), ("abnormal", "network"),
             *[(c, e) for e in ("limit", "client_vanished", "superseded") for c in ("clean", "abnormal")]]
    size = sum(item_size(ddb.serialize({"pk": PK, "sk": f"2026-11-{d:02d}#{p}#{m}#{c}#{i}#{e}",
                                        "durationSecondsSum": 123_456_789.123, **counters}))
               for d in range(1, 32) for p in ("gemini", "openai") for m in ("free", "coach")
               for i in ("gemini", "openai") for c, e in pairs)
    assert size < 4 * 1024 * 1024


# --------------------------------------------------------------------------- cells from before the story
@pytest.mark.parametrize("sk, values, parsed, extra", [
    ("2026-11-10#gemini#coach#1006", {"sessions": 2, "endedSessions": 2},
     ("gemini", "coach", "abnormal", "unknown", "unknown", "unknown"), {"code_1006": 2}),
    ("2026-11-10#openai#free#none", {"sessions": 3, "endedSessions": 1},
     ("openai", "free", "clean", "unknown", "unknown", "unknown"), {}),
    ("2026-11-10#gemini#coach#1000", {"sessions": 1}, ("gemini", "coach", "clean", "unknown", "unknown", "unknown"),
     {"code_1000": 1}),
    ("2026-11-10#unknown#unknown#4000", {"sessions": 1},
     ("unknown", "unknown", "abnormal", "unknown", "unknown", "unknown"), {"code_other": 1}),
    ("2026-11-10#gemini#coach#1011", {"sessions": 0}, ("gemini", "coach", "abnormal", "unknown", "unknown", "unknown"),
     {}),
    ("2026-11-10#gemini#coach#abnormal#gemini#network", {"sessions": 1},
     ("gemini", "coach", "abnormal", "gemini", "network", "ended"), {}),
], ids=["old-1006", "old-none", "old-1000", "old-4000", "old-emptied", "new"])
def test_cells_old_and_new_parse(sk, values, parsed, extra):
    cell = cell_from_item({"pk": PK, "sk": sk, **values})
    assert cell.day == "2026-11-10"
    assert (cell.provider, cell.mode, cell.close, cell.initial_provider, cell.ended_by, cell.status) == parsed
    assert cell.values == {**values, **extra}


def test_a_cell_from_before_counts_only_without_the_new_filters():
    old = cell_from_item({"pk": PK, "sk": "2026-11-10#gemini#coach#1006", "sessions": 1})
    assert cell_matches(old, HealthFilter(DAY, DAY, provider="gemini", has_disconnect=True))
    for new_filter in ({"initial_provider": "gemini"}, {"ended_by": "network"}, {"status": "ended"},
                       {"status": "active"}):
        assert not cell_matches(old, HealthFilter(DAY, DAY, **new_filter)), new_filter


# --------------------------------------------------------------------------- deltas
ACTIVE = Contribution(*CELL, dict(ZERO))
DONE = Contribution(*CELL, {**ZERO, "endedSessions": 1, "durationSecondsSum": 90, "endReason_user_ended": 1})
MOVED = Contribution(PK, "2026-11-10#openai#coach#abnormal#gemini#provider",
                     {**ZERO, "switchedSessions": 1, "switchCountSum": 1})
OLD = Contribution(PK, "2026-11-10#gemini#coach#none", dict(ZERO))     # a ledger from before the story
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
    (OLD, ACTIVE, {(OLD.pk, OLD.sk): {"sessions": -1}, CELL: {"sessions": 1}}),   # moved out of the old cell
    (SHORT, LONGER, {CELL: {"durationSecondsSum": 0.2}}),                     # float noise rounded away
    (HALF, TWO_AND_HALF, {CELL: {"durationSecondsSum": 1}}),                  # a whole float becomes an int
], ids=["nothing", "insert", "remove", "same", "end", "un-end", "move", "from-old-cell", "float", "float-int"])
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
    (4000, "other", True),            # a code outside the table is still abnormal
])
def test_close_code_classification(code, key, disconnect):
    session = ended(30, disconnectCode=code, endedBy="learner")
    assert code_key(code) == key
    cell = cell_from_session(session)
    assert (cell.close == "abnormal") is disconnect
    assert cell_matches(cell, HealthFilter(DAY, DAY, has_disconnect=True)) is disconnect
    assert cell_matches(cell, HealthFilter(DAY, DAY, has_disconnect=False)) is not disconnect


# --------------------------------------------------------------------------- list rows
ROWS = [image(sessionId="a", provider="gemini", mode="free"),
        ended(10, sessionId="b", provider="openai", initialProvider="openai", mode="coach", disconnectCode=1006,
              endedBy="network"),
        ended(10, sessionId="c", provider="gemini", mode="coach", disconnectCode=1000, endedBy="learner"),
        ended(10, sessionId="d", provider="openai", mode="free", disconnectCode=1011, endedBy="provider",
              switchCount=1),
        ended(10, sessionId="e", provider="gemini", mode="free", endedBy="client_vanished")]


@pytest.mark.parametrize("filters, expected", [
    ({}, "abcde"),
    ({"provider": "openai"}, "bd"),
    ({"mode": "free"}, "ade"),
    ({"has_disconnect": True}, "bd"),
    ({"has_disconnect": False}, "ace"),
    ({"provider": "gemini", "has_disconnect": False, "mode": "coach"}, "c"),
    ({"provider": "openai", "mode": "coach", "has_disconnect": False}, ""),
    ({"initial_provider": "gemini"}, "acde"),
    ({"initial_provider": "openai"}, "b"),
    ({"ended_by": "provider"}, "d"),
    ({"ended_by": "client_vanished"}, "e"),
    ({"ended_by": "limit"}, ""),
    ({"status": "active"}, "a"),
    ({"status": "ended"}, "bcde"),
    ({"status": "ended", "initial_provider": "gemini", "provider": "openai"}, "d"),
])
def test_list_rows_are_selected_like_the_cells(filters, expected):
    flt = HealthFilter(DAY, DAY, **filters)
    assert "".join(r["sessionId"] for r in matching_rows(ROWS, flt)) == expected

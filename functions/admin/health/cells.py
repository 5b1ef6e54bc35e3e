"""Rollup cells: what one session image adds to the session_rollups table. Pure functions.

Every session counts in exactly one *cell*, keyed by its UTC start day and five bounded parts:

    pk = "month#2026-11"
    sk = "2026-11-20#gemini#coach#abnormal#gemini#network"
          day        final  mode  close    initial endedBy

(pk from speakpho.tables.rollup_cell_pk). Parts: the final and the initial provider
(speakpho.enums.PROVIDERS, "other", "unknown" when missing), the mode (MODES likewise), the
close ("abnormal": ended with a close code other than 1000, else "clean"), and endedBy
(speakpho.story.ENDED_BY, "active" while the session is live, "other" for an ended session
with none of the six). Stats for any combination of the filters are a sum of cells.

The exact close code is a counter, not a key part: `code_<key>` with key =
speakpho.story.code_key (codes of the table, else "other"), so a made-up code adds no cell
and no attribute. The close part and endedBy are what the hasDisconnect, endedBy and status
filters need; from valid sessions a day holds at most 2 x 2 x 2 x 10 = 80 cells (providers,
modes, initial providers, and the 10 reachable (close, endedBy) pairs), so a month is one
Query page (see docs/admin.md, "Rollups").

Counters: sessions, endedSessions, durationSecondsSum, switchedSessions, switchCountSum,
endReason_<reason>, creditedSecondsSum, code_<key>, and the story's (admin.health.reliability):
conn_<provider>, failc_<provider>_<key>, cause_<key>, failedSessions, reconnects; and the
latency histograms the end reported (admin.health.latency): lat_<provider>_<i>, fa_<provider>_<i>.

Cells written before the story (sk "day#provider#mode#<close code>") still parse: their
code becomes a code_<key> counter, initial provider and endedBy are "unknown".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from speakpho import close_codes, story
from speakpho.enums import MODES, PROVIDERS
from speakpho.tables import rollup_cell_pk

from admin.health.latency import latency_counters
from admin.health.reliability import UNKNOWN, bounded, initial_provider, session_counters

if TYPE_CHECKING:
    from admin.health.filters import HealthFilter

NO_CODE = "none"
CLEAN, ABNORMAL = "clean", "abnormal"
ACTIVE, OTHER = "active", "other"
END_REASON_PREFIX = "endReason_"
CODE_PREFIX = "code_"
# Counters every contribution carries (zeros included); the others only when not zero.
COUNTERS = ("sessions", "endedSessions", "durationSecondsSum", "switchedSessions", "switchCountSum")

_REASON_PATTERN = re.compile(r"[^A-Za-z0-9_]")


def code_key(code) -> str:
    """A close code as a counter name: the table's codes, else "other"; "none" without one."""
    return story.code_key(None if code is None else int(code))


def close_part(code) -> str:
    """"abnormal" for a close code other than 1000, else "clean" (what hasDisconnect reads)."""
    return ABNORMAL if close_codes.is_disconnect(None if code is None else int(code)) else CLEAN


def ended_by_part(session: dict) -> str:
    if session.get("status") != "ended":
        return ACTIVE
    ended_by = session.get("endedBy")
    return ended_by if ended_by in story.ENDED_BY else OTHER


def cell_sk(day: str, provider: str, mode: str, close: str, initial: str, ended_by: str) -> str:
    return f"{day}#{provider}#{mode}#{close}#{initial}#{ended_by}"


def end_reason_counter(reason: str) -> str:
    return END_REASON_PREFIX + _REASON_PATTERN.sub("_", reason)


@dataclass(frozen=True)
class Contribution:
    """What one session adds to one rollup cell."""
    pk: str
    sk: str
    values: dict = field(default_factory=dict)


def session_day(session: dict) -> str:
    day = session.get("startDay")
    if day:
        return str(day)
    return datetime.fromtimestamp(int(session["startedAt"]) / 1000, tz=timezone.utc).strftime("%Y-%m-%d")


def duration_seconds(session: dict) -> float:
    """endedAt - startedAt of an ended session, in seconds (ms precision)."""
    if session.get("status") != "ended" or session.get("endedAt") is None:
        return 0
    elapsed_ms = max(0, int(session["endedAt"]) - int(session["startedAt"]))
    return elapsed_ms // 1000 if elapsed_ms % 1000 == 0 else elapsed_ms / 1000


def contribution(session: dict | None, shards: int = 1) -> Contribution | None:
    """The cell a session image counts in, and what it adds there (None: counts nowhere).
    The cell's month partition is one of `shards` (Settings.rollup_shards), chosen by the
    session id: a session always adds to the same shard."""
    if not session:
        return None
    if session.get("startedAt") is None:
        raise ValueError(f"session {session.get('sessionId')!r} has no startedAt")
    day = session_day(session)
    ended = session.get("status") == "ended"
    switch_count = int(session.get("switchCount") or 0)
    values = {
        "sessions": 1,
        "endedSessions": 1 if ended else 0,
        "durationSecondsSum": duration_seconds(session),
        "switchedSessions": 1 if switch_count > 0 else 0,
        "switchCountSum": switch_count,
    }
    if ended and session.get("endReason"):
        values[end_reason_counter(str(session["endReason"]))] = 1
    if session.get("creditedSeconds"):
        values["creditedSecondsSum"] = int(session["creditedSeconds"])
    code = session.get("disconnectCode")
    if code is not None:
        values[CODE_PREFIX + code_key(code)] = 1
    values.update(session_counters(session))
    values.update(latency_counters(session))
    sk = cell_sk(day, bounded(session.get("provider"), PROVIDERS), bounded(session.get("mode"), MODES),
                 close_part(code), bounded(initial_provider(session), PROVIDERS), ended_by_part(session))
    return Contribution(pk=rollup_cell_pk(day, str(session.get("sessionId") or ""), shards), sk=sk, values=values)


def contribution_delta(applied: Contribution | None, target: Contribution | None) -> dict[tuple[str, str], dict]:
    """Per cell, what to ADD to move from `applied` to `target` (zero changes left out)."""
    deltas: dict[tuple[str, str], dict] = {}
    for sign, part in ((-1, applied), (1, target)):
        if part is None:
            continue
        cell = deltas.setdefault((part.pk, part.sk), {})
        for name, value in part.values.items():
            cell[name] = cell.get(name, 0) + sign * value
    cleaned = {}
    for key, values in deltas.items():
        nonzero = {}
        for name, value in values.items():
            value = round(value, 3) if isinstance(value, float) else value
            if value:
                nonzero[name] = int(value) if float(value).is_integer() else value
        if nonzero:
            cleaned[key] = nonzero
    return cleaned


@dataclass(frozen=True)
class Cell:
    day: str
    provider: str
    mode: str
    close: str                 # "clean" | "abnormal"
    initial_provider: str
    ended_by: str              # one of story.ENDED_BY, "active", "other"; "unknown" in a cell from before
    values: dict

    def count(self, name: str) -> float:
        return self.values.get(name, 0) or 0

    @property
    def status(self) -> str:
        """"active" or "ended"; "unknown" for a cell from before the story (it mixes both)."""
        if self.ended_by == UNKNOWN:
            return UNKNOWN
        return "active" if self.ended_by == ACTIVE else "ended"


def cell_from_item(item: dict) -> Cell:
    values = {k: v for k, v in item.items() if k not in ("pk", "sk")}
    parts = item["sk"].split("#")
    if len(parts) == 4:        # written before the story: day#provider#mode#<close code or "none">
        day, provider, mode, code = parts
        number = int(code) if code.isdigit() else None
        if number is not None and values.get("sessions"):
            name = CODE_PREFIX + code_key(number)
            values[name] = values.get(name, 0) + values["sessions"]
        return Cell(day=day, provider=provider, mode=mode, close=close_part(number), initial_provider=UNKNOWN,
                    ended_by=UNKNOWN, values=values)
    day, provider, mode, close, initial, ended_by = parts
    return Cell(day=day, provider=provider, mode=mode, close=close, initial_provider=initial, ended_by=ended_by,
                values=values)


def cell_from_session(session: dict) -> Cell:
    part = contribution(session)
    return cell_from_item({"pk": part.pk, "sk": part.sk, **part.values})


def cell_matches(cell: Cell, flt: HealthFilter) -> bool:
    """The one meaning of the filters: for rollup cells, and for session rows through
    cell_from_session."""
    if flt.provider is not None and cell.provider != flt.provider:
        return False
    if flt.mode is not None and cell.mode != flt.mode:
        return False
    if flt.has_disconnect is not None and (cell.close == ABNORMAL) != flt.has_disconnect:
        return False
    if flt.initial_provider is not None and cell.initial_provider != flt.initial_provider:
        return False
    if flt.ended_by is not None and cell.ended_by != flt.ended_by:
        return False
    if flt.status is not None and cell.status != flt.status:
        return False
    return flt.day_from.isoformat() <= cell.day <= flt.day_to.isoformat()

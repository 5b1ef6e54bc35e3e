"""Rollup cells: what one session image adds to the session_rollups table. Pure functions.

Every session counts in exactly one *cell*, keyed by its UTC start day, final provider,
mode and close code:
    pk = "month#2026-11"   sk = "2026-11-20#gemini#coach#1006"   (no close code: "#none")
(pk from speakpho.tables.rollup_cell_pk). A cell holds counters (sessions, endedSessions,
durationSecondsSum, switchedSessions, switchCountSum, endReason_<reason>). Stats for any
combination of the provider, mode and hasDisconnect filters are a sum of cells.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from speakpho import close_codes
from speakpho.tables import rollup_cell_pk

if TYPE_CHECKING:
    from admin.health.filters import HealthFilter

NO_CODE = "none"
END_REASON_PREFIX = "endReason_"
# Counters of a cell; endReason_<reason> counters come on top.
COUNTERS = ("sessions", "endedSessions", "durationSecondsSum", "switchedSessions", "switchCountSum")

_REASON_PATTERN = re.compile(r"[^A-Za-z0-9_]")


def close_code_key(session: dict) -> str:
    code = session.get("disconnectCode")
    return NO_CODE if code is None else str(int(code))


def is_disconnect(code_key: str) -> bool:
    """hasDisconnect, for a cell's close code key (speakpho.close_codes decides which codes)."""
    return code_key != NO_CODE and close_codes.is_disconnect(int(code_key))


def cell_sk(day: str, provider: str, mode: str, code_key: str) -> str:
    return f"{day}#{provider}#{mode}#{code_key}"


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


def contribution(session: dict | None) -> Contribution | None:
    """The cell a session image counts in, and what it adds there (None: counts nowhere)."""
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
    return Contribution(pk=rollup_cell_pk(day),
                        sk=cell_sk(day, str(session.get("provider") or "unknown"),
                                   str(session.get("mode") or "unknown"), close_code_key(session)),
                        values=values)


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
    code: str
    values: dict

    def count(self, name: str) -> float:
        return self.values.get(name, 0) or 0


def cell_from_item(item: dict) -> Cell:
    day, provider, mode, code = item["sk"].split("#", 3)
    values = {k: v for k, v in item.items() if k not in ("pk", "sk")}
    return Cell(day=day, provider=provider, mode=mode, code=code, values=values)


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
    if flt.has_disconnect is not None and is_disconnect(cell.code) != flt.has_disconnect:
        return False
    return flt.day_from.isoformat() <= cell.day <= flt.day_to.isoformat()

"""Stats and the time series of a filter, summed from rollup cells.

Any combination of the filters is a sum of cells, read with one Query per month in range,
so the cost follows the days in range and never the number of sessions. With a userId the
cells are built from that user's sessions instead.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho import close_codes, story
from speakpho.enums import PROVIDERS

from admin.health import latency, reliability
from admin.health.cells import (CODE_PREFIX, END_REASON_PREFIX, Cell, cell_from_item, cell_from_session,
                                cell_matches)
from admin.health.reliability import prefixed_counts, rate

if TYPE_CHECKING:
    from admin.health.filters import HealthFilter
    from admin.health.ports import CellSource

OTHER_CODES = {"label": "Other codes", "cause": "Codes outside the table", "side": "unknown"}


def close_code_labels() -> dict[str, str]:
    return {str(code): label for code, label in close_codes.CLOSE_CODE_LABELS.items()}


def close_code_table() -> dict[str, dict]:
    """Every code key a breakdown can show: the table's codes, and "other"."""
    table = {str(c.code): {"label": c.label, "cause": c.cause, "side": c.side}
             for c in close_codes.CLOSE_CODES.values()}
    return {**table, "other": dict(OTHER_CODES)}


def _avg_minutes(duration_sum: float, ended: float) -> float:
    return round(duration_sum / ended / 60, 2) if ended else 0


def _ended_by(cells: list[Cell]) -> dict[str, int]:
    """Ended sessions by who ended them: the six always; "other"/"unknown" when present."""
    counts = {e: 0 for e in story.ENDED_BY}
    for cell in cells:
        ended = int(cell.count("endedSessions"))
        if ended and cell.ended_by != "active":
            counts[cell.ended_by] = counts.get(cell.ended_by, 0) + ended
    return counts


def stats_view(cells: list[Cell]) -> dict:
    total = ended = duration = switched = switches = credited = 0
    providers: dict[str, int] = {p: 0 for p in PROVIDERS}
    for cell in cells:
        sessions = int(cell.count("sessions"))
        total += sessions
        ended += int(cell.count("endedSessions"))
        duration += cell.count("durationSecondsSum")
        switched += int(cell.count("switchedSessions"))
        switches += int(cell.count("switchCountSum"))
        credited += int(cell.count("creditedSecondsSum"))
        if sessions or cell.provider in providers:
            providers[cell.provider] = providers.get(cell.provider, 0) + sessions
    reasons = prefixed_counts(cells, END_REASON_PREFIX)
    return {
        "totalSessions": total,
        "endedSessions": ended,
        "avgDuration": _avg_minutes(duration, ended),
        "providerBreakdown": providers,
        "disconnectBreakdown": prefixed_counts(cells, CODE_PREFIX),
        "providerSwitchRate": rate(switched, total),
        "totalSwitches": switches,
        "endReasonBreakdown": {r: reasons[r] for r in sorted(reasons)},
        "endedByBreakdown": _ended_by(cells),
        "creditedSeconds": credited,
        "byInitialProvider": reliability.by_initial_provider(cells),
        "providerReliability": reliability.provider_reliability(cells),
        "providerLatency": latency.provider_latency(cells),
        "switchCauses": reliability.switch_causes(cells),
        "closeCodes": close_code_table(),
        "closeCodeLabels": close_code_labels(),
    }


def series_view(cells: list[Cell], flt: HealthFilter) -> list[dict]:
    """One entry per day in range (oldest first), zeros included. `switches` counts the
    switches (switchCount summed), `switchedSessions` the sessions that switched at least once."""
    by_day: dict[str, list[Cell]] = {}
    for cell in cells:
        by_day.setdefault(cell.day, []).append(cell)
    series = []
    for day in flt.days():
        day_cells = by_day.get(day, [])
        sessions = sum(int(c.count("sessions")) for c in day_cells)
        ended = sum(int(c.count("endedSessions")) for c in day_cells)
        switched = sum(int(c.count("switchedSessions")) for c in day_cells)
        series.append({
            "date": day,
            "sessions": sessions,
            "endedSessions": ended,
            "avgDuration": _avg_minutes(sum(c.count("durationSecondsSum") for c in day_cells), ended),
            "switches": sum(int(c.count("switchCountSum")) for c in day_cells),
            "switchedSessions": switched,
            "switchRate": rate(switched, sessions),
            "disconnects": prefixed_counts(day_cells, CODE_PREFIX),
            "failuresByProvider": reliability.failures_by_provider(day_cells),
        })
    return series


def filtered_cells(store: CellSource, flt: HealthFilter) -> list[Cell]:
    """Rollup cells matching the filter: one Query per shard of each month in range
    (Settings.rollup_shards); a cell's shards are separate cells here, and every view adds them up.

    With a userId the cells are built from that user's sessions in range instead
    (cost grows with that user's sessions, not the table)."""
    if flt.user_id:
        cells = [cell_from_session(s) for s in store.user_sessions_in_range(flt.user_id, flt.start_ms, flt.end_ms)]
    else:
        cells = [cell_from_item(i) for i in store.rollup_cells(flt.day_from.isoformat(), flt.day_to.isoformat())]
    return [c for c in cells if cell_matches(c, flt)]


def session_series(store: CellSource, flt: HealthFilter) -> dict:
    return {"from": flt.day_from.isoformat(), "to": flt.day_to.isoformat(),
            "series": series_view(filtered_cells(store, flt), flt)}

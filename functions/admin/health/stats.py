"""Stats and the time series of a filter, summed from rollup cells.

Any combination of the provider, mode and hasDisconnect filters is a sum of cells, read
with one Query per month in range, so the cost follows the days in range and never the
number of sessions. With a userId the cells are built from that user's sessions instead.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho.close_codes import CLOSE_CODE_LABELS
from speakpho.models import PROVIDERS

from admin.health.cells import END_REASON_PREFIX, NO_CODE, Cell, cell_from_item, cell_from_session, cell_matches

if TYPE_CHECKING:
    from admin.health.filters import HealthFilter
    from admin.health.ports import CellSource


def close_code_labels() -> dict[str, str]:
    return {str(code): label for code, label in CLOSE_CODE_LABELS.items()}


def _avg_minutes(duration_sum: float, ended: float) -> float:
    return round(duration_sum / ended / 60, 2) if ended else 0


def _rate(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0


def _code_order(code: str) -> tuple[int, str]:
    return (int(code), code) if code.isdigit() else (10 ** 9, code)


def stats_view(cells: list[Cell]) -> dict:
    total = ended = duration = switched = switches = 0
    providers: dict[str, int] = {p: 0 for p in PROVIDERS}
    codes: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for cell in cells:
        sessions = int(cell.count("sessions"))
        total += sessions
        ended += int(cell.count("endedSessions"))
        duration += cell.count("durationSecondsSum")
        switched += int(cell.count("switchedSessions"))
        switches += int(cell.count("switchCountSum"))
        if sessions or cell.provider in providers:
            providers[cell.provider] = providers.get(cell.provider, 0) + sessions
        if cell.code != NO_CODE and sessions:
            codes[cell.code] = codes.get(cell.code, 0) + sessions
        for name, value in cell.values.items():
            if name.startswith(END_REASON_PREFIX) and value:
                reason = name[len(END_REASON_PREFIX):]
                reasons[reason] = reasons.get(reason, 0) + int(value)
    return {
        "totalSessions": total,
        "endedSessions": ended,
        "avgDuration": _avg_minutes(duration, ended),
        "providerBreakdown": providers,
        "disconnectBreakdown": {c: codes[c] for c in sorted(codes, key=_code_order) if codes[c]},
        "providerSwitchRate": _rate(switched, total),
        "totalSwitches": switches,
        "endReasonBreakdown": {r: reasons[r] for r in sorted(reasons) if reasons[r]},
        "closeCodeLabels": close_code_labels(),
    }


def series_view(cells: list[Cell], flt: HealthFilter) -> list[dict]:
    """One entry per day in range (oldest first), zeros included."""
    by_day: dict[str, list[Cell]] = {}
    for cell in cells:
        by_day.setdefault(cell.day, []).append(cell)
    series = []
    for day in flt.days():
        day_cells = by_day.get(day, [])
        sessions = sum(int(c.count("sessions")) for c in day_cells)
        ended = sum(int(c.count("endedSessions")) for c in day_cells)
        switched = sum(int(c.count("switchedSessions")) for c in day_cells)
        codes: dict[str, int] = {}
        for c in day_cells:
            if c.code != NO_CODE and c.count("sessions"):
                codes[c.code] = codes.get(c.code, 0) + int(c.count("sessions"))
        series.append({
            "date": day,
            "sessions": sessions,
            "endedSessions": ended,
            "avgDuration": _avg_minutes(sum(c.count("durationSecondsSum") for c in day_cells), ended),
            "switches": switched,
            "switchRate": _rate(switched, sessions),
            "disconnects": {c: codes[c] for c in sorted(codes, key=_code_order)},
        })
    return series


def filtered_cells(store: CellSource, flt: HealthFilter) -> list[Cell]:
    """Rollup cells matching the filter: one Query per month in range.

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

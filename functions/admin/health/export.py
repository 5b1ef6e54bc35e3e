"""The CSV export of the sessions a filter selects (header + one row per session).

Text a spreadsheet would run as a formula is prefixed with `'`. An export stops at
MAX_EXPORT_ROWS rows or MAX_EXPORT_BYTES (Lambda's synchronous response limit is 6 MB)
and says so.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from speakpho import close_codes
from speakpho.views import minutes

from admin.health.cells import duration_seconds
from admin.health.listing import admin_session_row, iter_sessions

if TYPE_CHECKING:
    from admin.health.filters import HealthFilter
    from admin.health.ports import SessionPages

CSV_COLUMNS = ("id", "userId", "userEmail", "startedAt", "endedAt", "durationMinutes", "provider",
               "initialProvider", "providerSwitched", "switchCount", "disconnectCode", "disconnectLabel",
               "disconnectReason", "endReason", "mode", "topic", "messageCount", "correctionCount", "minutesUsed",
               "endedBy", "switchCause", "reconnects", "creditedSeconds")
MAX_EXPORT_ROWS = 20_000       # keeps the body under Lambda's 6 MB response limit
MAX_EXPORT_BYTES = 5_500_000


def _iso(ms) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _safe_cell(value) -> str:
    """Text a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text and text[0] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def export_row(item: dict) -> list[str]:
    view = admin_session_row(item)
    code = view.get("disconnectCode")
    return [_safe_cell(v) for v in (
        view["id"], view.get("userId"), view.get("userEmail"), _iso(view.get("startedAt")),
        _iso(view.get("endedAt")), minutes(duration_seconds(item)) if item.get("status") == "ended" else "",
        view.get("provider"), view.get("initialProvider"), view.get("providerSwitched"), view.get("switchCount"),
        code, close_codes.label(int(code)) if code is not None else "", view.get("disconnectReason"),
        view.get("endReason"), view.get("mode"), view.get("topic"), view.get("messageCount"),
        view.get("correctionCount"), view.get("minutesUsed"), view.get("endedBy"), view.get("switchCause"),
        view.get("reconnects"), view.get("creditedSeconds"))]


@dataclass
class Export:
    body: str
    rows: int
    truncated: bool
    filename: str


def export_sessions(store: SessionPages, flt: HealthFilter, max_rows: int = MAX_EXPORT_ROWS,
                    max_bytes: int = MAX_EXPORT_BYTES) -> Export:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    rows, truncated = 0, False
    for item in iter_sessions(store, flt, page_size=min(1000, max_rows + 1)):
        if rows >= max_rows or out.tell() >= max_bytes:
            truncated = True
            break
        writer.writerow(export_row(item))
        rows += 1
    name = f"sessions_{flt.day_from.isoformat()}_{flt.day_to.isoformat()}.csv"
    return Export(body=out.getvalue(), rows=rows, truncated=truncated, filename=name)

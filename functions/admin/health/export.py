"""The CSV export of the sessions a filter selects (header + one row per session).

Text a spreadsheet would run as a formula is prefixed with `'`. An export stops at
MAX_EXPORT_ROWS rows or at `max_bytes` (the setting `export_max_bytes`) of what its body weighs
in the Lambda's response (`response_bytes`; Lambda's synchronous response limit is 6 MB), and
says so.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from speakpho import close_codes
from speakpho.enums import PROVIDERS
from speakpho.views import minutes

from admin.health.cells import duration_seconds
from admin.health.listing import admin_session_row, iter_sessions

if TYPE_CHECKING:
    from admin.health.filters import HealthFilter
    from admin.health.ports import SessionPages

# Two lengths, named for what they are: wallClockMinutes = endedAt - startedAt (what the cards'
# average reads), chargedMinutes = the minutes metered to the learner, credits taken off (the
# page's "Charged" column).
CSV_COLUMNS = ("id", "userId", "userEmail", "startedAt", "endedAt", "wallClockMinutes", "provider",
               "initialProvider", "providerSwitched", "switchCount", "disconnectCode", "disconnectLabel",
               "disconnectReason", "endReason", "mode", "topic", "messageCount", "correctionCount", "chargedMinutes",
               "endedBy", "switchCause", "reconnects", "creditedSeconds", "hadDrop",
               # The reply latency the session's end reported (admin.health.latency.session_latency).
               *(f"{provider}{figure}" for provider in PROVIDERS for figure in ("P50Ms", "P95Ms")))
MAX_EXPORT_ROWS = 20_000


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
        view.get("reconnects"), view.get("creditedSeconds"), view.get("hadDrop"), *_latency_cells(view.get("latency") or {}))]


def _latency_cells(latency: dict) -> list:
    """p50Ms and p95Ms per provider, empty where the end reported none for it."""
    return [(latency.get(provider) or {}).get(figure) for provider in PROVIDERS for figure in ("p50Ms", "p95Ms")]


@dataclass
class Export:
    body: str
    rows: int
    truncated: bool
    filename: str


def response_bytes(text: str) -> int:
    """What `text` weighs as the body of the Lambda's response, which is what counts against the
    6 MB limit: the proxy result is one JSON document, and the python3.12 runtime writes it
    without ASCII escapes, in UTF-8. So an emoji weighs 4 bytes, a Vietnamese letter 2 or 3, and
    `"` (doubled by CSV), `\\` and each character of a CRLF 2 bytes each. The body is text, never
    base64 (which would weigh 4/3 of its UTF-8), and what API Gateway sends on (UTF-8, unescaped)
    weighs no more."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8")) - 2   # less the quotes


def _csv_line(row) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(row)
    return out.getvalue()


def export_sessions(store: SessionPages, flt: HealthFilter, *, max_bytes: int,
                    max_rows: int = MAX_EXPORT_ROWS) -> Export:
    """The header and a row per session, newest first, while the body stays within `max_rows`
    rows and `max_bytes` of `response_bytes` (a row that would go over is left out)."""
    lines = [_csv_line(CSV_COLUMNS)]
    size = response_bytes(lines[0])
    rows, truncated = 0, False
    for item in iter_sessions(store, flt, page_size=min(1000, max_rows + 1)):
        line = _csv_line(export_row(item))
        weight = response_bytes(line)
        if rows >= max_rows or size + weight > max_bytes:
            truncated = True
            break
        lines.append(line)
        size += weight
        rows += 1
    name = f"sessions_{flt.day_from.isoformat()}_{flt.day_to.isoformat()}.csv"
    return Export(body="".join(lines), rows=rows, truncated=truncated, filename=name)

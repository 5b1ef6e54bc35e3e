"""Admin session health: stats, time series, the session list and the rollups behind them.

Domain logic only (plain data + a HealthStore); no HTTP.

Rollups: every session contributes to exactly one *cell* of the session_rollups table,
keyed by its UTC start day, final provider, mode and close code:
    pk = "month#2026-11"   sk = "2026-11-20#gemini#coach#1006"   (no close code: "#none")
A cell holds counters (sessions, endedSessions, durationSecondsSum, switchedSessions,
switchCountSum, endReason_<reason>). Stats for any combination of the provider, mode and
hasDisconnect filters are a sum of cells, read with one Query per month in range, so
their cost follows the days in range and never the number of sessions.

The stream processor keeps the cells exact with a per-session *ledger* row holding the
contribution it last applied and the session `version` it came from: each change moves
the cells from the applied contribution to the new one (a delta) and rewrites the ledger
in the same transaction. A replayed or older record (version not newer than the ledger)
changes nothing, and because the delta is taken against what was applied (not the
record's old image) a record skipped or delivered out of order cannot leave a cell wrong.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Iterator

from speakpho import close_codes
from speakpho.errors import Unprocessable

# speakpho.models and speakpho.views (pydantic) are imported where used: the rollup
# processor imports this module and needs neither.

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 7
NO_CODE = "none"
CELL_PK_PREFIX = "month#"
LEDGER_PK_PREFIX = "ledger#"
LEDGER_SK = "ledger"
END_REASON_PREFIX = "endReason_"
# Counters of a cell; endReason_<reason> counters come on top.
COUNTERS = ("sessions", "endedSessions", "durationSecondsSum", "switchedSessions", "switchCountSum")

_DAY_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_REASON_PATTERN = re.compile(r"[^A-Za-z0-9_]")


def _invalid(field_name: str, message: str) -> Unprocessable:
    """The same error shape as Powertools' own query validation."""
    name = f"query.{field_name}"
    return Unprocessable(f"invalid input: {name}", [{"field": name, "message": message, "type": "value_error"}])


# --------------------------------------------------------------------------- filters
@dataclass(frozen=True)
class HealthFilter:
    day_from: date
    day_to: date
    provider: str | None = None
    mode: str | None = None
    has_disconnect: bool | None = None
    user_id: str | None = None
    today: date | None = None

    @property
    def filters_rows(self) -> bool:
        """True when a day's (or user's) query must drop some of the rows it reads."""
        return self.provider is not None or self.mode is not None or self.has_disconnect is not None

    def days(self) -> list[str]:
        """Every UTC day in range, oldest first."""
        count = (self.day_to - self.day_from).days + 1
        return [(self.day_from + timedelta(days=i)).isoformat() for i in range(count)]

    @property
    def start_ms(self) -> int:
        return _day_start_ms(self.day_from)

    @property
    def end_ms(self) -> int:
        """Last millisecond of day_to."""
        return _day_start_ms(self.day_to + timedelta(days=1)) - 1


def _day_start_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() * 1000)


def _parse_day(raw: str, field_name: str) -> date:
    if not _DAY_PATTERN.match(raw):
        raise _invalid(field_name, "must be a UTC date YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise _invalid(field_name, "is not a calendar date") from None


def resolve_filter(*, today_ms: int, day_from: str | None, day_to: str | None, provider: str | None = None,
                   mode: str | None = None, has_disconnect: bool | None = None,
                   user_id: str | None = None) -> HealthFilter:
    """from/to are inclusive UTC days by session start; defaults: to = today, from = to - 6 days."""
    today = datetime.fromtimestamp(today_ms / 1000, tz=timezone.utc).date()
    end = _parse_day(day_to, "to") if day_to else today
    start = _parse_day(day_from, "from") if day_from else end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        raise _invalid("from", "must not be after to")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise _invalid("to", f"the range covers more than {MAX_RANGE_DAYS} days")
    return HealthFilter(day_from=start, day_to=end, provider=provider or None, mode=mode or None,
                        has_disconnect=has_disconnect, user_id=user_id or None, today=today)


# --------------------------------------------------------------------------- cells
def close_code_key(session: dict) -> str:
    code = session.get("disconnectCode")
    return NO_CODE if code is None else str(int(code))


def is_disconnect(code_key: str) -> bool:
    """hasDisconnect: ended with a close code other than 1000 (normal closure)."""
    return code_key != NO_CODE and close_codes.is_disconnect(int(code_key))


def cell_pk(day: str) -> str:
    return f"{CELL_PK_PREFIX}{day[:7]}"


def cell_sk(day: str, provider: str, mode: str, code_key: str) -> str:
    return f"{day}#{provider}#{mode}#{code_key}"


def ledger_key(session_id: str) -> dict:
    return {"pk": f"{LEDGER_PK_PREFIX}{session_id}", "sk": LEDGER_SK}


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
    return Contribution(pk=cell_pk(day),
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
    if flt.provider is not None and cell.provider != flt.provider:
        return False
    if flt.mode is not None and cell.mode != flt.mode:
        return False
    if flt.has_disconnect is not None and is_disconnect(cell.code) != flt.has_disconnect:
        return False
    return flt.day_from.isoformat() <= cell.day <= flt.day_to.isoformat()


# --------------------------------------------------------------------------- views
def close_code_labels() -> dict[str, str]:
    from speakpho.close_codes import CLOSE_CODE_LABELS

    return {str(code): label for code, label in CLOSE_CODE_LABELS.items()}


def _avg_minutes(duration_sum: float, ended: float) -> float:
    return round(duration_sum / ended / 60, 2) if ended else 0


def _rate(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0


def _code_order(code: str) -> tuple[int, str]:
    return (int(code), code) if code.isdigit() else (10 ** 9, code)


def stats_view(cells: list[Cell]) -> dict:
    from speakpho.models import PROVIDERS

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


def admin_session_row(item: dict) -> dict:
    """A list row: the shared session view with the user attached."""
    from speakpho.views import session_view

    return session_view(item, include_user=True)


# --------------------------------------------------------------------------- cells for a filter
def filtered_cells(store, flt: HealthFilter) -> list[Cell]:
    """Rollup cells matching the filter: one Query per month in range.

    With a userId the cells are built from that user's sessions in range instead
    (cost grows with that user's sessions, not the table)."""
    if flt.user_id:
        cells = [cell_from_session(s) for s in store.user_sessions_in_range(flt.user_id, flt.start_ms, flt.end_ms)]
    else:
        cells = [cell_from_item(i) for i in store.rollup_cells(flt.day_from.isoformat(), flt.day_to.isoformat())]
    return [c for c in cells if cell_matches(c, flt)]


def session_stats(store, flt: HealthFilter) -> dict:
    return stats_view(filtered_cells(store, flt))


def session_series(store, flt: HealthFilter) -> dict:
    return {"from": flt.day_from.isoformat(), "to": flt.day_to.isoformat(),
            "series": series_view(filtered_cells(store, flt), flt)}


# --------------------------------------------------------------------------- list
def _encode_cursor(partition: str, key: dict | None) -> str:
    raw = json.dumps({"p": partition, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, partitions: list[str]) -> tuple[int, dict | None]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid("cursor", "is not a cursor returned by this route") from None
    if not isinstance(value, dict) or value.get("p") not in partitions:
        raise _invalid("cursor", "does not belong to this range and filter")
    key = value.get("k")
    if key is not None and not (isinstance(key, dict) and isinstance(key.get("sessionId"), str)
                                and isinstance(key.get("startedAt"), int) and len(key) == 2):
        raise _invalid("cursor", "is not a cursor returned by this route")
    return partitions.index(value["p"]), key


def _partitions(flt: HealthFilter) -> list[str]:
    """Where the rows come from, newest first: each day of the range, or the one user."""
    if flt.user_id:
        return [f"user:{flt.user_id}"]
    return [f"day:{d}" for d in reversed(flt.days())]


def _position(item: dict) -> dict:
    return {"sessionId": item["sessionId"], "startedAt": int(item["startedAt"])}


def _read_limit(flt: HealthFilter, need: int) -> int:
    # A filtered query reads more rows than it returns; read in bigger steps then.
    return min(max(need, 100), 1000) if flt.filters_rows else need


def busy_days(flt: HealthFilter, cells: list[Cell]) -> set[str] | None:
    """Days whose list query can return rows: those with matching sessions in the rollups,
    plus today and yesterday (their newest changes may still be on the stream).
    None (query every partition) for a user's list, which is one query anyway."""
    if flt.user_id:
        return None
    days = {c.day for c in cells if c.count("sessions")}
    if flt.today:
        days |= {flt.today.isoformat(), (flt.today - timedelta(days=1)).isoformat()}
    return days


def page_sessions(store, flt: HealthFilter, limit: int, cursor: str | None = None,
                  days: set[str] | None = None) -> tuple[list[dict], str | None]:
    """Sessions in range, newest first: one query per day (or per user) until `limit` rows.

    `days` (from busy_days) skips the days known to hold no matching session."""
    partitions = _partitions(flt)
    start, start_key = _decode_cursor(cursor, partitions) if cursor else (0, None)
    rows: list[dict] = []
    for index in range(start, len(partitions)):
        partition = partitions[index]
        if days is not None and partition[len("day:"):] not in days:
            continue
        key = start_key if index == start else None
        while True:
            need = limit - len(rows)
            items, last = store.sessions_page(flt, partition, _read_limit(flt, need), key)
            if len(items) > need:
                rows.extend(items[:need])
                return rows, _encode_cursor(partition, _position(rows[-1]))
            rows.extend(items)
            if last is None:
                break
            key = last
            if len(rows) == limit:
                return rows, _encode_cursor(partition, key)
        if len(rows) == limit:
            following = next((p for p in partitions[index + 1:]
                              if days is None or p[len("day:"):] in days), None)
            return rows, (_encode_cursor(following, None) if following else None)
    return rows, None


def list_sessions(store, flt: HealthFilter, limit: int, cursor: str | None) -> dict:
    cells = filtered_cells(store, flt)
    items, next_cursor = page_sessions(store, flt, limit, cursor, busy_days(flt, cells))
    return {
        "sessions": [admin_session_row(i) for i in items],
        "stats": stats_view(cells),
        "nextCursor": next_cursor,
        "from": flt.day_from.isoformat(),
        "to": flt.day_to.isoformat(),
    }


def iter_sessions(store, flt: HealthFilter, page_size: int = 1000) -> Iterator[dict]:
    days = busy_days(flt, filtered_cells(store, flt))
    cursor = None
    while True:
        items, cursor = page_sessions(store, flt, page_size, cursor, days)
        yield from items
        if not cursor:
            return


# --------------------------------------------------------------------------- detail
def session_detail(store, session_id: str) -> dict:
    from speakpho.errors import NotFound
    from speakpho.views import correction_view, message_view, session_view

    session = store.get_session(session_id)
    if not session:
        raise NotFound("session not found")
    return {
        "session": session_view(session, include_user=True),
        "messages": [message_view(m) for m in store.session_messages(session_id)],
        "corrections": [correction_view(c) for c in store.session_corrections(session_id)],
    }


# --------------------------------------------------------------------------- export
CSV_COLUMNS = ("id", "userId", "userEmail", "startedAt", "endedAt", "durationMinutes", "provider",
               "initialProvider", "providerSwitched", "switchCount", "disconnectCode", "disconnectLabel",
               "disconnectReason", "endReason", "mode", "topic", "messageCount", "correctionCount", "minutesUsed")
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
    from speakpho.close_codes import label
    from speakpho.views import minutes

    view = admin_session_row(item)
    code = view.get("disconnectCode")
    return [_safe_cell(v) for v in (
        view["id"], view.get("userId"), view.get("userEmail"), _iso(view.get("startedAt")),
        _iso(view.get("endedAt")), minutes(duration_seconds(item)) if item.get("status") == "ended" else "",
        view.get("provider"), view.get("initialProvider"), view.get("providerSwitched"), view.get("switchCount"),
        code, label(int(code)) if code is not None else "", view.get("disconnectReason"),
        view.get("endReason"), view.get("mode"), view.get("topic"), view.get("messageCount"),
        view.get("correctionCount"), view.get("minutesUsed"))]


@dataclass
class Export:
    body: str
    rows: int
    truncated: bool
    filename: str


def export_sessions(store, flt: HealthFilter, max_rows: int = MAX_EXPORT_ROWS,
                    max_bytes: int = MAX_EXPORT_BYTES) -> Export:
    import csv
    import io

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


# --------------------------------------------------------------------------- rollup maintenance
LEDGER_ATTEMPTS = 5


def apply_session_change(store, session_id: str, new_image: dict | None, old_image: dict | None) -> str:
    """Moves the rollup cells to what the newest image of a session contributes.

    Returns "applied"; "skipped" for a replayed or superseded record and "unchanged" for a
    change the rollups do not count (nothing written in either case).
    """
    if new_image is not None:
        version = int(new_image.get("version") or 0)
    else:
        # Removed: supersedes every version the item ever had.
        version = int((old_image or {}).get("version") or 0) + 1
    target = contribution(new_image)
    for _ in range(LEDGER_ATTEMPTS):
        ledger = store.get_ledger(session_id)
        applied_version = None if ledger is None else int(ledger.get("appliedVersion", 0))
        applied = None
        if ledger and ledger.get("cellPk"):
            applied = Contribution(ledger["cellPk"], ledger["cellSk"], dict(ledger.get("values") or {}))
        if applied_version is not None and applied_version > version:
            return "skipped"            # an older record, delivered after a newer one
        deltas = contribution_delta(applied, target)
        if applied_version == version and not deltas:
            return "skipped"            # the same record again (a retry or a replay)
        if not deltas and ledger is not None and new_image is not None:
            # Nothing this view counts changed (the ledger already holds this contribution),
            # so nothing is written; a later replay of this record still finds no change.
            return "unchanged"
        if store.commit_rollup(session_id=session_id, seen_version=applied_version, version=version,
                               target=target, deltas=deltas):
            return "applied"
        # Another invocation moved the ledger meanwhile: read it again.
    raise RuntimeError(f"rollup ledger of session {session_id} kept changing; will retry")

"""The admin session list: newest first, one query per day (or per user), paged by cursor.

The list's rows are whole session items of one day (or of one user, with a userId), a page
read from a keys-only index and then from the table (admin.health_store), and are
filtered here with the cells' own predicate (cells.cell_matches on the row's cell), so a
row is listed exactly when it counts in the stats; hadDrop alone narrows only the rows
(reliability.had_drop: the story is not a part of a cell's key). The cells read for the stats tell
which days hold matching sessions, so empty days are not queried.
"""
from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Iterator

from speakpho import cursors
from speakpho.views import session_view

from admin.health import latency, reliability
from admin.health.cells import Cell, cell_from_session, cell_matches
from admin.health.stats import filtered_cells, stats_view

if TYPE_CHECKING:
    from admin.health.filters import HealthFilter
    from admin.health.ports import SessionPages

DAY, USER = "day:", "user:"


def admin_session_row(item: dict) -> dict:
    """A list row: the shared session view with the user attached (it carries status,
    endedBy and creditedSeconds), and from the story the first switch's cause and the
    reconnect attempts; the latency its end reported."""
    row = session_view(item, include_user=True)
    row["switchCause"] = reliability.switch_cause(item)
    row["reconnects"] = reliability.reconnects(item)
    row["hadDrop"] = reliability.had_drop(item)
    row["latency"] = latency.session_latency(item)
    return row


# --------------------------------------------------------------------------- cursor
def encode_cursor(partition: str, key: dict | None) -> str:
    """Where the next page starts: a partition, and the last row's key in it (None: its start)."""
    return cursors.encode({"p": partition, "k": key})


def decode_cursor(cursor: str, partitions: list[str]) -> tuple[int, dict | None]:
    """The index in `partitions` and the key to continue from; 400 invalid_cursor for
    anything this route did not make for this range and filter."""
    payload = cursors.decode(cursor)
    partition, key = payload.get("p"), payload.get("k")
    if not isinstance(partition, str) or partition not in partitions:
        raise cursors.invalid()
    if key is not None and not (isinstance(key, dict) and set(key) == {"sessionId", "startedAt"}
                                and cursors.is_str(key["sessionId"]) and cursors.is_int(key["startedAt"])):
        raise cursors.invalid()
    return partitions.index(partition), key


# --------------------------------------------------------------------------- paging
def partitions(flt: HealthFilter) -> list[str]:
    """Where the rows come from, newest first: each day of the range, or the one user."""
    if flt.user_id:
        return [f"{USER}{flt.user_id}"]
    return [f"{DAY}{d}" for d in reversed(flt.days())]


def _position(item: dict) -> dict:
    return {"sessionId": item["sessionId"], "startedAt": int(item["startedAt"])}


def _read_limit(flt: HealthFilter, need: int) -> int:
    # A filtered query reads more rows than it returns; read in bigger steps then (the store
    # reads at most 100 rows a query, the items of one BatchGetItem, and says where it stopped).
    return max(need, 100) if flt.filters_rows else need


def matching_rows(items: list[dict], flt: HealthFilter) -> list[dict]:
    """The rows the filter selects: the same predicate as the cells."""
    if not flt.filters_rows:
        return items
    return [item for item in items if cell_matches(cell_from_session(item), flt)
            and (flt.had_drop is None or reliability.had_drop(item) == flt.had_drop)]


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


def _wanted(partition: str, days: set[str] | None) -> bool:
    return days is None or partition[len(DAY):] in days


def page_sessions(store: SessionPages, flt: HealthFilter, limit: int, cursor: str | None = None,
                  days: set[str] | None = None) -> tuple[list[dict], str | None]:
    """Sessions in range, newest first: one query per day (or per user) until `limit` rows.

    `days` (from busy_days) skips the days known to hold no matching session."""
    parts = partitions(flt)
    start, start_key = decode_cursor(cursor, parts) if cursor else (0, None)
    rows: list[dict] = []
    for index in range(start, len(parts)):
        partition = parts[index]
        if not _wanted(partition, days):
            continue
        key = start_key if index == start else None
        while True:
            need = limit - len(rows)
            items, last = store.sessions_page(partition, _read_limit(flt, need), key,
                                              start_ms=flt.start_ms, end_ms=flt.end_ms)
            items = matching_rows(items, flt)
            if len(items) > need:
                rows.extend(items[:need])
                return rows, encode_cursor(partition, _position(rows[-1]))
            rows.extend(items)
            if last is None:
                break
            key = last
            if len(rows) == limit:
                return rows, encode_cursor(partition, key)
        if len(rows) == limit:
            following = next((p for p in parts[index + 1:] if _wanted(p, days)), None)
            return rows, (encode_cursor(following, None) if following else None)
    return rows, None


def list_sessions(store: SessionPages, flt: HealthFilter, limit: int, cursor: str | None) -> dict:
    cells = filtered_cells(store, flt)
    items, next_cursor = page_sessions(store, flt, limit, cursor, busy_days(flt, cells))
    return {
        "sessions": [admin_session_row(i) for i in items],
        "stats": stats_view(cells),
        "nextCursor": next_cursor,
        "from": flt.day_from.isoformat(),
        "to": flt.day_to.isoformat(),
    }


def iter_sessions(store: SessionPages, flt: HealthFilter, page_size: int = 1000) -> Iterator[dict]:
    days = busy_days(flt, filtered_cells(store, flt))
    cursor = None
    while True:
        items, cursor = page_sessions(store, flt, page_size, cursor, days)
        yield from items
        if not cursor:
            return

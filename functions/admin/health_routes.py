"""Admin session health routes: list + stats, time series, CSV export, one session's detail;
and what is HTTP-shaped about them: the query parameters and their validation.

Static paths (timeseries, export.csv) are matched before /api/admin/sessions/<id>:
Powertools tries static routes first, and API Gateway prefers a literal resource to {id}.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, Literal, Optional

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from speakpho import story
from speakpho.api import ok
from speakpho.clock import clock
from speakpho.config import get_settings
from speakpho.enums import SESSION_STATUSES
from speakpho.errors import Unprocessable
from speakpho.models import MAX_ID, Mode, Provider

from admin import audit
from admin.health import detail, export, listing, stats
from admin.health.filters import HealthFilter
from admin.health_store import health_store

router = Router()

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 7
_DAY_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Day = Annotated[Optional[str], Query(max_length=10, description="UTC day YYYY-MM-DD (inclusive)")]
DayFrom = Annotated[Optional[str], Query(alias="from", max_length=10,
                                         description="UTC day YYYY-MM-DD (inclusive); default to - 6 days")]
ProviderFilter = Annotated[Optional[Provider], Query(description="final provider of the session")]
ModeFilter = Annotated[Optional[Mode], Query()]
DisconnectFilter = Annotated[Optional[bool], Query(
    description="true: ended with a close code other than 1000; false: every other session")]
DropFilter = Annotated[Optional[bool], Query(
    description="true: a provider- or network-side disconnect anywhere in the session's story (or an end by the "
                "provider or the network); false: none. Narrows the rows only: the stats count the other filters")]
UserFilter = Annotated[Optional[str], Query(min_length=1, max_length=MAX_ID)]
EndedByFilter = Annotated[Optional[Literal[story.ENDED_BY]], Query(description="who ended the session")]
InitialProviderFilter = Annotated[Optional[Provider], Query(description="the provider the session started on")]
StatusFilter = Annotated[Optional[Literal[SESSION_STATUSES]], Query(
    description="active: live sessions; ended: the others")]
SessionId = Annotated[str, Path(min_length=1, max_length=MAX_ID)]

FILTER_PARAMS = frozenset({"from", "to", "provider", "mode", "hasDisconnect", "userId", "endedBy",
                           "initialProvider", "status"})


# --------------------------------------------------------------------------- query parameters
def _invalid(field_name: str, message: str) -> Unprocessable:
    """The same error shape as Powertools' own query validation."""
    name = f"query.{field_name}"
    return Unprocessable(f"invalid input: {name}", [{"field": name, "message": message, "type": "value_error"}])


def _refuse_unknown_params(allowed: frozenset[str]) -> None:
    """A mistyped filter must not silently widen the answer."""
    given = router.current_event.query_string_parameters or {}
    unknown = sorted(set(given) - allowed)
    if unknown:
        details = [{"field": f"query.{name}", "message": "unknown query parameter", "type": "extra_forbidden"}
                   for name in unknown]
        raise Unprocessable("invalid input: " + ", ".join(d["field"] for d in details), details)


EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def parse_day(raw: str, field_name: str) -> date:
    if not _DAY_PATTERN.match(raw):
        raise _invalid(field_name, "must be a UTC date YYYY-MM-DD")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise _invalid(field_name, "is not a calendar date") from None
    # Year 1 or 9999 would overflow the range arithmetic (a 500) or query month after month.
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise _invalid(field_name, f"must be from {EARLIEST_DAY} to {LATEST_DAY}")
    return day


def resolve_filter(*, today_ms: int, day_from: str | None, day_to: str | None, provider: str | None = None,
                   mode: str | None = None, has_disconnect: bool | None = None, user_id: str | None = None,
                   initial_provider: str | None = None, ended_by: str | None = None,
                   status: str | None = None) -> HealthFilter:
    """from/to are inclusive UTC days by session start; defaults: to = today, from = to - 6 days."""
    today = datetime.fromtimestamp(today_ms / 1000, tz=timezone.utc).date()
    end = parse_day(day_to, "to") if day_to else today
    start = parse_day(day_from, "from") if day_from else end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        raise _invalid("from", "must not be after to")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise _invalid("to", f"the range covers more than {MAX_RANGE_DAYS} days")
    return HealthFilter(day_from=start, day_to=end, provider=provider or None, mode=mode or None,
                        has_disconnect=has_disconnect, user_id=user_id or None, today=today,
                        initial_provider=initial_provider or None, ended_by=ended_by or None,
                        status=status or None)


def filter_params(flt: HealthFilter) -> dict:
    """The filter as the query parameters that select it (resolved: from/to always given)."""
    return {"from": flt.day_from.isoformat(), "to": flt.day_to.isoformat(), "provider": flt.provider,
            "mode": flt.mode, "hasDisconnect": flt.has_disconnect, "userId": flt.user_id, "endedBy": flt.ended_by,
            "initialProvider": flt.initial_provider, "status": flt.status,
            **({} if flt.had_drop is None else {"hadDrop": flt.had_drop})}   # the list's and export's own


def _filter(day_from, day_to, provider, mode, has_disconnect, user_id, ended_by, initial_provider,
            status) -> HealthFilter:
    return resolve_filter(today_ms=clock.now_ms(), day_from=day_from, day_to=day_to, provider=provider,
                          mode=mode, has_disconnect=has_disconnect, user_id=user_id, ended_by=ended_by,
                          initial_provider=initial_provider, status=status)


# --------------------------------------------------------------------------- routes
@router.get("/api/admin/sessions", summary="Sessions in a date range with health stats for the whole range")
def list_sessions(from_: DayFrom = None, to: Day = None, provider: ProviderFilter = None,
                  hasDisconnect: DisconnectFilter = None, mode: ModeFilter = None, userId: UserFilter = None,
                  endedBy: EndedByFilter = None, initialProvider: InitialProviderFilter = None,
                  status: StatusFilter = None, hadDrop: DropFilter = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  cursor: Annotated[Optional[str], Query(max_length=2048)] = None):
    _refuse_unknown_params(FILTER_PARAMS | {"limit", "cursor", "hadDrop"})
    flt = replace(_filter(from_, to, provider, mode, hasDisconnect, userId, endedBy, initialProvider, status),
                  had_drop=hadDrop)
    page = listing.list_sessions(health_store(), flt, limit, cursor)
    _audit(audit.SESSIONS_LIST, learner_id=flt.user_id, filters=filter_params(flt), rows=len(page["sessions"]))
    return ok(page)


@router.get("/api/admin/sessions/timeseries", summary="Per-day session health in a date range")
def timeseries(from_: DayFrom = None, to: Day = None, provider: ProviderFilter = None,
               hasDisconnect: DisconnectFilter = None, mode: ModeFilter = None, userId: UserFilter = None,
               endedBy: EndedByFilter = None, initialProvider: InitialProviderFilter = None,
               status: StatusFilter = None):
    _refuse_unknown_params(FILTER_PARAMS)
    flt = _filter(from_, to, provider, mode, hasDisconnect, userId, endedBy, initialProvider, status)
    series = stats.session_series(health_store(), flt)
    if flt.user_id:   # one learner's days: a read about that learner (the unfiltered series is aggregate)
        _audit(audit.SESSIONS_SERIES, learner_id=flt.user_id, filters=filter_params(flt))
    return ok(series)


@router.get("/api/admin/sessions/export.csv", summary="Sessions in a date range as CSV",
            responses={200: {"description": "text/csv, one row per session",
                             "content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_csv(from_: DayFrom = None, to: Day = None, provider: ProviderFilter = None,
               hasDisconnect: DisconnectFilter = None, mode: ModeFilter = None, userId: UserFilter = None,
               endedBy: EndedByFilter = None, initialProvider: InitialProviderFilter = None,
               status: StatusFilter = None, hadDrop: DropFilter = None):
    _refuse_unknown_params(FILTER_PARAMS | {"hadDrop"})
    flt = replace(_filter(from_, to, provider, mode, hasDisconnect, userId, endedBy, initialProvider, status),
                  had_drop=hadDrop)
    max_bytes = get_settings().export_max_bytes
    result = export.export_sessions(health_store(), flt, max_bytes=max_bytes)
    _audit(audit.SESSIONS_EXPORT, filters=filter_params(flt), rows=result.rows, truncated=result.truncated)
    headers = {
        "Content-Disposition": f'attachment; filename="{result.filename}"',
        "X-Export-Rows": str(result.rows),
        "X-Export-Truncated": "true" if result.truncated else "false",
    }
    if result.truncated:
        headers["X-Export-Note"] = (f"stopped after {result.rows} rows; narrow the date range or filters "
                                    f"(at most {export.MAX_EXPORT_ROWS} rows or {max_bytes} bytes per export)")
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=result.body, headers=headers)


@router.get("/api/admin/sessions/<id>", summary="One session with its timeline, messages and corrections")
def session_detail(id: SessionId):  # noqa: A002 - the path parameter's name
    _refuse_unknown_params(frozenset())
    found = detail.session_detail(health_store(), id)
    _audit(audit.SESSION_DETAIL, session_id=id, learner_id=found["session"].get("userId"))
    return ok(found)


def _audit(action: str, **what) -> None:
    """The audit record of a successful read (a refused or failed one never gets here)."""
    audit.read_on(router, action, **what)

"""Admin session health routes: list + stats, time series, CSV export, one session's detail.

Static paths (timeseries, export.csv) are matched before /api/admin/sessions/<id>:
Powertools tries static routes first, and API Gateway prefers a literal resource to {id}.
"""
from __future__ import annotations

from typing import Annotated, Optional

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from speakpho.api import ok
from speakpho.clock import clock
from speakpho.errors import Unprocessable
from speakpho.models import MAX_ID, Mode, Provider

from admin import health
from admin.health_store import health_store

router = Router()

Day = Annotated[Optional[str], Query(max_length=10, description="UTC day YYYY-MM-DD (inclusive)")]
DayFrom = Annotated[Optional[str], Query(alias="from", max_length=10,
                                         description="UTC day YYYY-MM-DD (inclusive); default to - 6 days")]
ProviderFilter = Annotated[Optional[Provider], Query(description="final provider of the session")]
ModeFilter = Annotated[Optional[Mode], Query()]
DisconnectFilter = Annotated[Optional[bool], Query(
    description="true: ended with a close code other than 1000; false: every other session")]
UserFilter = Annotated[Optional[str], Query(min_length=1, max_length=MAX_ID)]
SessionId = Annotated[str, Path(min_length=1, max_length=MAX_ID)]

FILTER_PARAMS = frozenset({"from", "to", "provider", "mode", "hasDisconnect", "userId"})


def _refuse_unknown_params(allowed: frozenset[str]) -> None:
    """A mistyped filter must not silently widen the answer."""
    given = router.current_event.query_string_parameters or {}
    unknown = sorted(set(given) - allowed)
    if unknown:
        details = [{"field": f"query.{name}", "message": "unknown query parameter", "type": "extra_forbidden"}
                   for name in unknown]
        raise Unprocessable("invalid input: " + ", ".join(d["field"] for d in details), details)


def _filter(day_from, day_to, provider, mode, has_disconnect, user_id) -> health.HealthFilter:
    return health.resolve_filter(today_ms=clock.now_ms(), day_from=day_from, day_to=day_to, provider=provider,
                                 mode=mode, has_disconnect=has_disconnect, user_id=user_id)


@router.get("/api/admin/sessions", summary="Sessions in a date range with health stats for the whole range")
def list_sessions(from_: DayFrom = None, to: Day = None, provider: ProviderFilter = None,
                  hasDisconnect: DisconnectFilter = None, mode: ModeFilter = None, userId: UserFilter = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  cursor: Annotated[Optional[str], Query(max_length=2048)] = None):
    _refuse_unknown_params(FILTER_PARAMS | {"limit", "cursor"})
    flt = _filter(from_, to, provider, mode, hasDisconnect, userId)
    return ok(health.list_sessions(health_store(), flt, limit, cursor))


@router.get("/api/admin/sessions/timeseries", summary="Per-day session health in a date range")
def timeseries(from_: DayFrom = None, to: Day = None, provider: ProviderFilter = None,
               hasDisconnect: DisconnectFilter = None, mode: ModeFilter = None, userId: UserFilter = None):
    _refuse_unknown_params(FILTER_PARAMS)
    flt = _filter(from_, to, provider, mode, hasDisconnect, userId)
    return ok(health.session_series(health_store(), flt))


@router.get("/api/admin/sessions/export.csv", summary="Sessions in a date range as CSV",
            responses={200: {"description": "text/csv, one row per session",
                             "content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_csv(from_: DayFrom = None, to: Day = None, provider: ProviderFilter = None,
               hasDisconnect: DisconnectFilter = None, mode: ModeFilter = None, userId: UserFilter = None):
    _refuse_unknown_params(FILTER_PARAMS)
    flt = _filter(from_, to, provider, mode, hasDisconnect, userId)
    export = health.export_sessions(health_store(), flt)
    headers = {
        "Content-Disposition": f'attachment; filename="{export.filename}"',
        "X-Export-Rows": str(export.rows),
        "X-Export-Truncated": "true" if export.truncated else "false",
    }
    if export.truncated:
        headers["X-Export-Note"] = (f"stopped after {export.rows} rows; narrow the date range or filters "
                                    f"(at most {health.MAX_EXPORT_ROWS} rows per export)")
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=export.body, headers=headers)


@router.get("/api/admin/sessions/<id>", summary="One session with its messages and corrections")
def session_detail(id: SessionId):  # noqa: A002 - the path parameter's name
    _refuse_unknown_params(frozenset())
    return ok(health.session_detail(health_store(), id))

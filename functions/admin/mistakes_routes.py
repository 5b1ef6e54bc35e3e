"""Admin routes of the common mistakes across learners (issue 20 §4): the stats and their CSV.

Days as the session routes take them (admin.health_routes.resolve_filter: inclusive UTC days,
default the last 7, at most 366, else 422); topic (as the start took it: compared normalised,
admin.mistakes.counts.topic_part) and difficulty are optional. Unknown parameters are a 422.
"""
from __future__ import annotations

from typing import Annotated, Optional

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from speakpho.api import caller, ok
from speakpho.clock import clock
from speakpho.errors import Unprocessable
from speakpho.models import Difficulty

from admin import audit
from admin.health_routes import Day, DayFrom, resolve_filter

router = Router()

CORRECTIONS_EXPORT = "corrections_export"     # the audit `action` of the CSV (admin.audit)
PARAMS = frozenset({"from", "to", "topic", "difficulty"})
TopicFilter = Annotated[Optional[str], Query(min_length=1, max_length=200,
                                             description="the sessions' topic (compared case-folded)")]
DifficultyFilter = Annotated[Optional[Difficulty], Query(description="the sessions' difficulty")]


def _refuse_unknown_params() -> None:
    """A mistyped filter must not silently widen the answer."""
    unknown = sorted(set(router.current_event.query_string_parameters or {}) - PARAMS)
    if unknown:
        details = [{"field": f"query.{name}", "message": "unknown query parameter", "type": "extra_forbidden"}
                   for name in unknown]
        raise Unprocessable("invalid input: " + ", ".join(d["field"] for d in details), details)


def _filters(from_, to, topic, difficulty) -> dict:
    _refuse_unknown_params()
    flt = resolve_filter(today_ms=clock.now_ms(), day_from=from_, day_to=to)
    return {"day_from": flt.day_from.isoformat(), "day_to": flt.day_to.isoformat(), "topic": topic or None,
            "difficulty": difficulty or None}


def _params(filters: dict) -> dict:
    return {"from": filters["day_from"], "to": filters["day_to"], "topic": filters["topic"],
            "difficulty": filters["difficulty"]}


@router.get("/api/admin/corrections/stats", summary="The common mistakes across learners in a date range")
def corrections_stats(from_: DayFrom = None, to: Day = None, topic: TopicFilter = None,
                      difficulty: DifficultyFilter = None):
    # Imported on first use: admins read these rarely, and the admin function's cold init is
    # held to its budget (docs/scale.md, "Cold init").
    from admin.mistakes.stats import mistakes_stats
    from admin.mistakes_store import mistakes_store

    return ok(mistakes_stats(mistakes_store(), **_filters(from_, to, topic, difficulty)))


@router.get("/api/admin/corrections/export.csv", summary="The common mistakes in a date range as CSV",
            responses={200: {"description": "text/csv: kind,category,original,correction,count,learners",
                             "content": {"text/csv": {"schema": {"type": "string"}}}}})
def corrections_export(from_: DayFrom = None, to: Day = None, topic: TopicFilter = None,
                       difficulty: DifficultyFilter = None):
    from admin.mistakes.export import export_mistakes
    from admin.mistakes_store import mistakes_store

    filters = _filters(from_, to, topic, difficulty)
    body, rows = export_mistakes(mistakes_store(), **filters)
    audit.admin_read(caller(router), CORRECTIONS_EXPORT, request_id=router.current_event.request_context.request_id,
                     filters=_params(filters), rows=rows)
    name = f"corrections-{filters['day_from']}-{filters['day_to']}.csv"
    return Response(status_code=200, content_type="text/csv; charset=utf-8", body=body,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Export-Rows": str(rows)})

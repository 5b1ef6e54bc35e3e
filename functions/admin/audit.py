"""The audit trail of admin reads: one structured log record per successful read of a
session's detail (its transcript and corrections included), of a CSV export, of the session
list (every page: its rows name learners), of the per-day series filtered to one learner
(`userId`), and of a learner's allowance (their usage and its change history).

A record is the message AUDIT_MESSAGE with an `audit` object of a fixed schema (every key in
every record, null when it does not apply), so a metric filter or a Logs Insights query finds
them all the same way (docs/admin.md, "Audit of admin reads"). It goes through a child of the
admin function's Powertools Logger: the same handler and output (the admin function's log
group, kept one year: infra/constructs/functions.py LOG_RETENTION), with the invocation's keys
(function_request_id, correlation_id), but at INFO whatever LOG_LEVEL says, so turning the
function's logging down never drops the trail.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from speakpho.api import caller
from speakpho.auth import Caller
from speakpho.clock import clock

AUDIT_MESSAGE = "admin_read"
SCHEMA_VERSION = 1
# The `action`s.
SESSION_DETAIL, SESSIONS_EXPORT = "session_detail", "sessions_export"
SESSIONS_LIST, SESSIONS_SERIES, ALLOWANCE = "sessions_list", "sessions_timeseries", "allowance_read"

# A child of Logger(service="admin") of admin/handler.py (same service name): its records
# propagate to that logger's handler, which the handler's inject_lambda_context decorates.
_logger = Logger(service="admin", child=True, level="INFO")


def admin_read(who: Caller, action: str, *, request_id: str | None, session_id: str | None = None,
               learner_id: str | None = None, filters: dict | None = None, rows: int | None = None,
               truncated: bool | None = None) -> dict:
    """Writes the one audit record of a read and returns its `audit` object."""
    record = {"version": SCHEMA_VERSION, "action": action, "adminSub": who.user_id, "adminEmail": who.email,
              "at": clock.now_ms(), "requestId": request_id, "sessionId": session_id, "learnerId": learner_id,
              "filters": filters, "rows": rows, "truncated": truncated}
    _logger.info(AUDIT_MESSAGE, extra={"audit": record})
    return record


def read_on(router, action: str, **what) -> dict:
    """The audit record of a successful read by the caller of `router`'s current request (a
    route calls it once it has its answer: a refused or failed read never gets here)."""
    return admin_read(caller(router), action, request_id=router.current_event.request_context.request_id, **what)

"""The audit trail of admin reads: one structured log record per successful read of a
session's detail (its transcript and corrections included) or of a CSV export.

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

from speakpho.auth import Caller
from speakpho.clock import clock

AUDIT_MESSAGE = "admin_read"
SCHEMA_VERSION = 1
SESSION_DETAIL, SESSIONS_EXPORT = "session_detail", "sessions_export"   # the `action`s

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

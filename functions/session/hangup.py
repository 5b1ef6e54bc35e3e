"""Scheduler's target: hangs up a session's OpenAI call at the learner's limit plus the grace
(speakpho.metering.access.hang_up_at_limit). A failure raises, so Scheduler retries it and
then sends it to the dead-letter queue."""
from __future__ import annotations

from aws_lambda_powertools import Logger

from speakpho.clock import clock
from speakpho.ddb_calls import log_dynamodb_calls
from speakpho.deps import metering_store, provider_ports
from speakpho.metering.access import hang_up_at_limit
from speakpho.table_env import require_tables

require_tables("sessions")

logger = Logger(service="hangup")


@logger.inject_lambda_context
@log_dynamodb_calls(logger)
def lambda_handler(event: dict, context) -> dict:
    calls = hang_up_at_limit(metering_store(), provider_ports(), clock, session_id=str(event["sessionId"]),
                             call_id=str(event["callId"]))
    logger.info("hung up at the limit", extra={"sessionId": event["sessionId"], "calls": len(calls)})
    return {"hungUp": len(calls)}

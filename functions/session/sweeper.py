"""Scheduled Lambda: closes sessions whose heartbeats stopped."""
from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from speakpho.clock import clock
from speakpho.config import get_settings
from speakpho.ddb_calls import log_dynamodb_calls
from speakpho.table_env import require_tables
from speakpho.deps import metering_store, provider_ports
from speakpho.metering import close_stale_sessions

# In Lambda, a missing table variable fails the init here, naming it (not the first run).
require_tables("usage_periods", "sessions", "session_events")

logger = Logger(service="sweeper")
metrics = Metrics(namespace="SpeakPho", service="sweeper")


@logger.inject_lambda_context
@metrics.log_metrics
@log_dynamodb_calls(logger)
def lambda_handler(event: dict, context) -> dict:
    closed = close_stale_sessions(metering_store(), get_settings(), clock, provider_ports())
    metrics.add_metric(name="StaleSessionsClosed", unit=MetricUnit.Count, value=len(closed))
    logger.info("stale sweep done", extra={"closed": len(closed)})
    return {"closed": closed}

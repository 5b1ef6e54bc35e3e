"""Lambda entry point of the session area."""
from __future__ import annotations

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths

from speakpho.api import create_app, gate
from speakpho.table_env import require_tables

from session import routes
from session.telemetry import metrics

# In Lambda, a missing table variable fails the init here, naming it (not the first request).
# idempotency: the Idempotency-Key records a keyed start writes (speakpho.idempotency).
require_tables("usage_periods", "sessions", "session_messages", "corrections", "idempotency")

logger = Logger(service="session")
tracer = Tracer(service="session", patch_modules=["botocore"])  # auto-patching all would import requests and s3transfer at cold start
app = create_app()
app.include_router(routes.router)


def warm_before_snapshot() -> None:
    """SnapStart (see infra/constructs/functions.py): do before the snapshot what the first
    request would otherwise pay for: settings, the DynamoDB client, the request validators."""
    from speakpho.deps import metering_store
    from speakpho.models import (ClientEvent, EndSessionRequest, SessionEventsRequest, SessionRef,
                                 StartSessionRequest, SwitchProviderRequest)

    metering_store()
    for model in (StartSessionRequest, SessionRef, SwitchProviderRequest, ClientEvent, SessionEventsRequest,
                  EndSessionRequest):
        model.model_rebuild(force=True)


try:  # Lambda's Python runtime provides this module; it runs the hook only when taking a snapshot.
    from snapshot_restore_py import register_before_snapshot
except ImportError:
    register_before_snapshot = None
if register_before_snapshot is not None:
    register_before_snapshot(warm_before_snapshot)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return gate(app, event, context)

"""Lambda entry point of the session area."""
from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from speakpho import snapstart
from speakpho.api import create_app, gate
from speakpho.ddb_calls import log_dynamodb_calls
from speakpho.table_env import require_tables

from session import routes
from session.telemetry import metrics

# In Lambda, a missing table variable fails the init here, naming it (not the first request).
# idempotency: the Idempotency-Key records a keyed start writes (speakpho.idempotency).
require_tables("usage_periods", "sessions", "session_events", "session_messages", "corrections", "idempotency")

logger = Logger(service="session")
app = create_app()
app.include_router(routes.router)


def warm_before_snapshot() -> None:
    """SnapStart: the settings, the DynamoDB client and the request validators, before the snapshot."""
    from speakpho.deps import metering_store
    from speakpho.models import (ClientEvent, ConnectRequest, EndSessionRequest, SessionEventsRequest, SessionRef,
                                 StartSessionRequest, SwitchProviderRequest)

    # No provider key: secrets are read on first use, after the restore (speakpho.providers.keys).
    snapstart.warm(stores=[metering_store], models=[StartSessionRequest, SessionRef, SwitchProviderRequest,
                                                   ClientEvent, SessionEventsRequest, EndSessionRequest,
                                                   ConnectRequest])


def forget_after_restore() -> None:
    """No provider key is read before the snapshot (speakpho.providers.keys reads on first use);
    should one ever be cached there, each restored container reads it again."""
    from speakpho.providers.keys import clear_cache

    clear_cache()


snapstart.before_snapshot(warm_before_snapshot)
snapstart.after_restore(forget_after_restore)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@log_dynamodb_calls(logger)
@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    return gate(app, event, context)

"""Lambda entry point of the learning area."""
from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from speakpho import snapstart
from speakpho.api import create_app, gate
from speakpho.ddb_calls import log_dynamodb_calls
from speakpho.table_env import require_tables

from learning import routes

# In Lambda, a missing table variable fails the init here, naming it (not the first request).
require_tables("corrections", "session_messages", "sessions", "idempotency", "usage_periods")

logger = Logger(service="learning")
app = create_app()
app.include_router(routes.router)


def warm_before_snapshot() -> None:
    """SnapStart: the settings, the DynamoDB client, the request validators, the FSRS
    scheduler and fsrs-rs (imported by the first review or GET memory otherwise), before the snapshot."""
    from learning import fsrs_fit, review
    from learning.learning_store import learning_store
    from learning.requests import CorrectionReview, CorrectionsImport, ImportedCorrection, MemorySettings

    snapstart.warm(stores=[learning_store],
                   models=[CorrectionReview, ImportedCorrection, CorrectionsImport, MemorySettings],
                   extra=[review.scheduler, fsrs_fit.default_parameters])   # fsrs, and fsrs-rs for GET memory


snapstart.before_snapshot(warm_before_snapshot)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@log_dynamodb_calls(logger)
def lambda_handler(event: dict, context) -> dict:
    return gate(app, event, context)

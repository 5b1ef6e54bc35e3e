"""Lambda entry point of the learning area."""
from __future__ import annotations

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths

from speakpho.api import create_app, gate
from speakpho.table_env import require_tables

from learning import routes

# In Lambda, a missing table variable fails the init here, naming it (not the first request).
require_tables("corrections", "session_messages", "sessions", "idempotency", "usage_periods")

logger = Logger(service="learning")
tracer = Tracer(service="learning", patch_modules=["botocore"])  # patching everything would import requests at cold start
app = create_app()
app.include_router(routes.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict, context) -> dict:
    return gate(app, event, context)

"""Lambda entry point of the admin area: every route requires the `admin` group."""
from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from speakpho.api import create_app, gate
from speakpho.ddb_calls import log_dynamodb_calls
from speakpho.table_env import require_tables

from admin import allowance, health_routes, mistakes_routes

# In Lambda, a table variable missing from the function fails the init, naming it.
require_tables("usage_periods", "sessions", "session_events", "session_messages", "corrections", "session_rollups")

logger = Logger(service="admin")
app = create_app(admin_only=True)
app.include_router(allowance.router)
app.include_router(health_routes.router)
app.include_router(mistakes_routes.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@log_dynamodb_calls(logger)
def lambda_handler(event: dict, context) -> dict:
    return gate(app, event, context)

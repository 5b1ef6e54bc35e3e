"""Lambda entry point of the learning area (routes to come)."""
from __future__ import annotations

from aws_lambda_powertools import Logger

from speakpho.api import create_app, gate

logger = Logger(service="learning")
app = create_app()


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    return gate(app, event, context)

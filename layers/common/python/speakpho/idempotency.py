"""Idempotency-Key support on top of Powertools Idempotency.

Powertools dedups identical keys within its window (and answers 409 while the first
call is still running); the durable guarantees come from the conditional writes in the
domain code, not from this.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable


@lru_cache(maxsize=1)
def _config():
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    from speakpho.config import get_settings

    return IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="payload",
                             expires_after_seconds=get_settings().idempotency_ttl_seconds,
                             raise_on_no_idempotency_key=True)


@lru_cache(maxsize=1)
def _runner():
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    from speakpho.aws import dynamodb_client
    from speakpho.config import get_settings

    store = DynamoDBPersistenceLayer(table_name=get_settings().table("idempotency"), boto3_client=dynamodb_client())

    @idempotent_function(data_keyword_argument="request", config=_config(), persistence_store=store)
    def run(request: dict, action: Callable[[], dict]) -> dict:
        return action()

    return run


def register_context(context: Any) -> None:
    """Lets Powertools bound the in-progress record by the Lambda's remaining time."""
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        _config().register_lambda_context(context)


def run_once(*, scope: str, key: str, payload: dict, action: Callable[[], dict]) -> dict:
    """Runs `action` once per (scope, key); repeats get the first answer back.

    A repeat with the same key but a different payload is refused (IdempotencyValidationError).
    """
    return _runner()(request={"key": f"{scope}#{key}", "payload": payload}, action=action)


def reset() -> None:
    _config.cache_clear()
    _runner.cache_clear()

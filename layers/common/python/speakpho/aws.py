"""AWS clients, created once per container and only when first used.

Built on botocore directly: importing boto3 on top costs cold-start time (its resource
layer and s3transfer) for nothing this code uses (Idempotency-Keys ride in the calls' own
transactions, speakpho.idempotency: Powertools Idempotency and its boto3 are not used).
"""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def dynamodb_client():
    import botocore.session
    from botocore.config import Config

    from speakpho.config import get_settings

    from speakpho.ddb_calls import instrument

    settings = get_settings()
    client = botocore.session.get_session().create_client(
        "dynamodb",
        endpoint_url=settings.dynamodb_endpoint or None,
        config=Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=2, read_timeout=5,
                      tcp_keepalive=True),
    )
    instrument(client)  # each call's latency and capacity, logged per invocation (speakpho.ddb_calls)
    return client


@lru_cache(maxsize=1)
def scheduler_client():
    """EventBridge Scheduler (the hangup schedules); first used when a call is placed."""
    import botocore.session
    from botocore.config import Config

    return botocore.session.get_session().create_client(
        "scheduler", config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=2,
                                   read_timeout=5))


def reset_clients() -> None:
    dynamodb_client.cache_clear()
    scheduler_client.cache_clear()

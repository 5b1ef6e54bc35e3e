"""AWS clients, created once per container and only when first used."""
from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def dynamodb_client():
    import boto3
    from botocore.config import Config

    from speakpho.config import get_settings

    settings = get_settings()
    return boto3.client(
        "dynamodb",
        endpoint_url=settings.dynamodb_endpoint or None,
        config=Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=2, read_timeout=5),
    )


def reset_clients() -> None:
    dynamodb_client.cache_clear()

"""Per-container dependencies: built on first use, reused across invocations.

Tests and the local runner call `reset()` after changing the environment.
"""
from __future__ import annotations

from functools import lru_cache

from speakpho.aws import dynamodb_client, reset_clients

# speakpho.config (pydantic) is imported where used: the stream processor's init imports this
# module (for `resettable`) and needs no settings until its first record.


@lru_cache(maxsize=1)
def metering_store():
    from speakpho.config import get_settings
    from speakpho.metering_store import MeteringStore

    return MeteringStore(client=dynamodb_client(), table_names=get_settings().table_names)


def reset() -> None:
    from speakpho.config import reset_settings

    reset_settings()
    reset_clients()
    for cached in list(_RESETTABLE):
        cached.cache_clear()


_RESETTABLE = [metering_store]


def resettable(fn):
    """Register another lru_cached dependency (used by the areas' own deps)."""
    _RESETTABLE.append(fn)
    return fn

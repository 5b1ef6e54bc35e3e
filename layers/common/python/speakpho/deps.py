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

    settings = get_settings()
    return MeteringStore(client=dynamodb_client(), table_names=settings.table_names,
                         active_shards=settings.active_shards)


_PORTS_OVERRIDE: list = []


def provider_ports():
    """The provider ports (speakpho.providers.ports.ProviderPorts): the real ones, or what
    `use_provider_ports` installed (tests)."""
    return _PORTS_OVERRIDE[-1] if _PORTS_OVERRIDE else _real_provider_ports()


@lru_cache(maxsize=1)
def _real_provider_ports():
    from speakpho.aws import scheduler_client
    from speakpho.config import get_settings
    from speakpho.providers.gemini_rest import GeminiRestTokens
    from speakpho.providers.keys import SecretKeys
    from speakpho.providers.openai_rest import OpenAIRestCalls
    from speakpho.providers.ports import ProviderPorts
    from speakpho.providers.schedules import SchedulerHangups

    settings = get_settings()
    return ProviderPorts(keys=SecretKeys(settings), gemini=GeminiRestTokens(settings.gemini_api_base),
                         openai=OpenAIRestCalls(settings.openai_api_base),
                         schedules=SchedulerHangups(settings, scheduler_client()))


def use_provider_ports(ports) -> None:
    """Tests: every later provider_ports() answers `ports` (None: the real ones again)."""
    _PORTS_OVERRIDE.clear()
    if ports is not None:
        _PORTS_OVERRIDE.append(ports)


def reset() -> None:
    from speakpho.config import reset_settings

    reset_settings()
    reset_clients()
    for cached in list(_RESETTABLE):
        cached.cache_clear()


_RESETTABLE = [metering_store, _real_provider_ports]


def resettable(fn):
    """Register another lru_cached dependency (used by the areas' own deps)."""
    _RESETTABLE.append(fn)
    return fn

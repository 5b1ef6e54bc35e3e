"""What each provider is to a client: how it connects and which model it runs, and whether
it is available (its key is set). GET /api/session/providers answers this list."""
from __future__ import annotations

from speakpho.config import Settings
from speakpho.enums import PROVIDERS
from speakpho.errors import ServiceUnavailable
from speakpho.providers.ports import ProviderKeys

# Gemini: the browser opens the Live WebSocket itself with an ephemeral token; OpenAI: the
# browser's WebRTC offer goes through our server, which holds the call (docs/providers.md).
TRANSPORTS = {"gemini": "websocket", "openai": "webrtc"}


def model_of(settings: Settings, provider: str) -> str:
    return settings.gemini_model if provider == "gemini" else settings.openai_model


def provider_list(settings: Settings, keys: ProviderKeys) -> list[dict]:
    return [{"id": p, "available": keys.key(p) is not None, "transport": TRANSPORTS[p], "model": model_of(settings, p)}
            for p in PROVIDERS]


def require_key(settings: Settings, keys: ProviderKeys, provider: str) -> str:
    """The provider's key, or 503 provider_unavailable naming the providers that are available."""
    key = keys.key(provider)
    if key is None:
        available = [p for p in PROVIDERS if p != provider and keys.key(p) is not None]
        raise ServiceUnavailable(f"{provider} is not available", {"provider": provider, "available": available})
    return key

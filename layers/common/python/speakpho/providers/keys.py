"""The provider API keys, from one Secrets Manager secret per provider, read with Powertools
Parameters on first use and cached for SECRET_MAX_AGE_SECONDS (never at import: nothing
secret may end up in a SnapStart snapshot; the cache is cleared after a restore,
speakpho.snapstart).

A secret holds `{"apiKey": "..."}` (or the bare key). An empty key, no secret name, or a
secret that cannot be read makes the provider unavailable. The value is never logged: a
failure logs the provider and the error's class only.
"""
from __future__ import annotations

import json
import logging

from speakpho.config import Settings

logger = logging.getLogger(__name__)


def parse_secret(raw: str | None) -> str | None:
    """The key in a secret's string: {"apiKey": "..."} or the bare key; None when empty."""
    text = (raw or "").strip()
    if not text:
        return None
    if text.startswith("{"):
        try:
            value = json.loads(text).get("apiKey")
        except (ValueError, AttributeError):
            return None
        return value.strip() or None if isinstance(value, str) else None
    return text


class SecretKeys:
    """ProviderKeys from Secrets Manager (settings: GEMINI_SECRET_NAME, OPENAI_SECRET_NAME)."""

    def __init__(self, settings: Settings) -> None:
        self._names = {"gemini": settings.gemini_secret_name, "openai": settings.openai_secret_name}
        self._max_age = settings.secret_max_age_seconds

    def key(self, provider: str) -> str | None:
        name = self._names.get(provider)
        if not name:
            return None
        from aws_lambda_powertools.utilities import parameters  # first use only: it imports boto3

        try:
            return parse_secret(parameters.get_secret(name, max_age=self._max_age))
        except Exception as exc:  # noqa: BLE001 - any failure to read makes the provider unavailable
            logger.warning("provider key unreadable", extra={"provider": provider, "error": type(exc).__name__})
            return None


def clear_cache() -> None:
    """Forget cached secrets (after a SnapStart restore; tests)."""
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()

"""The ports of provider access. No key or token value ever goes into an error or a log line."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class ProviderError(Exception):
    """A provider call failed: `provider`, the HTTP `status` (None: no answer), a short `detail`
    safe to log (never a key, a token or the provider's whole body)."""

    def __init__(self, provider: str, detail: str, status: int | None = None):
        super().__init__(f"{provider}: {detail}" + (f" (HTTP {status})" if status else ""))
        self.provider = provider
        self.detail = detail
        self.status = status


class ProviderKeys(Protocol):
    def key(self, provider: str) -> str | None:
        """The provider's API key; None when none is set (the provider is unavailable)."""


class GeminiTokens(Protocol):
    def mint(self, api_key: str, *, setup: dict, uses: int, expire_at_ms: int,
             new_session_expire_at_ms: int) -> str:
        """An ephemeral token (its `name`, what the client passes as access_token) that locks
        `setup` (a BidiGenerateContentSetup, speakpho.coach.gemini_setup)."""


class OpenAICalls(Protocol):
    def create_call(self, api_key: str, *, sdp: str, session: dict) -> tuple[str, str]:
        """(the SDP answer, the call id from the Location header) for the browser's offer."""

    def hangup(self, api_key: str, call_id: str) -> None:
        """Ends the call. A call that is already over is not an error (404 counts as done)."""


class HangupSchedules(Protocol):
    def schedule(self, *, session_id: str, user_id: str, call_id: str, at_ms: int) -> None:
        """Creates (or moves) the session's one-time schedule that hangs up `call_id` at `at_ms`."""

    def cancel(self, session_id: str) -> None:
        """Deletes the session's schedule; none is not an error."""


@dataclass
class ProviderPorts:
    keys: ProviderKeys
    gemini: GeminiTokens
    openai: OpenAICalls
    schedules: HangupSchedules

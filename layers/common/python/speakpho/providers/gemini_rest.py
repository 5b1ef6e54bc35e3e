"""Gemini's ephemeral-token call: the one REST request google-genai's
`client.auth_tokens.create(config=CreateAuthTokenConfig(...))` makes on API version v1alpha
(ai.google.dev/gemini-api/docs/ephemeral-tokens), written by hand because importing
google-genai would cost the session function's cold start (docs/providers.md).

    POST {base}/v1alpha/auth_tokens       x-goog-api-key: <key>
    {"uses": 1, "expireTime": "...", "newSessionExpireTime": "...",
     "bidiGenerateContentSetup": {<the BidiGenerateContentSetup>}}

No `fieldMask`: when `lock_additional_fields` is not given the SDK sends none, and the token
then locks the whole setup (the browser can change nothing). The times are RFC 3339 in UTC,
written as the SDK writes them (datetime.isoformat(): "+00:00", microseconds when not whole).
tests/providers/test_gemini_token_request.py pins this against google-genai 3.6.1.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from speakpho.providers import http
from speakpho.providers.ports import ProviderError

PROVIDER = "gemini"
API_VERSION = "v1alpha"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def rfc3339(epoch_ms: int) -> str:
    """The instant as the SDK sends a datetime: isoformat() of an aware UTC datetime."""
    return (EPOCH + timedelta(milliseconds=epoch_ms)).isoformat()


def token_request(setup: dict, *, uses: int, expire_at_ms: int, new_session_expire_at_ms: int) -> dict:
    """The JSON body of POST /v1alpha/auth_tokens that locks `setup` (a BidiGenerateContentSetup)."""
    return {
        "expireTime": rfc3339(expire_at_ms),
        "newSessionExpireTime": rfc3339(new_session_expire_at_ms),
        "uses": uses,
        "bidiGenerateContentSetup": setup,
    }


class GeminiRestTokens:
    """The GeminiTokens port over Gemini's REST API (or a fake at `base_url`: GEMINI_API_BASE)."""

    def __init__(self, base_url: str):
        self.url = f"{base_url.rstrip('/')}/{API_VERSION}/auth_tokens"

    def mint(self, api_key: str, *, setup: dict, uses: int, expire_at_ms: int,
             new_session_expire_at_ms: int) -> str:
        body = token_request(setup, uses=uses, expire_at_ms=expire_at_ms,
                             new_session_expire_at_ms=new_session_expire_at_ms)
        answer = http.post(PROVIDER, self.url,
                           headers={"Content-Type": "application/json", "x-goog-api-key": api_key},
                           body=json.dumps(body).encode())
        try:
            name = answer.json().get("name")
        except (ValueError, AttributeError):
            name = None
        if not isinstance(name, str) or not name.startswith("auth_tokens/"):
            # The answer is not quoted: it may hold the token.
            raise ProviderError(PROVIDER, "token answer without an auth_tokens/ name", answer.status)
        return name

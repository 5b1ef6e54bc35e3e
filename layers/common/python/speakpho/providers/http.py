"""The one HTTP call the provider clients make: urllib from the standard library (importing
an SDK or another HTTP client would cost the session function's cold init: docs/providers.md).

A failure becomes ProviderError with the status and a short detail: never the request's
headers (the key), never the whole answer (it may echo a token)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from speakpho.providers.ports import ProviderError

TIMEOUT_SECONDS = 8
DETAIL_CHARS = 200


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body or b"{}")


def _detail(body: bytes) -> str:
    """The provider's error message (JSON `error.message` or `error` when it has one), cut short."""
    try:
        parsed = json.loads(body)
        error = parsed.get("error") if isinstance(parsed, dict) else None
        text = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        text = None
    return str(text or "request refused")[:DETAIL_CHARS]


def post(provider: str, url: str, *, headers: dict[str, str], body: bytes,
         timeout: float = TIMEOUT_SECONDS) -> Answer:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as err:
        raise ProviderError(provider, _detail(err.read()), err.code) from None
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise ProviderError(provider, f"no answer: {type(reason).__name__}") from None

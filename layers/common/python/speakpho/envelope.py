"""The API's response envelope and CORS header lists: the one definition.

Success: {"success": true, "data": ...}
Error:   {"success": false, "error": {"code", "message", "details"?}}

Dependency-free on purpose (no Powertools, no pydantic): the handlers (speakpho.api), the
stack's gateway responses and CORS preflight (infra/constructs/api.py) and the local runner
(local/) all import it, and the latter two should not pay for the Lambda dependencies.
"""
from __future__ import annotations

from typing import Any

# CORS, deployed: the preflight (API Gateway) and the handlers' own answers (Powertools CORSConfig).
CORS_ALLOW_HEADERS: tuple[str, ...] = ("Authorization", "Content-Type", "Idempotency-Key")
# Read by the web app on the CSV export (file name, row count, truncation), and on a 409 it may retry.
CORS_EXPOSE_HEADERS: tuple[str, ...] = ("Content-Disposition", "X-Export-Rows", "X-Export-Truncated", "X-Export-Note",
                                         "Retry-After")
CORS_MAX_AGE_SECONDS = 3600


def ok_body(data: Any) -> dict:
    return {"success": True, "data": data}


def error_body(code: str, message: str, details: Any | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"success": False, "error": error}

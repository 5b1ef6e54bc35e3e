"""Opaque page cursors: url-safe base64 of a small JSON document, one codec for every route.

A cursor is only ever applied inside the caller's own partition (or, for admins, the
range and filters it was made for), so a forged one can at worst page through what the
caller may read anyway. Anything malformed is `400 invalid_cursor` on every route.
"""
from __future__ import annotations

import base64
import json

from speakpho.errors import BadRequest

CURSOR_VERSION = 1
# DynamoDB numbers hold 38 significant digits; a cursor value never needs more.
MAX_CURSOR_INT = 10 ** 38 - 1


def encode(payload: dict) -> str:
    raw = json.dumps({"v": CURSOR_VERSION, **payload}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode(cursor: str) -> dict:
    """The cursor's payload; raises invalid() if it is not one this API made."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeError, RecursionError):
        payload = None
    if not isinstance(payload, dict) or payload.get("v") != CURSOR_VERSION:
        raise invalid()
    return payload


def is_int(value: object, *, minimum: int = 0) -> bool:
    """An integer a cursor may carry: not a bool, and small enough for DynamoDB."""
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= MAX_CURSOR_INT


def is_str(value: object, *, max_length: int = 1024) -> bool:
    return isinstance(value, str) and 0 < len(value) <= max_length


def invalid() -> BadRequest:
    return BadRequest("invalid cursor", {"field": "cursor"}, code="invalid_cursor")

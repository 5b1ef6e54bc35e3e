"""Opaque page cursors: url-safe base64 of a small JSON document.

A cursor is only ever applied inside the caller's own partition, so a forged one can at
worst page through the caller's own data; anything malformed is a 400 on `cursor`.
"""
from __future__ import annotations

import base64
import json

from speakpho.errors import BadRequest

CURSOR_VERSION = 1


def encode(payload: dict) -> str:
    raw = json.dumps({"v": CURSOR_VERSION, **payload}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode(cursor: str) -> dict:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
    except (ValueError, UnicodeError):
        payload = None
    if not isinstance(payload, dict) or payload.get("v") != CURSOR_VERSION:
        raise invalid()
    return payload


def invalid() -> BadRequest:
    return BadRequest("invalid cursor", {"field": "cursor"}, code="invalid_cursor")

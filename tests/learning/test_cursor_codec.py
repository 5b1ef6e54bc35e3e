"""speakpho.cursors, the one page-cursor codec of every route: what it accepts and refuses."""
from __future__ import annotations

import base64
import json

import pytest

from speakpho import cursors
from speakpho.errors import BadRequest


def _raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("payload", [{}, {"before": 12}, {"k": {"userId": "ả", "createdAt": 1}}])
def test_round_trip(payload):
    assert cursors.decode(cursors.encode(payload)) == {"v": cursors.CURSOR_VERSION, **payload}


@pytest.mark.parametrize("cursor", [
    "a",                                # not base64 (a lone character)
    "not base64!",
    "%%%%",
    _raw("{not json"),                  # base64, not JSON
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),  # bytes that are not UTF-8
    _raw("[1, 2]"),                     # JSON, not an object
    _raw('"v"'),
    _raw("null"),
    _raw(json.dumps({"before": 3})),    # no version
    _raw(json.dumps({"v": 2, "before": 3})),  # another version
    _raw(json.dumps({"v": "1", "before": 3})),
    _raw("[" * 5000 + "]" * 5000),       # too deep to parse
])
def test_decode_refuses_what_this_api_did_not_make(cursor):
    with pytest.raises(BadRequest) as refused:
        cursors.decode(cursor)
    assert refused.value.code == "invalid_cursor" and refused.value.details == {"field": "cursor"}


@pytest.mark.parametrize("value, accepted", [
    (0, True),
    (7, True),
    (10 ** 38 - 1, True),   # 38 digits: a DynamoDB number
    (10 ** 38, False),      # 39 digits
    (-1, False),
    (True, False),          # bools are ints in Python, never in a cursor
    (False, False),
    (1.0, False),
    ("1", False),
    (None, False),
])
def test_is_int(value, accepted):
    assert cursors.is_int(value) is accepted


def test_is_int_minimum():
    assert cursors.is_int(1, minimum=1) and not cursors.is_int(0, minimum=1)


@pytest.mark.parametrize("value, accepted", [("a", True), ("x" * 1024, True), ("", False), ("x" * 1025, False),
                                             (1, False), (None, False)])
def test_is_str(value, accepted):
    assert cursors.is_str(value) is accepted

"""What a JSON body must be before any validator sees it, so that hostile input is a clear
400 naming the problem instead of a 500 deep in a handler or in DynamoDB:

- it parses: a 5,000-digit integer (Python's int-string limit) or 100,000 nested brackets
  (the recursion limit) are refused, not raised;
- every string is valid Unicode: a lone surrogate ("\\ud800") cannot be encoded as UTF-8, so
  DynamoDB, a CSV export or a page would break on it later;
- every number is one DynamoDB can store: at most 38 significant digits, magnitude between
  1e-130 and 1e126 (the service refuses the rest, after a transcript may be half written).

Malformed JSON is left to the validator (422 naming the body), as before. A top-level array
is refused here with the validator's own answer to any other body that is not an object (422
naming the body): Powertools would validate its first element as the body.
"""
from __future__ import annotations

import json
from decimal import Context, Decimal, InvalidOperation

from speakpho.errors import BadRequest, Unprocessable

MAX_DEPTH = 64                 # our payloads nest 3 deep; anything deeper is not ours
MAX_SIGNIFICANT_DIGITS = 38    # DynamoDB numbers
MAX_EXPONENT, MIN_EXPONENT = 125, -130
_EXACT = Context(prec=6000)    # above the longest number json can hand us (4300 digits)


def _refuse(field: str, message: str) -> BadRequest:
    return BadRequest(f"{field}: {message}", {"field": field, "message": message}, code="invalid_body")


def _number_fits(value: int | float) -> bool:
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return False
    try:
        number = _EXACT.normalize(Decimal(str(value)))  # no rounding: count every digit
    except InvalidOperation:
        return False
    if number.is_zero():
        return True
    digits = number.as_tuple().digits
    adjusted = number.adjusted()
    return len(digits) <= MAX_SIGNIFICANT_DIGITS and MIN_EXPONENT <= adjusted <= MAX_EXPONENT


def _walk(value, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _refuse(path or "body", f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _refuse(path or "body", "is not valid Unicode (a lone surrogate)") from None
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, (int, float)):
        if not _number_fits(value):
            raise _refuse(path or "body", "is a number DynamoDB cannot store (38 significant digits at most)")
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else f"body.{key}"
            try:
                key.encode("utf-8")
            except UnicodeEncodeError:
                raise _refuse(path or "body", "has a key that is not valid Unicode") from None
            _walk(item, child, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path or 'body'}.{index}", depth + 1)


def check_body(raw: str | bytes | None) -> None:
    """Raises BadRequest (400 invalid_body) for a body no handler should ever see, Unprocessable
    (422) for a top-level array."""
    if not raw:
        return
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        return  # malformed: the validator answers it, naming the body
    except (ValueError, RecursionError):
        raise _refuse("body", "holds a number too long or nesting too deep to read") from None
    _walk(parsed, "", 0)
    if isinstance(parsed, list):
        raise Unprocessable("invalid input: body", [{"field": "body", "message": "Input should be an object",
                                                     "type": "model_type"}])

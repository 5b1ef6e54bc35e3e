"""DynamoDB's item-size rules, closely enough for write units, on items in AttributeValue form
({"S": "..."}, {"N": "12"}, {"M": {...}}, ...) as the requests and the table hold them (a
number's digits are counted untrimmed, and a byte high when even in count: sizes err high).
Used where items are packed into write units (speakpho/transcript.py) and by the bench."""
from __future__ import annotations

import math


def number_size(text: str) -> int:
    return len(text.lstrip("-").replace(".", "")) // 2 + 2


def value_size(value: dict) -> int:
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return number_size(v)
    if kind in ("B", "BS"):
        return len(v) if kind == "B" else sum(len(b) for b in v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(e) + 1 for k, e in v.items())
    if kind == "L":
        return 3 + sum(value_size(e) + 1 for e in v)
    if kind == "SS":
        return sum(len(s.encode()) for s in v)
    if kind == "NS":
        return sum(number_size(n) for n in v)
    raise TypeError(f"unknown attribute type {kind}")


def item_size(item: dict | None, names=None) -> int:
    """Bytes of `item` (0 for none); only the attributes `names` when given."""
    if not item:
        return 0
    return sum(len(k.encode()) + value_size(v) for k, v in item.items() if names is None or k in names)


def units(size: int) -> int:
    """Write units of one write of an item of `size` bytes (1 KB each, at least one)."""
    return max(1, math.ceil(size / 1024))

"""Distinct learners of a pair, bounded: a HyperLogLog of 64 registers.

Three forms of the same registers (one digit each, the register's value 0..59 as a URL-safe
base64 digit):
- dense: 64 characters, one per register;
- sparse: the registers that are not 0, two characters each (index, value), in index order; a
  top map entry keeps this form while it is shorter than the dense one (`compact`);
- elements: a learner is the two-character element (its register, its rank); a pair's counter row
  keeps the set of its learners' elements (a DynamoDB string set, added to without a read:
  `element`), whose register values are each index's highest rank (`of_elements`).

Adding a learner is idempotent and two sketches merge by taking each register's maximum, so a
replayed record changes nothing and the learners of many days are the merge of their days'
sketches (not a sum). Error: linear counting while the estimate is at most 2.5 x 64 = 160 (at
10 learners about 1 %, at 100 about 5 %); above that the HyperLogLog estimate, relative
standard error 1.04 / sqrt(64) = 13 %. Learners are hashed (sha256 of the user id), never kept.
"""
from __future__ import annotations

import hashlib
import math

REGISTERS = 64
INDEX_BITS = 6                       # log2(REGISTERS)
DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
EMPTY = DIGITS[0] * REGISTERS
_ALPHA = 0.709                       # the bias correction for 64 registers (Flajolet et al. 2007)
_VALUE = {digit: value for value, digit in enumerate(DIGITS)}


def _registers(sketch: str | None) -> list[int]:
    """The registers of a dense or a sparse sketch (anything else: all 0)."""
    registers = [0] * REGISTERS
    if not sketch:
        return registers
    if len(sketch) == REGISTERS:
        return [_VALUE.get(digit, 0) for digit in sketch]
    return _with_elements(registers, (sketch[i:i + 2] for i in range(0, len(sketch) - 1, 2)))


def _with_elements(registers: list[int], elements) -> list[int]:
    for element in elements:
        if len(element) == 2 and element[0] in _VALUE and element[1] in _VALUE:
            index = _VALUE[element[0]]
            registers[index] = max(registers[index], _VALUE[element[1]])
    return registers


def _text(registers: list[int]) -> str:
    return "".join(DIGITS[value] for value in registers)


def element(learner: str) -> str:
    """The learner's element: its register and its rank (two digits)."""
    hashed = int.from_bytes(hashlib.sha256(learner.encode()).digest()[:8], "big")
    index = hashed >> (64 - INDEX_BITS)
    rest = hashed & ((1 << (64 - INDEX_BITS)) - 1)
    rank = (64 - INDEX_BITS) - rest.bit_length() + 1      # position of the first 1 bit, 1..59
    return DIGITS[index] + DIGITS[rank]


def add(sketch: str | None, learner: str) -> str:
    """The dense sketch with `learner` added (the same sketch when it was already counted)."""
    return _text(_with_elements(_registers(sketch), (element(learner),)))


def of_elements(elements) -> str:
    """The compact sketch of a set of learners' elements."""
    return compact(_text(_with_elements([0] * REGISTERS, elements or ())))


def compact(sketch: str | None) -> str:
    """The sparse form when it is shorter than the dense one (at most 31 registers set), else dense."""
    registers = _registers(sketch)
    sparse = "".join(DIGITS[i] + DIGITS[v] for i, v in enumerate(registers) if v)
    return sparse if len(sparse) < REGISTERS else _text(registers)


def merge(*sketches: str | None) -> str:
    """The dense sketch of the union."""
    merged = [0] * REGISTERS
    for sketch in sketches:
        merged = [max(a, b) for a, b in zip(merged, _registers(sketch))]
    return _text(merged)


def estimate(sketch: str | None) -> int:
    """The number of distinct learners added (see the module's error bounds)."""
    registers = _registers(sketch)
    zeros = registers.count(0)
    if zeros == REGISTERS:
        return 0
    raw = _ALPHA * REGISTERS * REGISTERS / sum(2.0 ** -value for value in registers)
    if raw <= 2.5 * REGISTERS and zeros:
        return round(REGISTERS * math.log(REGISTERS / zeros))
    return round(raw)

"""Distinct learners of a pair, bounded: a HyperLogLog of 64 registers, kept as a 64-character
string (one character per register, the register's value 0..59 as a URL-safe base64 digit).

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
    if not sketch or len(sketch) != REGISTERS:
        return [0] * REGISTERS
    return [_VALUE.get(digit, 0) for digit in sketch]


def _text(registers: list[int]) -> str:
    return "".join(DIGITS[value] for value in registers)


def add(sketch: str | None, learner: str) -> str:
    """The sketch with `learner` added (the same sketch when it was already counted)."""
    hashed = int.from_bytes(hashlib.sha256(learner.encode()).digest()[:8], "big")
    index = hashed >> (64 - INDEX_BITS)
    rest = hashed & ((1 << (64 - INDEX_BITS)) - 1)
    rank = (64 - INDEX_BITS) - rest.bit_length() + 1      # position of the first 1 bit, 1..59
    registers = _registers(sketch)
    registers[index] = max(registers[index], rank)
    return _text(registers)


def merge(*sketches: str | None) -> str:
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

"""CloudWatch metric math, evaluated for one period, for the few functions the alarms use
(IF, FILL, comparisons, + - * /): the alarm's own expression string, turned into Python.

A metric with no datapoint in the period is missing (None): FILL(m, 0) makes it 0, any other
use of it makes the result missing, and a division by zero is missing too (CloudWatch returns
no value), so a branch IF does not take never fails the evaluation."""
from __future__ import annotations

import math
import re

_MISSING = float("nan")


class _Value(float):
    """A datapoint whose division by zero is missing (NaN) rather than an error."""

    def __truediv__(self, other):
        return _Value(_MISSING if float(other) == 0 or math.isnan(float(other)) else float(self) / float(other))

    def __rtruediv__(self, other):
        return _Value(other) / self

    def __mul__(self, other):
        return _Value(float(self) * float(other))

    __rmul__ = __mul__

    def __add__(self, other):
        return _Value(float(self) + float(other))

    __radd__ = __add__


def _if(condition, when_true, when_false):
    return when_true if condition and not (isinstance(condition, float) and math.isnan(condition)) else when_false


def _fill(value, default):
    return _Value(default if math.isnan(float(value)) else value)


def evaluate(expression: str, values: dict[str, float | None]) -> float:
    """The expression's value for one period; `values`: metric id -> the period's Sum (None: no datapoint).
    NaN when CloudWatch would give no value."""
    if not re.fullmatch(r"[A-Za-z0-9_ ().,<>=*/+-]+", expression):
        raise ValueError(f"not an expression this evaluator knows: {expression!r}")
    python = expression.replace("IF(", "_if(").replace("FILL(", "_fill(")
    scope = {name: _Value(_MISSING if v is None else v) for name, v in values.items()}
    return float(eval(python, {"__builtins__": {}, "_if": _if, "_fill": _fill}, scope))  # noqa: S307 - our own strings

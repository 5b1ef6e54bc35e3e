"""The requests one API call makes and the capacity they consume (dynoxide reports real
figures), measured with the repo's one counter, local.ddb_meter.RequestMeter, with each write's
units on its table and on each index (bench/write_units.py); and, when the provider world runs
(bench/provider_bench.py), the provider and Scheduler calls it made."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from local.ddb_meter import RequestMeter


def _plural(n: int, what: str) -> str:
    return f"+{n} {what}" + ("" if n == 1 else "s")


@dataclass
class Reading:
    requests: int = 0
    capacity: float = 0.0
    ops: Counter = field(default_factory=Counter)
    provider_calls: Counter = field(default_factory=Counter)   # by provider
    scheduler_calls: int = 0
    write_units: Counter = field(default_factory=Counter)     # (table name, index or None) -> units

    @property
    def providers(self) -> int:
        return sum(self.provider_calls.values())

    def describe(self) -> str:
        ops = ", ".join(f"{k}x{v}" for k, v in sorted(self.ops.items()))
        text = f"{self.requests:>3} requests  {self.capacity:>8.1f} CU  ({ops})"
        if self.providers:
            by = ", ".join(f"{p} {n}" for p, n in sorted(self.provider_calls.items()))
            text += f"  {_plural(self.providers, 'provider call')} ({by})"
        if self.scheduler_calls:
            text += f"  {_plural(self.scheduler_calls, 'scheduler call')}"
        return text


class Meter:
    """`outside`: what counts the calls that are not DynamoDB's (bench.provider_bench.OutsideCalls),
    or None when nothing else is reached."""

    def __init__(self, client, outside=None):
        self.client = client
        self.outside = outside

    def measure(self, fn):
        before = self.outside.snapshot() if self.outside else (Counter(), 0)
        with RequestMeter(self.client, indexes=True) as counted:
            result = fn()
        after = self.outside.snapshot() if self.outside else (Counter(), 0)
        return result, Reading(requests=counted.total, capacity=counted.capacity, ops=Counter(counted.ops),
                               provider_calls=after[0] - before[0], scheduler_calls=after[1] - before[1],
                               write_units=Counter(counted.write_units))

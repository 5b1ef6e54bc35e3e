"""The requests one API call makes and the capacity they consume (dynoxide reports real
figures), measured with the repo's one counter, local.ddb_meter.RequestMeter."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from local.ddb_meter import RequestMeter


@dataclass
class Reading:
    requests: int = 0
    capacity: float = 0.0
    ops: Counter = field(default_factory=Counter)

    def describe(self) -> str:
        ops = ", ".join(f"{k}x{v}" for k, v in sorted(self.ops.items()))
        return f"{self.requests:>3} requests  {self.capacity:>8.1f} CU  ({ops})"


class Meter:
    def __init__(self, client):
        self.client = client

    def measure(self, fn):
        with RequestMeter(self.client, capacity=True) as counted:
            result = fn()
        return result, Reading(requests=counted.total, capacity=counted.capacity, ops=Counter(counted.ops))

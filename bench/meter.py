"""Counts the DynamoDB requests one API call makes and the capacity they consume.

Hooks the shared boto3 client: every request asks for ReturnConsumedCapacity=TOTAL,
and responses' ConsumedCapacity is summed (dynoxide reports real figures).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

CAPACITY_OPS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                "BatchWriteItem", "TransactWriteItems", "TransactGetItems"}


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
        self.current: Reading | None = None
        events = client.meta.events
        events.register("provide-client-params.dynamodb.*", self._ask_capacity)
        events.register("before-call.dynamodb.*", self._count)
        events.register("after-call.dynamodb.*", self._capacity)

    def _ask_capacity(self, params, model, **kwargs):
        if self.current is not None and model.name in CAPACITY_OPS:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _count(self, model, **kwargs):
        if self.current is not None:
            self.current.requests += 1
            self.current.ops[model.name] += 1

    def _capacity(self, parsed, **kwargs):
        if self.current is None:
            return
        consumed = parsed.get("ConsumedCapacity")
        if isinstance(consumed, dict):
            consumed = [consumed]
        for entry in consumed or []:
            self.current.capacity += float(entry.get("CapacityUnits") or 0)

    def measure(self, fn):
        self.current = Reading()
        try:
            result = fn()
        finally:
            reading, self.current = self.current, None
        return result, reading

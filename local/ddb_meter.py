"""Counts the DynamoDB requests (and, when asked, the capacity) a client sends.

The one request counter of the repo: the tests' request budgets and `make bench` both
use it. It hooks botocore's events on the client the handlers share, so it sees exactly
what the handlers send.

    with RequestMeter(client) as meter:
        ...
    meter.total, meter.ops["Query"], meter.capacity, meter.capacity_ops["Query"]
"""
from __future__ import annotations

from collections import Counter

# Operations that report ConsumedCapacity when asked.
CAPACITY_OPS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                          "BatchWriteItem", "TransactGetItems", "TransactWriteItems"})


class RequestMeter:
    def __init__(self, client, *, capacity: bool = False) -> None:
        self.client = client
        self.with_capacity = capacity
        self.ops: Counter = Counter()
        self.capacity = 0.0
        self.capacity_ops: Counter = Counter()   # capacity by operation (reads and writes are priced apart)
        self._active = False

    # counting --------------------------------------------------------------
    @property
    def total(self) -> int:
        return sum(self.ops.values())

    def names(self) -> list[str]:
        """Operation names, one per request (order not kept)."""
        return list(self.ops.elements())

    def reset(self) -> None:
        self.ops.clear()
        self.capacity = 0.0
        self.capacity_ops.clear()

    # hooks -----------------------------------------------------------------
    def _ask_capacity(self, params, model, **_):
        if model.name in CAPACITY_OPS:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _count(self, model, **_):
        self.ops[model.name] += 1

    def _record_capacity(self, parsed, model=None, **_):
        consumed = parsed.get("ConsumedCapacity")
        if isinstance(consumed, dict):
            consumed = [consumed]
        for entry in consumed or []:
            units = float(entry.get("CapacityUnits") or 0)
            self.capacity += units
            if model is not None:
                self.capacity_ops[model.name] += units

    def start(self) -> "RequestMeter":
        if not self._active:
            events = self.client.meta.events
            events.register("before-call.dynamodb.*", self._count)
            if self.with_capacity:
                events.register("provide-client-params.dynamodb.*", self._ask_capacity)
                events.register("after-call.dynamodb.*", self._record_capacity)
            self._active = True
        return self

    def stop(self) -> None:
        if self._active:
            events = self.client.meta.events
            events.unregister("before-call.dynamodb.*", self._count)
            if self.with_capacity:
                events.unregister("provide-client-params.dynamodb.*", self._ask_capacity)
                events.unregister("after-call.dynamodb.*", self._record_capacity)
            self._active = False

    def __enter__(self) -> "RequestMeter":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

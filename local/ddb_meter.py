"""Counts the DynamoDB requests (and, when asked, the capacity) a client sends, and records
the items its writes change.

The one request counter of the repo: the tests' request budgets and `make bench` both
use it. It hooks botocore's events on the client the handlers share, so it sees exactly
what the handlers send.

    with RequestMeter(client) as meter:
        ...
    meter.total, meter.ops["Query"], meter.capacity, meter.capacity_ops["Query"]

    with RequestMeter(client, indexes=True) as meter:  # the capacity, and each write's units
        ...                                             # per table and index (ReturnConsumedCapacity
    meter.write_units[("sessions", None)]               # INDEXES): {(table name, index or None): units}

    with WriteLog(client, images, on_write) as log:   # the partition model (bench/partition_sim.py)
        ...                                           # on_write(ItemWrite) per item written; log.refused
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Callable

# Operations that report ConsumedCapacity when asked.
CAPACITY_OPS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                          "BatchWriteItem", "TransactGetItems", "TransactWriteItems"})


class RequestMeter:
    def __init__(self, client, *, capacity: bool = False, indexes: bool = False) -> None:
        self.client = client
        self.with_capacity = capacity or indexes
        self.with_indexes = indexes
        self.ops: Counter = Counter()
        self.capacity = 0.0
        self.capacity_ops: Counter = Counter()   # capacity by operation (reads and writes are priced apart)
        self.write_units: Counter = Counter()    # (table name, index name or None) -> write units (indexes=True)
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
        self.write_units.clear()

    # hooks -----------------------------------------------------------------
    def _ask_capacity(self, params, model, **_):
        if model.name in CAPACITY_OPS:
            if self.with_indexes and params.get("ReturnConsumedCapacity") in (None, "TOTAL"):
                params["ReturnConsumedCapacity"] = "INDEXES"   # TOTAL's figure and the detail
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
                if self.with_indexes and model.name in WRITE_OPS:
                    self._record_write_units(entry)

    def _record_write_units(self, entry: dict) -> None:
        """A write request's units on its table and on each index (a transaction's entries name
        WriteCapacityUnits, the others CapacityUnits)."""
        table = entry.get("TableName", "")
        parts = [(None, entry.get("Table"))] + [
            (name, part) for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
            for name, part in (entry.get(kind) or {}).items()]
        for index, part in parts:
            if part:
                units = part.get("WriteCapacityUnits", part.get("CapacityUnits"))
                self.write_units[(table, index)] += float(units or 0)

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


# --------------------------------------------------------------------------- item writes
WRITE_OPS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
CONDITION_LOST = frozenset({"ConditionalCheckFailedException", "TransactionCanceledException"})
_ACTIONS = {"Put": "put", "PutRequest": "put", "Update": "update", "Delete": "delete", "DeleteRequest": "delete"}


@dataclass(frozen=True)
class ItemWrite:
    """One item written by one request, with its images around the request (AttributeValue form;
    None where the item does not exist)."""
    op: str                 # the request's operation
    action: str             # "put", "update" or "delete"
    table: str
    key: dict
    before: dict | None
    after: dict | None
    transactional: bool


def _ident(table: str, key: dict) -> tuple:
    return table, json.dumps(key, sort_keys=True, default=str)


class WriteLog:
    """Every item the client's write requests change, each with its image before and after.

    `images` reads the engine behind the client without going through it: `key_names(table)`
    (the table's key attributes, partition key first) and `get(table, key)` (the item now, in
    AttributeValue form, or None); bench/partition_sim.MotoImages reads moto's backend. Items are
    read before a write is sent and after it succeeds. A request DynamoDB refuses for another
    reason than a lost condition is kept in `refused` ("table: DynamoDB refused Op (Code: message)").
    Condition checks inside a transaction write nothing and are not recorded.
    """

    def __init__(self, client, images, on_write: Callable[[ItemWrite], None]) -> None:
        self.client, self.images, self.on_write = client, images, on_write
        self.refused: list[str] = []
        self._active = False

    def _targets(self, op: str, params: dict) -> list[tuple[str, str, dict | None]]:
        """(action, table, key) of every item the request writes; key None if the request lacks it."""
        if op == "BatchWriteItem":
            entries = [(table, e) for table, es in params.get("RequestItems", {}).items() for e in es]
        elif op == "TransactWriteItems":
            entries = [(None, e) for e in params.get("TransactItems", [])]
        else:
            entries = [(None, {op.removesuffix("Item"): params})]
        targets = []
        for table, entry in entries:
            (kind, body), = entry.items()
            if kind in _ACTIONS:
                table = table or body["TableName"]
                targets.append((_ACTIONS[kind], table, self._key(table, body.get("Key") or body.get("Item") or {})))
        return targets

    def _key(self, table: str, source: dict) -> dict | None:
        names = self.images.key_names(table)   # () for a table that does not exist
        return {n: source[n] for n in names} if names and all(n in source for n in names) else None

    def _read(self, targets) -> dict:
        """The items named by `targets` as they are now, by _ident."""
        return {_ident(t, k): self.images.get(t, k) for _, t, k in targets if k is not None}

    def _before(self, params, model, context, **_):
        context["ddb_meter.params"] = params
        if model.name in WRITE_OPS:
            targets = self._targets(model.name, params)
            context["ddb_meter.writes"] = (targets, self._read(targets))

    def _after(self, http_response, parsed, model, context, **_):
        stash = context.pop("ddb_meter.writes", None)
        params = context.pop("ddb_meter.params", {})
        if http_response.status_code >= 300:
            error = parsed.get("Error", {})
            if error.get("Code") not in CONDITION_LOST:
                tables = {t for _, t, _ in stash[0]} if stash else {params.get("TableName", "")}
                self.refused.append(f"{', '.join(sorted(tables))}: DynamoDB refused {model.name} "
                                    f"({error.get('Code')}: {error.get('Message')})")
            return
        if not stash:
            return
        targets, before = stash
        unprocessed = {_ident(t, self._key(t, e.get("PutRequest", {}).get("Item") or e["DeleteRequest"]["Key"]))
                       for t, es in (parsed.get("UnprocessedItems") or {}).items() for e in es}
        after = self._read(targets)
        for action, table, key in targets:
            where = _ident(table, key)
            if key is not None and where not in unprocessed:
                self.on_write(ItemWrite(model.name, action, table, key, before.get(where), after.get(where),
                                        model.name == "TransactWriteItems"))

    def start(self) -> "WriteLog":
        if not self._active:
            self.client.meta.events.register("before-parameter-build.dynamodb.*", self._before)
            self.client.meta.events.register("after-call.dynamodb.*", self._after)
            self._active = True
        return self

    def stop(self) -> None:
        if self._active:
            self.client.meta.events.unregister("before-parameter-build.dynamodb.*", self._before)
            self.client.meta.events.unregister("after-call.dynamodb.*", self._after)
            self._active = False

    def __enter__(self) -> "WriteLog":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

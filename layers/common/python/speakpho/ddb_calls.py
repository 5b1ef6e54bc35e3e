"""Where a request's time went without the X-Ray SDK: each DynamoDB call's latency and
consumed capacity, collected on the shared client and logged once per invocation.

    instrument(client)            # once, when the client is made (speakpho.aws)
    @log_dynamodb_calls(logger)   # on a Lambda handler: one "dynamodb calls" log record

Lambda's active tracing still records each invocation; this adds what the SDK's subsegments
showed (docs/metering.md, "Tracing").
"""
from __future__ import annotations

import functools
import time

# Operations that report ConsumedCapacity when asked.
CAPACITY_OPS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem",
                          "BatchWriteItem", "TransactGetItems", "TransactWriteItems"})
MAX_DETAILED = 25   # calls listed one by one in a record; the totals count them all

_calls: list[dict] = []


def _ask_capacity(params, model, **_):
    if model.name in CAPACITY_OPS:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")


def _started(context, **_):
    context["speakpho_started"] = time.perf_counter()


def _finished(parsed, model, context, **_):
    started = context.get("speakpho_started")
    consumed = parsed.get("ConsumedCapacity") if isinstance(parsed, dict) else None
    if isinstance(consumed, dict):
        consumed = [consumed]
    units = sum(float(c.get("CapacityUnits") or 0) for c in consumed or [])
    _calls.append({"op": model.name, "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                   "cu": round(units, 1)})


def instrument(client) -> None:
    events = client.meta.events
    events.register("provide-client-params.dynamodb.*", _ask_capacity)
    events.register("before-call.dynamodb.*", _started)
    events.register("after-call.dynamodb.*", _finished)


def take() -> list[dict]:
    """The calls recorded since the last take (and forgets them)."""
    calls = list(_calls)
    _calls.clear()
    return calls


def summary(calls: list[dict]) -> dict:
    return {"calls": len(calls), "ms": round(sum(c["ms"] or 0 for c in calls), 1),
            "capacityUnits": round(sum(c["cu"] for c in calls), 1), "detail": calls[:MAX_DETAILED]}


def log_dynamodb_calls(logger):
    """Logs the invocation's DynamoDB calls (count, time, capacity, each call) after it ran."""
    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(event, context):
            take()
            try:
                return handler(event, context)
            finally:
                calls = take()
                if calls:
                    logger.info("dynamodb calls", extra={"dynamodb": summary(calls)})
        return wrapper
    return decorate

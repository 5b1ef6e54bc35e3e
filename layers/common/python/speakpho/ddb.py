"""A thin layer over the low-level DynamoDB client: plain dicts in and out."""
from __future__ import annotations

import time
from decimal import Decimal
from typing import Any, Iterable

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

BATCH_WRITE_LIMIT = 25


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_dynamo(v) for v in value]
    return value


def _from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_from_dynamo(v) for v in value]
    if isinstance(value, set):
        return {_from_dynamo(v) for v in value}
    return value


def serialize(item: dict) -> dict:
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in item.items() if v is not None}


def deserialize(item: dict | None) -> dict | None:
    if item is None:
        return None
    return {k: _from_dynamo(_deserializer.deserialize(v)) for k, v in item.items()}


def values(mapping: dict) -> dict:
    """ExpressionAttributeValues from {":name": value}."""
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in mapping.items()}


def is_condition_failure(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


def cancellation_reasons(exc: Exception) -> list[str]:
    reasons = getattr(exc, "response", {}).get("CancellationReasons") or []
    return [r.get("Code", "None") for r in reasons]


def batch_write(client, table: str, puts: Iterable[dict] = (), delete_keys: Iterable[dict] = ()) -> int:
    """Writes in batches of 25, retrying unprocessed items with backoff. Returns batches sent."""
    requests = [{"PutRequest": {"Item": serialize(i)}} for i in puts]
    requests += [{"DeleteRequest": {"Key": serialize(k)}} for k in delete_keys]
    sent = 0
    for start in range(0, len(requests), BATCH_WRITE_LIMIT):
        pending = {table: requests[start:start + BATCH_WRITE_LIMIT]}
        for attempt in range(8):
            sent += 1
            unprocessed = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not unprocessed:
                break
            pending = unprocessed
            time.sleep(min(0.05 * 2 ** attempt, 1.0))
        else:
            raise RuntimeError("DynamoDB kept items unprocessed after retries")
    return sent


def query_all(client, **kwargs) -> list[dict]:
    """Every page of a query (used where the answer itself is what is bounded)."""
    items: list[dict] = []
    while True:
        page = client.query(**kwargs)
        items.extend(deserialize(i) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

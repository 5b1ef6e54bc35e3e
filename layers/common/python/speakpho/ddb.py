"""A thin layer over the low-level DynamoDB client: plain dicts in and out."""
from __future__ import annotations

import time
from decimal import Decimal
from typing import Any, Iterable

# Our own AttributeValue codec: boto3.dynamodb.types drags in boto3.compat and s3transfer,
# which costs about 250 ms of cold start for four lines of work.

BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100   # keys in one BatchGetItem request
RETRIES = 8             # requests per batch while DynamoDB leaves items unprocessed


def _encode(value: Any) -> dict:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (int, Decimal)):
        return {"N": str(value)}
    if isinstance(value, float):
        return {"N": repr(value)}
    if isinstance(value, dict):
        return {"M": {str(k): _encode(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [_encode(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        if all(isinstance(v, str) for v in value):
            return {"SS": sorted(value)}
        return {"NS": sorted(str(v) for v in value)}
    if isinstance(value, (bytes, bytearray)):
        return {"B": bytes(value)}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        value = float(text)
        return int(value) if value.is_integer() and "e" not in text.lower() and "." not in text else value


def _decode(av: dict) -> Any:
    (kind, value), = av.items()
    if kind == "S":
        return value
    if kind == "N":
        return _number(value)
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: _decode(v) for k, v in value.items()}
    if kind == "L":
        return [_decode(v) for v in value]
    if kind == "SS":
        return set(value)
    if kind == "NS":
        return {_number(v) for v in value}
    if kind == "B":
        return value
    if kind == "BS":
        return set(value)
    raise TypeError(f"unknown attribute type {kind}")


def serialize(item: dict) -> dict:
    """A plain dict as a DynamoDB item; None values are left out."""
    return {k: _encode(v) for k, v in item.items() if v is not None}


def deserialize(item: dict | None) -> dict | None:
    if item is None:
        return None
    return {k: _decode(v) for k, v in item.items()}


def values(mapping: dict) -> dict:
    """ExpressionAttributeValues from {":name": value}."""
    return {k: _encode(v) for k, v in mapping.items()}


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
        for attempt in range(RETRIES):
            sent += 1
            unprocessed = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not unprocessed:
                break
            pending = unprocessed
            _backoff(attempt)
        else:
            raise RuntimeError("DynamoDB kept items unprocessed after retries")
    return sent


def batch_get(client, table: str, keys: list[dict], *, projection: str | None = None,
              names: dict | None = None) -> list[dict]:
    """The items of `keys` (plain key dicts), in the order of the keys, each key once; keys
    whose item does not exist (any more) are left out. One BatchGetItem per BATCH_GET_LIMIT
    keys, eventually consistent; keys left unprocessed (throttling, the 16 MB answer limit) are
    asked again with backoff, at most RETRIES requests per batch. `projection`: a
    ProjectionExpression (`names` its ExpressionAttributeNames); the keys' attributes missing
    from it are added, to place the items."""
    unique = list({_ident(k): k for k in keys}.values())
    if not unique:
        return []
    key_names = sorted(unique[0])
    request: dict = {}
    if projection is not None:
        named = {(names or {}).get(path.strip(), path.strip()) for path in projection.split(",")}
        key_refs = {f"#bk{i}": name for i, name in enumerate(key_names) if name not in named}
        request["ProjectionExpression"] = ", ".join([projection, *key_refs])
        if names or key_refs:
            request["ExpressionAttributeNames"] = {**(names or {}), **key_refs}
    found: dict[tuple, dict] = {}
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        pending = {table: {"Keys": [serialize(k) for k in unique[start:start + BATCH_GET_LIMIT]], **request}}
        for attempt in range(RETRIES):
            resp = client.batch_get_item(RequestItems=pending)
            for raw in resp.get("Responses", {}).get(table, []):
                item = deserialize(raw)
                found[_ident({n: item[n] for n in key_names})] = item
            pending = resp.get("UnprocessedKeys") or {}
            if not pending:
                break
            _backoff(attempt)
        else:
            raise RuntimeError("DynamoDB kept keys unprocessed after retries")
    return [found[_ident(k)] for k in unique if _ident(k) in found]


def _ident(key: dict) -> tuple:
    return tuple(sorted((name, str(value)) for name, value in key.items()))


def _backoff(attempt: int) -> None:
    time.sleep(min(0.05 * 2 ** attempt, 1.0))


def query_all(client, **kwargs) -> list[dict]:
    """Every page of a query (used where the answer itself is what is bounded)."""
    items: list[dict] = []
    while True:
        page = client.query(**kwargs)
        items.extend(deserialize(i) for i in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

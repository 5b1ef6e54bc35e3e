"""Does the engine bill write units the way DynamoDB documents it? `make bench` asks before it
trusts the engine's ConsumedCapacity for its WRITE UNITS table (bench/write_units.py).

A scratch table with three indexes (ALL, KEYS_ONLY, INCLUDE) takes one write per case below,
with ReturnConsumedCapacity=INDEXES; each case names the units DynamoDB's documented rules give
on the table and on each index (docs.aws.amazon.com/amazondynamodb/latest/developerguide/
GSI.html "Provisioned throughput considerations for global secondary indexes", and
transaction-apis.html "Capacity management for transactions"):
  - an index is written only when the write changes what it stores: a key attribute, or an
    attribute it projects; setting an attribute to the value it has changes nothing;
  - a changed index key is a delete and a put (2); an item leaving the index is a delete (1);
  - 1 KB units; a write is sized on the item (the larger of its images before and after); an
    index entry on what the index stores (the whole item under ALL, the keys and the listed
    attributes under INCLUDE); a number weighs 1 byte per 2 significant digits plus 1, leading
    and trailing zeros trimmed (HowItWorks.NamingRulesDataTypes: "Numbers");
  - a transaction doubles the table's units, not the indexes' (sparse in the guide; dynoxide
    pinned it against real DynamoDB: nubo-db/dynoxide#188, paritysuite/dynamodb-conformance#67).
"""
from __future__ import annotations

TABLE = "bench-capacity-rules"


def _s(v: str) -> dict:
    return {"S": v}


def _set(name: str, value: str) -> dict:
    return dict(UpdateExpression=f"SET {name} = :v", ExpressionAttributeValues={":v": _s(value)})


def _update(**kw) -> tuple:
    return "update_item", dict(TableName=TABLE, Key={"pk": _s("a")}, **kw)


def _tx(action: str, **kw) -> tuple:
    return "transact_write_items", dict(TransactItems=[{action: {"TableName": TABLE, **kw}}])


ITEM = {"pk": _s("a"), "g": _s("1"), "h": _s("1"), "k": _s("1"), "p": _s("x"), "q": _s("y")}
BIG = {"pk": _s("c"), "g": _s("1"), "k": _s("1"), "p": _s("x"), "q": _s("z" * 3000)}
# 1,004 bytes with 50 numbers of 1 significant digit (2 bytes each); 1,304 if their zeros counted.
NUMBERS = {"pk": _s("n"), "p": _s("z" * 750), **{f"n{i:02d}": {"N": "1000000000000"} for i in range(50)}}

# (what the case shows, (operation, request), units expected: {"table" or an index: units}),
# in order: each case writes on what the ones before left.
CASES = [
    ("a new item in all three indexes", ("put_item", dict(TableName=TABLE, Item=ITEM)),
     {"table": 1, "all": 1, "keys": 1, "incl": 1}),
    ("the same item put again: nothing changes", ("put_item", dict(TableName=TABLE, Item=ITEM)), {"table": 1}),
    ("an attribute only ALL projects", _update(**_set("q", "y2")), {"table": 1, "all": 1}),
    ("that attribute set to the value it has", _update(**_set("q", "y2")), {"table": 1}),
    ("an attribute INCLUDE projects", _update(**_set("p", "x2")), {"table": 1, "all": 1, "incl": 1}),
    ("INCLUDE's key changed: a delete and a put", _update(**_set("k", "2")), {"table": 1, "all": 1, "incl": 2}),
    ("INCLUDE's key set to the value it has", _update(**_set("k", "2")), {"table": 1}),
    ("KEYS_ONLY's key changed: a delete and a put", _update(**_set("h", "2")), {"table": 1, "all": 1, "keys": 2}),
    ("KEYS_ONLY's key removed: its entry deleted", _update(UpdateExpression="REMOVE h"),
     {"table": 1, "all": 1, "keys": 1}),
    ("in a transaction: the table doubled, the indexes not",
     _tx("Update", Key={"pk": _s("a")}, **_set("p", "x4")), {"table": 2, "all": 1, "incl": 1}),
    ("a 3 KB item: 3 units, and its ALL entry; its INCLUDE entry 1", ("put_item", dict(TableName=TABLE, Item=BIG)),
     {"table": 3, "all": 3, "incl": 1}),
    ("a small change of the 3 KB item: sized on the item", ("update_item", dict(
        TableName=TABLE, Key={"pk": _s("c")}, **_set("p", "x5"))), {"table": 3, "all": 3, "incl": 1}),
    ("an item outside every index", ("put_item", dict(TableName=TABLE, Item={"pk": _s("b")})), {"table": 1}),
    ("numbers sized on their significant digits", ("put_item", dict(TableName=TABLE, Item=NUMBERS)), {"table": 1}),
    ("a delete in a transaction, outside every index", _tx("Delete", Key={"pk": _s("b")}), {"table": 2}),
    ("a delete: the item leaves its indexes", ("delete_item", dict(TableName=TABLE, Key={"pk": _s("a")})),
     {"table": 1, "all": 1, "incl": 1}),
]


def _create(client) -> None:
    def gsi(name: str, key: str, projection: dict) -> dict:
        return {"IndexName": name, "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}], "Projection": projection}

    client.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "g", "h", "k")],
        GlobalSecondaryIndexes=[gsi("all", "g", {"ProjectionType": "ALL"}),
                                gsi("keys", "h", {"ProjectionType": "KEYS_ONLY"}),
                                gsi("incl", "k", {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["p"]})])


def billed(consumed) -> dict[str, float]:
    """{"table" or index name: write units} from one response's ConsumedCapacity."""
    units: dict[str, float] = {}
    for entry in consumed if isinstance(consumed, list) else [consumed or {}]:
        parts = [("table", entry.get("Table"))] + list((entry.get("GlobalSecondaryIndexes") or {}).items())
        for name, part in parts:
            if part:
                value = float(part.get("WriteCapacityUnits", part.get("CapacityUnits")) or 0)
                units[name] = units.get(name, 0) + value
    return {k: v for k, v in units.items() if v}


def deviations(results: list[tuple[str, dict, dict]]) -> list[str]:
    """The cases whose billed units are not the documented ones: "case: billed {...}, documented {...}"."""
    return [f"{what}: billed {got}, documented {expected}" for what, expected, got in results
            if got != {k: float(v) for k, v in expected.items()}]


def probe(client) -> list[str]:
    """Runs CASES on a scratch table through `client` (a client of its own: no meter counts it)
    and returns the deviations from the documented rules ([] when the engine is faithful)."""
    _create(client)
    try:
        results = []
        for what, (operation, request), expected in CASES:
            answer = getattr(client, operation)(ReturnConsumedCapacity="INDEXES", **request)
            results.append((what, expected, billed(answer.get("ConsumedCapacity"))))
        return deviations(results)
    finally:
        client.delete_table(TableName=TABLE)


class Weigher:
    """What the engine charges for a plain write of an item: the weight DynamoDB gives an
    UpdateItem of it, ceil(max(size before, size after) / 1 KB), told by putting each image
    alone into a scratch table with the item's key (on a client of its own)."""

    def __init__(self, client) -> None:
        self.client, self.tables = client, {}

    def _table(self, key: dict) -> str:
        names = tuple(sorted(key))
        if names not in self.tables:
            name = f"bench-weigh-{len(self.tables)}"
            self.client.create_table(
                TableName=name, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": n, "KeyType": t} for n, t in zip(names, ("HASH", "RANGE"))],
                AttributeDefinitions=[{"AttributeName": n, "AttributeType": next(iter(key[n]))} for n in names])
            self.tables[names] = name
        return self.tables[names]

    def units(self, key: dict, *images: dict | None) -> int:
        table, most = self._table(key), 0
        for image in filter(None, images):
            answer = self.client.put_item(TableName=table, Item=image, ReturnConsumedCapacity="TOTAL")
            most = max(most, int(answer["ConsumedCapacity"]["CapacityUnits"]))
            self.client.delete_item(TableName=table, Key=key)
        return most

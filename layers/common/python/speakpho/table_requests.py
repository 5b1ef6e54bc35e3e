"""boto3 CreateTable requests built from the specs of speakpho.tables (the local runner, the
tests, and the index migrations' steps carried out in place)."""
from __future__ import annotations

from speakpho.tables import Key, TableSpec


def _key_schema(pk: Key, sk: Key | None) -> list[dict]:
    schema = [{"AttributeName": pk.name, "KeyType": "HASH"}]
    if sk:
        schema.append({"AttributeName": sk.name, "KeyType": "RANGE"})
    return schema


def create_table_request(spec: TableSpec, table_name: str) -> dict:
    """boto3 create_table arguments for `spec` (local runner and tests)."""
    attributes: dict[str, str] = {spec.partition_key.name: spec.partition_key.type}
    if spec.sort_key:
        attributes[spec.sort_key.name] = spec.sort_key.type
    gsis = []
    for index in spec.indexes:
        attributes[index.partition_key.name] = index.partition_key.type
        if index.sort_key:
            attributes[index.sort_key.name] = index.sort_key.type
        projection = ({"ProjectionType": "ALL"} if index.projected is None
                      else {"ProjectionType": "KEYS_ONLY"} if not index.projected
                      else {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.projected)})
        gsis.append({
            "IndexName": index.name,
            "KeySchema": _key_schema(index.partition_key, index.sort_key),
            "Projection": projection,
        })
    request: dict = {
        "TableName": table_name,
        "KeySchema": _key_schema(spec.partition_key, spec.sort_key),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if gsis:
        request["GlobalSecondaryIndexes"] = gsis
    if spec.stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    return request

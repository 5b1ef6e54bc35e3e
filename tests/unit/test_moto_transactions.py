"""bench/moto_transactions.py: moto's transactions under the shim still roll back a refused
transaction whole, and copy a table once per transaction, not once per item."""
from __future__ import annotations

import copy

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from bench.moto_transactions import one_backup_per_table


def _put(key: str, condition: str | None = None) -> dict:
    put = {"TableName": "t", "Item": {"pk": {"S": key}}}
    return {"Put": {**put, "ConditionExpression": condition} if condition else put}


@pytest.fixture
def client():
    with mock_aws(), one_backup_per_table():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        ddb.put_item(TableName="t", Item={"pk": {"S": "taken"}})
        yield ddb


def _keys(ddb) -> set[str]:
    return {i["pk"]["S"] for i in ddb.scan(TableName="t")["Items"]}


def test_a_refused_transaction_writes_none_of_its_items(client):
    with pytest.raises(ClientError, match="TransactionCanceled"):
        client.transact_write_items(TransactItems=[_put("a"), _put("b"), _put("taken", "attribute_not_exists(pk)")])
    assert _keys(client) == {"taken"}


def test_an_accepted_transaction_copies_its_table_once(client, monkeypatch):
    from moto.dynamodb.models.table import Table

    copied = []
    real = copy.deepcopy
    monkeypatch.setattr(copy, "deepcopy", lambda value, memo=None: (
        copied.append(value) if isinstance(value, Table) else None) or real(value, memo))
    client.transact_write_items(TransactItems=[_put(k) for k in "abcde"])
    assert _keys(client) == {"taken", *"abcde"}
    assert sum(isinstance(v, Table) for v in copied) == 1

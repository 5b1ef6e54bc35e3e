"""local/fault_proxy.py: seeded, replayable faults on item requests only, each kind answering
what DynamoDB would, as a botocore client sees it."""
from __future__ import annotations

import time
import uuid
from collections import Counter
from functools import lru_cache

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local.fault_proxy import FAULTABLE, KINDS, FaultProxy, operation_of, tables_of

pytestmark = pytest.mark.faults
OPERATIONS = sorted(FAULTABLE)


@lru_cache(maxsize=None)
def client_for(endpoint: str, attempts: int = 1):
    """No retries unless asked: each request meets the proxy once."""
    return botocore.session.get_session().create_client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": attempts, "mode": "standard"}))


@pytest.fixture
def proxy(dynoxide_endpoint):
    with FaultProxy(dynoxide_endpoint) as p:
        yield p


@pytest.fixture
def table(proxy):
    """A fresh table, created through the proxy (control plane: never faulted)."""
    name = f"faults-{uuid.uuid4().hex[:8]}"
    client_for(proxy.url).create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
    return name


def stored(endpoint: str, table: str, key: str) -> bool:
    return "Item" in client_for(endpoint).get_item(TableName=table, Key={"k": {"S": key}}, ConsistentRead=True)


def decisions(seed: int, rate: float = 0.3, n: int = 400) -> list:
    p = FaultProxy("http://127.0.0.1:9", rate=rate, seed=seed)
    return [p.decide(OPERATIONS[i % len(OPERATIONS)]) for i in range(n)]


def test_the_same_seed_gives_the_same_faults_and_another_seed_others():
    assert decisions(7) == decisions(7)
    assert decisions(7) != decisions(8)
    kinds = Counter(kind for kind, _ in decisions(7, n=4000))
    assert 0.25 < (4000 - kinds[None]) / 4000 < 0.35
    for kind in KINDS:   # chosen evenly: a quarter of the faults each, give or take
        assert 0.2 < kinds[kind] / (4000 - kinds[None]) < 0.3, kinds
    delays = [d for kind, d in decisions(7, n=4000) if kind == "delay"]
    assert delays and all(0.05 <= d <= 0.3 for d in delays)


def test_a_replayed_seed_meets_the_same_faults_on_the_same_requests(proxy, table):
    """Sequential requests arrive in the same order, so a replay is exact."""
    runs = []
    for _ in range(2):
        proxy.reseed(99, rate=0.5)
        client = client_for(proxy.url)
        outcomes = []
        for i in range(30):
            try:
                client.put_item(TableName=table, Item={"k": {"S": f"r{i}"}})
                outcomes.append("ok")
            except ClientError as exc:
                outcomes.append(exc.response["Error"]["Code"])
        runs.append((outcomes, list(proxy.history), proxy.counts()["byKind"]))
    assert runs[0] == runs[1]
    assert set(runs[0][0]) >= {"ok", "InternalServerError"}


def test_rate_zero_forwards_everything(proxy, table, dynoxide_endpoint):
    client = client_for(proxy.url)
    for i in range(40):
        client.put_item(TableName=table, Item={"k": {"S": f"z{i}"}})
    assert all(stored(dynoxide_endpoint, table, f"z{i}") for i in range(40))
    counts = proxy.counts()
    assert counts["faultableRequests"] == 40 and counts["injected"] == 0


@pytest.mark.parametrize("kind,status,code,applied", [
    ("refuse", 500, "InternalServerError", False),
    ("throttle", 400, "ThrottlingException", False),
    ("apply_500", 500, "InternalServerError", True),
])
def test_each_failing_kind_answers_as_dynamodb_would(proxy, table, dynoxide_endpoint, kind, status, code, applied):
    proxy.force_next(kind, "PutItem", table)
    with pytest.raises(ClientError) as failure:
        client_for(proxy.url).put_item(TableName=table, Item={"k": {"S": kind}})
    assert failure.value.response["Error"]["Code"] == code
    assert failure.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert stored(dynoxide_endpoint, table, kind) is applied       # a direct read on dynoxide
    assert proxy.counts()["byKind"][kind] == 1 and proxy.counts()["byOperation"] == {"PutItem": {kind: 1}}


def test_a_delay_forwards_after_a_pause(proxy, table, dynoxide_endpoint):
    proxy.force_next("delay", "PutItem")
    began = time.monotonic()
    client_for(proxy.url).put_item(TableName=table, Item={"k": {"S": "late"}})
    assert time.monotonic() - began >= 0.05
    assert stored(dynoxide_endpoint, table, "late") and proxy.counts()["byKind"]["delay"] == 1


def test_botocore_retries_absorb_a_refusal_and_the_item_is_written_once(proxy, table, dynoxide_endpoint):
    proxy.force_next("apply_500", "UpdateItem", table)
    client_for(proxy.url, attempts=5).update_item(
        TableName=table, Key={"k": {"S": "n"}}, UpdateExpression="ADD v :one",
        ExpressionAttributeValues={":one": {"N": "1"}})
    item = client_for(dynoxide_endpoint).get_item(TableName=table, Key={"k": {"S": "n"}})["Item"]
    assert item["v"] == {"N": "2"}   # not idempotent: applied, then applied again by the retry


def test_a_forced_fault_follows_a_transaction_through_its_resends(proxy, table, dynoxide_endpoint, monkeypatch):
    """A write applied whose caller never learns it: the first attempt applied and answered 500,
    each resend (the same body, the same ClientRequestToken) refused; other requests untouched."""
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, context: 0)
    proxy.force_next("apply_500", "TransactWriteItems", (table,), then=("refuse",) * 4)
    client = client_for(proxy.url, attempts=5)
    put = lambda key: client.transact_write_items(TransactItems=[  # noqa: E731
        {"Put": {"TableName": table, "Item": {"k": {"S": key}}}}])
    with pytest.raises(ClientError) as failure:
        put("lost")
    assert failure.value.response["Error"]["Code"] == "InternalServerError"
    assert stored(dynoxide_endpoint, table, "lost")
    put("next")     # a new request, a new body: no longer forced
    counts = proxy.counts()
    assert counts["forced"] == 5 and counts["byOperation"] == {"TransactWriteItems": {"apply_500": 1, "refuse": 4}}


def test_tables_of_a_request():
    assert tables_of(b'{"TableName": "a"}') == {"a"}
    assert tables_of(b'{"TransactItems": [{"Put": {"TableName": "a"}}, {"Update": {"TableName": "b"}}]}') == {"a", "b"}
    assert tables_of(b'{"RequestItems": {"a": [], "b": []}}') == {"a", "b"}
    assert tables_of(b"not json") == tables_of(b"[]") == frozenset()


def test_control_plane_and_streams_are_never_faulted(proxy, table):
    proxy.reseed(1, rate=1.0)
    client = client_for(proxy.url)
    name = f"faults-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    client.describe_table(TableName=name)
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
    assert name in client.list_tables()["TableNames"]
    streams = botocore.session.get_session().create_client(
        "dynamodbstreams", endpoint_url=proxy.url, region_name="us-east-1", aws_access_key_id="x",
        aws_secret_access_key="x", config=Config(retries={"total_max_attempts": 1}, parameter_validation=False))
    arn = client.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    streams.describe_stream(StreamArn=arn)
    counts = proxy.counts()
    assert counts["injected"] == 0 and counts["faultableRequests"] == 0
    assert counts["passedThrough"]["CreateTable"] == 1 and counts["passedThrough"]["streams:DescribeStream"] == 1
    failed = 0
    for _ in range(8):   # meanwhile every item request meets a fault (three kinds in four fail)
        try:
            client.get_item(TableName=name, Key={"k": {"S": "a"}})
        except ClientError:
            failed += 1
    assert failed and proxy.counts()["injected"] == 8


def test_operation_names():
    assert operation_of("DynamoDB_20120810.TransactWriteItems") == "TransactWriteItems"
    assert operation_of("DynamoDBStreams_20120810.GetRecords") == "streams:GetRecords"
    assert operation_of(None) is None
    with pytest.raises(ValueError):
        FaultProxy("http://127.0.0.1:9", rate=1.5)

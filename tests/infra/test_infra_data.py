"""DynamoDB tables exactly as speakpho.tables defines them; the rollups stream mapping."""
from __future__ import annotations

import pytest

from infra.catalog import ensure_import_paths
from infra_helpers import refs

ensure_import_paths()
from speakpho.table_requests import create_table_request  # noqa: E402
from speakpho.tables import TABLES  # noqa: E402

SPECS = {spec.logical_name: spec for spec in TABLES}


def table_props(synth, name: str) -> dict:
    table = synth.resources[synth.logical_id(synth.stack.tables[name])]
    assert table["Type"] == "AWS::DynamoDB::Table"
    return table


def test_one_table_per_spec(synth):
    assert len(synth.of_type("AWS::DynamoDB::Table")) == len(TABLES)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_table_keys_and_indexes_equal_the_shared_definition(synth, name):
    spec = SPECS[name]
    expected = create_table_request(spec, "unused")   # what the local runner and the tests create
    props = table_props(synth, name)["Properties"]
    assert props["KeySchema"] == expected["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == \
        sorted(expected["AttributeDefinitions"], key=lambda a: a["AttributeName"])
    by_name = {g["IndexName"]: g for g in props.get("GlobalSecondaryIndexes", [])}
    assert set(by_name) == {i.name for i in spec.indexes}
    for gsi in expected.get("GlobalSecondaryIndexes", []):
        deployed = by_name[gsi["IndexName"]]
        assert deployed["KeySchema"] == gsi["KeySchema"], gsi["IndexName"]
        assert deployed["Projection"]["ProjectionType"] == gsi["Projection"]["ProjectionType"], gsi["IndexName"]
        assert sorted(deployed["Projection"].get("NonKeyAttributes", [])) == \
            sorted(gsi["Projection"].get("NonKeyAttributes", [])), gsi["IndexName"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_table_recovery_stream_ttl_and_retention(synth, name):
    spec = SPECS[name]
    table = table_props(synth, name)
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    if spec.stream:
        assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    else:
        assert "StreamSpecification" not in props
    if spec.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props
    if name == "idempotency":   # short-lived request records
        assert table["DeletionPolicy"] == "Delete"
    else:
        assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
        assert props["DeletionProtectionEnabled"] is True


def test_the_sessions_and_corrections_streams_are_the_only_streams(synth):
    streamed = [name for name in SPECS if "StreamSpecification" in table_props(synth, name)["Properties"]]
    assert streamed == ["sessions", "corrections"]


def test_rollups_consume_the_sessions_stream_with_partial_batch_failures(synth):
    sessions = synth.logical_id(synth.stack.tables["sessions"])
    rollups = {"Ref": synth.logical_id(synth.stack.functions.rollups)}
    mappings = [m for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
                if m["Properties"]["FunctionName"] == rollups]
    assert len(mappings) == 1
    props = mappings[0]["Properties"]
    assert props["EventSourceArn"] == {"Fn::GetAtt": [sessions, "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert 0 < props["MaximumRetryAttempts"] <= 10
    assert 50 <= props["BatchSize"] <= 100
    assert props["StartingPosition"] == "TRIM_HORIZON"
    queue = synth.logical_id(synth.stack.functions.rollups_failures)
    assert refs(props["DestinationConfig"]["OnFailure"]["Destination"]) == {queue}


def test_failure_queue_is_encrypted_and_ssl_only(synth):
    queue = synth.resources[synth.logical_id(synth.stack.functions.rollups_failures)]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    synth.template.has_resource_properties("AWS::SQS::QueuePolicy", {"PolicyDocument": {"Statement": [
        {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}})


def test_the_mistakes_rollups_consume_the_corrections_stream_with_partial_batch_failures(synth):
    corrections = synth.logical_id(synth.stack.tables["corrections"])
    mistakes = {"Ref": synth.logical_id(synth.stack.functions.mistakes)}
    mappings = [m["Properties"] for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
                if m["Properties"]["FunctionName"] == mistakes]
    assert len(mappings) == 1
    props = mappings[0]
    assert props["EventSourceArn"] == {"Fn::GetAtt": [corrections, "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True and 0 < props["MaximumRetryAttempts"] <= 10
    assert props["StartingPosition"] == "TRIM_HORIZON"
    queue = synth.logical_id(synth.stack.mistakes.failures)
    assert refs(props["DestinationConfig"]["OnFailure"]["Destination"]) == {queue}
    assert synth.resources[queue]["Properties"]["SqsManagedSseEnabled"] is True

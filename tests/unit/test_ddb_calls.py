"""Each DynamoDB call's latency and capacity, logged once per invocation (the X-Ray SDK's
subsegments are gone; docs/metering.md "Tracing")."""
from __future__ import annotations

from speakpho import ddb
from speakpho.ddb_calls import log_dynamodb_calls


class CapturingLogger:
    def __init__(self):
        self.records = []

    def info(self, message, extra=None):
        self.records.append((message, extra))


def test_a_handler_logs_its_calls_with_time_and_capacity(dynamodb):
    from speakpho.table_setup import table_name
    from speakpho.tables import SESSIONS

    logger = CapturingLogger()

    @log_dynamodb_calls(logger)
    def handler(event, context):
        dynamodb.put_item(TableName=table_name(SESSIONS), Item=ddb.serialize({"sessionId": "s-1"}))
        dynamodb.get_item(TableName=table_name(SESSIONS), Key=ddb.serialize({"sessionId": "s-1"}))
        return "done"

    assert handler({}, None) == "done"
    [(message, extra)] = logger.records
    record = extra["dynamodb"]
    assert message == "dynamodb calls"
    assert [c["op"] for c in record["detail"]] == ["PutItem", "GetItem"] and record["calls"] == 2
    assert all(c["ms"] is not None and c["ms"] >= 0 for c in record["detail"])
    assert record["capacityUnits"] == sum(c["cu"] for c in record["detail"]) and record["capacityUnits"] > 0


def test_nothing_is_logged_without_calls_and_a_failure_still_logs(dynamodb):
    logger = CapturingLogger()

    @log_dynamodb_calls(logger)
    def quiet(event, context):
        return 1

    @log_dynamodb_calls(logger)
    def failing(event, context):
        dynamodb.list_tables()
        raise RuntimeError("boom")

    quiet({}, None)
    assert logger.records == []
    try:
        failing({}, None)
    except RuntimeError:
        pass
    assert [r[1]["dynamodb"]["calls"] for r in logger.records] == [1]

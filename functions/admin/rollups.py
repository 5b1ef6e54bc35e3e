"""Stream processor: the sessions table's stream -> per-day rollup cells (session_rollups).

Triggered by a DynamoDB stream event source mapping (NEW_AND_OLD_IMAGES, with
ReportBatchItemFailures). Each record is applied on its own (Powertools BatchProcessor);
a failed record is reported in `batchItemFailures` so only it and the records after it
come back, and the ledger (admin.health.ledger) makes every redelivery count once.

Imports only the rollup cells (with the story's counters, admin.health.reliability), the
ledger and the rollup store: none of the admin API's models, listing, stats or export code.

Metrics (namespace SpeakPho, dimension service=rollups): RollupRecordsApplied,
RollupRecordsSkipped (replays and superseded records), RollupRecordsUnchanged,
RollupRecordFailures.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from speakpho import ddb
from speakpho.ddb_calls import log_dynamodb_calls
from speakpho.table_env import require_tables

from admin.health import ledger
from admin.rollup_store import rollup_store

require_tables("session_rollups")

logger = Logger(service="rollups")
metrics = Metrics(namespace="SpeakPho", service="rollups")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

METRIC_BY_OUTCOME = {ledger.APPLIED: "RollupRecordsApplied", ledger.SKIPPED: "RollupRecordsSkipped",
                     ledger.UNCHANGED: "RollupRecordsUnchanged"}


def apply_record(record: dict, store=None) -> str:
    """Applies one stream record (the event source mapping's format) to the rollups."""
    change = record.get("dynamodb") or {}
    keys = ddb.deserialize(change.get("Keys")) or {}
    new_image = ddb.deserialize(change.get("NewImage"))
    old_image = ddb.deserialize(change.get("OldImage"))
    session_id = keys.get("sessionId")
    if not session_id:
        raise ValueError("stream record without a sessionId key")
    if new_image is None and old_image is None:
        raise ValueError("stream record without images (the stream must be NEW_AND_OLD_IMAGES)")
    return ledger.apply_session_change(store or rollup_store(), str(session_id), new_image, old_image)


def record_handler(record: DynamoDBRecord) -> str:
    try:
        outcome = apply_record(record.raw_event)
    except Exception:
        metrics.add_metric(name="RollupRecordFailures", unit=MetricUnit.Count, value=1)
        logger.exception("rollup record failed", extra={"sequenceNumber": record.dynamodb.sequence_number
                                                         if record.dynamodb else None})
        raise
    metrics.add_metric(name=METRIC_BY_OUTCOME[outcome], unit=MetricUnit.Count, value=1)
    return outcome


@logger.inject_lambda_context
@metrics.log_metrics
@log_dynamodb_calls(logger)
def lambda_handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)

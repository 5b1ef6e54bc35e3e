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

from speakpho import ddb
from speakpho.ddb_calls import log_dynamodb_calls
from speakpho.stream_batch import StreamBatch
from speakpho.table_env import require_tables

from admin.health import ledger
from admin.rollup_store import rollup_store

require_tables("session_rollups")

logger = Logger(service="rollups")
metrics = Metrics(namespace="SpeakPho", service="rollups")

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


batch = StreamBatch(logger=logger, metrics=metrics, apply=apply_record, metric_by_outcome=METRIC_BY_OUTCOME,
                    failure_metric="RollupRecordFailures", failure_message="rollup record failed")


@logger.inject_lambda_context
@metrics.log_metrics
@log_dynamodb_calls(logger)
def lambda_handler(event: dict, context) -> dict:
    return batch.process(event, context)

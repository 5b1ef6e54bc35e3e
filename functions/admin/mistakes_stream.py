"""Stream processor: the corrections table's stream -> the common-mistakes day cells
(admin.mistakes), in rows of their own in session_rollups.

Triggered by a DynamoDB stream event source mapping (NEW_AND_OLD_IMAGES, with
ReportBatchItemFailures). The batch is counted as a whole (admin.mistakes.batch: a few reads,
a transaction per group of records, each touched top map refreshed once); the ledger makes every
redelivery count once. A failure answers the first record not done: the mapping delivers it and
every record after it again.

Metrics (namespace SpeakPho, dimension service=mistakes): MistakeRecordsApplied,
MistakeRecordsSkipped, MistakeRecordsUnchanged, MistakeRecordFailures (the records answered as
failed).
"""
from __future__ import annotations

from collections import Counter

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from speakpho import ddb
from speakpho.ddb_calls import log_dynamodb_calls
from speakpho.table_env import require_tables

from admin.mistakes import ledger
from admin.mistakes.batch import Change, apply_batch
from admin.mistakes_store import mistakes_store

require_tables("session_rollups", "sessions")

logger = Logger(service="mistakes")
metrics = Metrics(namespace="SpeakPho", service="mistakes")

METRIC_BY_OUTCOME = {ledger.APPLIED: "MistakeRecordsApplied", ledger.SKIPPED: "MistakeRecordsSkipped",
                     ledger.UNCHANGED: "MistakeRecordsUnchanged"}


def change_of(record: dict) -> Change:
    """One stream record (the event source mapping's format) as a change of a correction."""
    change = record.get("dynamodb") or {}
    correction_id = (ddb.deserialize(change.get("Keys")) or {}).get("correctionId")
    if not correction_id:
        raise ValueError("stream record without a correctionId key")
    return Change(str(correction_id), ddb.deserialize(change.get("NewImage")), ddb.deserialize(change.get("OldImage")))


def process(records: list[dict], store=None) -> dict:
    """The batch's answer to the mapping: {"batchItemFailures": [...]}, the first record not done and
    every one after it."""
    changes: list[Change] = []
    failed_at, error = None, None
    for index, record in enumerate(records):
        try:
            changes.append(change_of(record))
        except Exception as exc:  # noqa: BLE001 - this record and the later ones come back
            failed_at, error = index, exc
            break
    result = apply_batch(store or mistakes_store(), changes)
    if result.failed_at is not None:
        failed_at, error = result.failed_at, result.error
    for outcome, count in Counter(result.outcomes).items():
        metrics.add_metric(name=METRIC_BY_OUTCOME[outcome], unit=MetricUnit.Count, value=count)
    if failed_at is None:
        return {"batchItemFailures": []}
    sequence = [(r.get("dynamodb") or {}).get("SequenceNumber") for r in records[failed_at:]]
    metrics.add_metric(name="MistakeRecordFailures", unit=MetricUnit.Count, value=len(sequence))
    logger.error("mistakes record failed", exc_info=error,
                 extra={"sequenceNumber": sequence[0], "recordsReturned": len(sequence)})
    return {"batchItemFailures": [{"itemIdentifier": number} for number in sequence if number]}


@logger.inject_lambda_context
@metrics.log_metrics
@log_dynamodb_calls(logger)
def lambda_handler(event: dict, context) -> dict:
    return process(event.get("Records") or [])

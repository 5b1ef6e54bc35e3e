"""Stream processor: the corrections table's stream -> the common-mistakes day cells
(admin.mistakes), in rows of their own in session_rollups.

Triggered by a DynamoDB stream event source mapping (NEW_AND_OLD_IMAGES, with
ReportBatchItemFailures), one record at a time (Powertools BatchProcessor): the ledger
(admin.mistakes.ledger) makes every redelivery count once. A correction's topic and
difficulty are its session's: one GetItem per session per batch (a session's corrections
arrive together, written by its end).

Metrics (namespace SpeakPho, dimension service=mistakes): MistakeRecordsApplied,
MistakeRecordsSkipped, MistakeRecordsUnchanged, MistakeRecordFailures.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

from speakpho import ddb
from speakpho.ddb_calls import log_dynamodb_calls
from speakpho.stream_batch import StreamBatch
from speakpho.table_env import require_tables

from admin.mistakes import ledger, refresh
from admin.mistakes.counts import counted
from admin.mistakes_store import mistakes_store

require_tables("session_rollups", "sessions")

logger = Logger(service="mistakes")
metrics = Metrics(namespace="SpeakPho", service="mistakes")

METRIC_BY_OUTCOME = {ledger.APPLIED: "MistakeRecordsApplied", ledger.SKIPPED: "MistakeRecordsSkipped",
                     ledger.UNCHANGED: "MistakeRecordsUnchanged"}


class SessionContexts:
    """The topic and difficulty of the sessions a batch names, read once each."""

    def __init__(self, store) -> None:
        self.store, self.known = store, {}

    def __call__(self, image: dict | None) -> dict | None:
        session_id = (image or {}).get("sessionId")
        if not session_id:
            return None
        if session_id not in self.known:
            self.known[session_id] = self.store.session_context(str(session_id))
        return self.known[session_id]


def apply_record(record: dict, store=None, contexts: SessionContexts | None = None) -> str:
    """Applies one stream record (the event source mapping's format) to the rollups."""
    store = store or mistakes_store()
    contexts = contexts or SessionContexts(store)
    change = record.get("dynamodb") or {}
    keys = ddb.deserialize(change.get("Keys")) or {}
    new_image = ddb.deserialize(change.get("NewImage"))
    old_image = ddb.deserialize(change.get("OldImage"))
    correction_id = keys.get("correctionId")
    if not correction_id:
        raise ValueError("stream record without a correctionId key")
    target = counted(new_image, contexts(new_image))
    before = counted(old_image, contexts(old_image)) if old_image else None
    outcome = ledger.apply_correction_change(store, str(correction_id), target, new_image, old_image)
    # Created or removed (replays included): the learner sketch and the top maps follow the counters.
    if target is not None and before is None:
        refresh.refresh_pair(store, [(target.day, *cell) for cell in target.cells()], target.pair,
                             str(new_image.get("userId") or ""))
    elif target is None and before is not None:
        refresh.refresh_pair(store, [(before.day, *cell) for cell in before.cells()], before.pair, None)
    return outcome


_contexts: SessionContexts | None = None


# _contexts is read per record: the batch's own, set by lambda_handler.
batch = StreamBatch(logger=logger, metrics=metrics, apply=lambda raw: apply_record(raw, contexts=_contexts),
                    metric_by_outcome=METRIC_BY_OUTCOME, failure_metric="MistakeRecordFailures",
                    failure_message="mistakes record failed")


@logger.inject_lambda_context
@metrics.log_metrics
@log_dynamodb_calls(logger)
def lambda_handler(event: dict, context) -> dict:
    global _contexts
    _contexts = SessionContexts(mistakes_store())     # one batch's sessions, never kept longer
    return batch.process(event, context)

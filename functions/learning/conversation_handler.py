"""Lambda entry point of the conversation reviews (not behind API Gateway): fed by the sessions
table's stream (an event source mapping filtered on the change that stores a transcript,
infra/constructs/conversation.py; `make dev` feeds it with its own pump, local/streams.py).

Each such change runs learning/conversation.review_session: the learner's lines checked
against their open corrections, each one said reviewed once. A failed record is reported in
batchItemFailures (ReportBatchItemFailures), and the records after it are left for the
redelivery, which reviews nothing twice (conversation.py, "exactly once").

Cost per stored transcript with learner lines: 3 Queries (the lines, the due corrections,
the newest ones) and, when something was said, 1 GetItem (#memory) and 1 TransactWriteItems
per correction reviewed. Any other change costs nothing (filtered out before invoking).
"""
from __future__ import annotations

from aws_lambda_powertools import Logger

from speakpho import ddb
from speakpho.clock import clock
from speakpho.ddb_calls import log_dynamodb_calls
from speakpho.table_env import require_tables

from learning import conversation
from learning.learning_store import learning_store

require_tables("corrections", "session_messages")

logger = Logger(service="conversation")


def apply_record(record: dict) -> dict | None:
    """Reviews what one stream record's session said; None when the record is not a stored transcript."""
    change = record.get("dynamodb") or {}
    session = conversation.transcript_stored(ddb.deserialize(change.get("NewImage")),
                                             ddb.deserialize(change.get("OldImage")))
    if session is None:
        return None
    return conversation.review_session(learning_store(), clock, session)


def handle(event: dict) -> dict:
    for record in event.get("Records", []):
        try:
            counts = apply_record(record)
        except Exception:  # noqa: BLE001 - reported: this record and the ones after it come back
            logger.exception("conversation review failed")
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
        if counts is not None:
            logger.info("conversation reviewed", extra=counts)
    return {"batchItemFailures": []}


@logger.inject_lambda_context
@log_dynamodb_calls(logger)
def lambda_handler(event: dict, context) -> dict:  # noqa: ARG001
    return handle(event)

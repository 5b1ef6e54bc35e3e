"""Lambda entry point of the erasure worker (not behind API Gateway): an SQS event source
on the erasure queue, one job per message (batch size 1).

Each invocation works on the job until REMAINING_MARGIN_MS before its timeout (between
bounded steps: learning/erasure.py) and, when work is left, queues the job again, so a job
of any size finishes in invocations of bounded length. An invocation that dies (a timeout
mid-step, a crash) does not delete its message: SQS delivers it again after the visibility
timeout and the job resumes from its row; after maxReceiveCount deliveries it goes to the
dead-letter queue (infra/constructs/erasure.py), where an alarm sees it.
"""
from __future__ import annotations

import json

from aws_lambda_powertools import Logger

from speakpho.clock import clock
from speakpho.table_env import require_tables

from learning import erasure
from learning.erasure_queue import erasure_queue
from learning.learning_store import learning_store

require_tables("corrections", "session_messages", "sessions", "usage_periods")

REMAINING_MARGIN_MS = 20_000   # a step (one session of <= 2000 messages) takes well under this

logger = Logger(service="erasure")


def run_job(body: dict, has_time) -> dict:
    """Works on one job; queues it again if work is left. Returns its view."""
    view = erasure.run_erasure(learning_store(), clock, body["userId"], body["erasureId"], has_time=has_time)
    if view["status"] != "done":
        erasure_queue().send(body["userId"], body["erasureId"])
    logger.info("erasure run", extra={"status": view["status"], "itemsLeft": view["itemsLeft"]})
    return view


@logger.inject_lambda_context
def lambda_handler(event: dict, context) -> dict:
    def has_time() -> bool:
        return context.get_remaining_time_in_millis() > REMAINING_MARGIN_MS

    views = [run_job(json.loads(record["body"]), has_time) for record in event.get("Records", [])]
    return {"jobs": len(views), "done": sum(1 for v in views if v["status"] == "done")}

"""What the SQS event source mapping does in AWS, done by `make dev` (and the tests): the
erasure queue on moto, drained by a thread that hands each message to the erasure worker
through the gateway (the deployed handler) as an SQS event of one record, and deletes it
only when the worker returned: a worker that raises leaves its message to come back after
the visibility timeout, as deployed."""
from __future__ import annotations

import logging
import os

from infra.catalog import ERASURE_WORKER
from local.poller import PollingThread

logger = logging.getLogger(__name__)
QUEUE_NAME = "speakpho-erasure"
POLL_SECONDS = 0.5
VISIBILITY_SECONDS = 2   # locally: a failed job comes back quickly


def _sqs():
    import botocore.session

    return botocore.session.get_session().create_client(
        "sqs", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


def provision_erasure_queue(setenv=os.environ.__setitem__) -> str:
    """Creates the queue on the SQS this process reaches (moto) and points ERASURE_QUEUE_URL
    at it (with `setenv`: a test's monkeypatch.setenv); returns the URL. Settings and the
    queue client are read afresh after this (the DynamoDB client stays)."""
    from learning.erasure_queue import erasure_queue
    from speakpho.config import reset_settings

    url = _sqs().create_queue(QueueName=QUEUE_NAME,
                              Attributes={"VisibilityTimeout": str(VISIBILITY_SECONDS)})["QueueUrl"]
    setenv("ERASURE_QUEUE_URL", url)
    reset_settings()
    erasure_queue.cache_clear()
    return url


class QueueRunner(PollingThread):
    def __init__(self, gateway, url: str) -> None:
        # A failed run is logged; its message comes back after its visibility timeout.
        super().__init__(name="erasure-queue", poll_seconds=POLL_SECONDS, failure_message="erasure queue run failed",
                         logger=logger)
        self.gateway, self.url = gateway, url
        self.handled = 0

    def poll(self) -> None:
        self.drain()

    def run_once(self) -> int:
        """Receives up to one message and runs the worker on it; returns how many it handled."""
        with self.gateway.lock:     # moto, in process, is not thread-safe
            messages = _sqs().receive_message(QueueUrl=self.url, MaxNumberOfMessages=1).get("Messages", [])
        for message in messages:
            event = {"Records": [{"messageId": message["MessageId"], "body": message["Body"],
                                  "eventSource": "aws:sqs", "receiptHandle": message["ReceiptHandle"]}]}
            self.gateway.invoke(ERASURE_WORKER.handler, event, name="erasure")
            with self.gateway.lock:
                _sqs().delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            self.handled += 1
        return len(messages)

    def drain(self, limit: int = 1000) -> int:
        """Runs the worker until the queue is empty (or `limit` messages); returns how many."""
        handled = 0
        while handled < limit and self.run_once():
            handled += 1
        return handled

"""The erasure jobs' queue (SQS): DELETE /api/learning/history sends a job to it, and the
erasure worker sends it again while work is left (learning/erasure_worker.py). Locally
(`make dev`, the tests) the queue is moto's, drained by local/queue_runner.py."""
from __future__ import annotations

import json
from functools import lru_cache

from speakpho.deps import resettable


class SqsErasureQueue:
    def __init__(self, client, url: str) -> None:
        self.client, self.url = client, url

    def send(self, user_id: str, erasure_id: str) -> None:
        self.client.send_message(QueueUrl=self.url, MessageBody=json.dumps(job_message(user_id, erasure_id)))


def job_message(user_id: str, erasure_id: str) -> dict:
    return {"userId": user_id, "erasureId": erasure_id}


@resettable
@lru_cache(maxsize=1)
def erasure_queue() -> SqsErasureQueue:
    import botocore.session
    from botocore.config import Config

    from speakpho.config import get_settings

    url = get_settings().erasure_queue_url
    if not url:
        raise RuntimeError("ERASURE_QUEUE_URL is not set: the erasure jobs have no queue")
    client = botocore.session.get_session().create_client(
        "sqs", config=Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=2, read_timeout=5))
    return SqsErasureQueue(client, url)

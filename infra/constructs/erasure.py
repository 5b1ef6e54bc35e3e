"""The erasure jobs' queue: DELETE /api/learning/history (the learning function) sends a job,
the erasure worker takes one per invocation (batch size 1) and re-enqueues it while work is
left (learning/erasure_worker.py). A message whose invocations keep failing goes to the
dead-letter queue after MAX_RECEIVES deliveries (the job's row stays "running"; re-driving
the message resumes it)."""
from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import SqsEventSource
from constructs import Construct

from infra.nag import acknowledge

MAX_RECEIVES = 5


class ErasureJobs(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, worker: lambda_.Function,
                 senders: list[lambda_.Function]) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = sqs.Queue(self, "ErasureJobsFailed", retention_period=Duration.days(14),
                                      encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
        acknowledge(self.dead_letters, "AwsSolutions-SQS3",
                    "This queue is the dead-letter queue of the erasure jobs' queue.")
        # AWS's guidance: a visibility timeout of at least six times the function's timeout.
        self.queue = sqs.Queue(self, "ErasureJobs", visibility_timeout=Duration.seconds(worker.timeout.to_seconds() * 6),
                               retention_period=Duration.days(14), encryption=sqs.QueueEncryption.SQS_MANAGED,
                               enforce_ssl=True,
                               dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters,
                                                                     max_receive_count=MAX_RECEIVES))
        worker.add_event_source(SqsEventSource(self.queue, batch_size=1))
        for function in (*senders, worker):
            self.queue.grant_send_messages(function)
            function.add_environment("ERASURE_QUEUE_URL", self.queue.queue_url)

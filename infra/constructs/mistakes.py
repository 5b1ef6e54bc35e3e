"""The common-mistakes rollups' trigger: the corrections table's stream feeds
admin/mistakes_stream.py, with the rollups' mapping settings (partial batch failures, bisect
on error, bounded retries, then an SQS queue of the failed batches' positions)."""
from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import DynamoEventSource, SqsDlq
from constructs import Construct

from infra.nag import acknowledge


class MistakesStream(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, consumer: lambda_.Function,
                 corrections: dynamodb.ITable) -> None:
        super().__init__(scope, construct_id)
        self.failures = sqs.Queue(self, "MistakesFailures", retention_period=Duration.days(14),
                                  encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
        acknowledge(self.failures, "AwsSolutions-SQS3",
                    "This queue is the on-failure destination (dead-letter queue) of the mistakes stream mapping.")
        consumer.add_event_source(DynamoEventSource(
            corrections,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=100,
            bisect_batch_on_error=True,
            retry_attempts=5,
            max_record_age=Duration.hours(24),
            report_batch_item_failures=True,
            parallelization_factor=1,
            on_failure=SqsDlq(self.failures),
        ))

"""One function reading one table's stream, with the settings every stream mapping here shares:
partial batch failures, bisect on error, bounded retries (5, records up to 24 h old), one
batch at a time per shard, then the failed batch's position to an SQS dead-letter queue
(`failures`, kept 14 days)."""
from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import DynamoEventSource, SqsDlq
from constructs import Construct

from infra.nag import acknowledge


class StreamConsumer(Construct):
    """`what` names the mapping: its queue is `<What>Failures`; `filters` are Lambda event
    filters on the stream records (none: every record)."""

    def __init__(self, scope: Construct, construct_id: str, *, consumer: lambda_.IFunction,
                 table: dynamodb.ITable, what: str,
                 filters: list[dict] | None = None) -> None:
        super().__init__(scope, construct_id)
        self.failures = sqs.Queue(self, f"{what.capitalize()}Failures", retention_period=Duration.days(14),
                                  encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
        acknowledge(self.failures, "AwsSolutions-SQS3",
                    f"This queue is the on-failure destination (dead-letter queue) of the {what} stream mapping.")
        consumer.add_event_source(DynamoEventSource(
            table,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=100,
            bisect_batch_on_error=True,
            retry_attempts=5,
            max_record_age=Duration.hours(24),
            report_batch_item_failures=True,
            parallelization_factor=1,
            filters=[lambda_.FilterCriteria.filter(f) for f in filters] if filters else None,
            on_failure=SqsDlq(self.failures),
        ))

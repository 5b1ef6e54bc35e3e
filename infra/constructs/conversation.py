"""The conversation function's trigger: the sessions table's stream, filtered on the change
that stores a transcript (contentStoredAt set now, not before), so that no other session change
invokes it (learning/conversation_handler.py re-checks the same rule:
conversation.transcript_stored). Partial batch failures, bisect on error, bounded retries,
then the record to a dead-letter queue (reviewing a session late or never loses one review's
evidence, nothing else)."""
from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import DynamoEventSource, SqsDlq
from constructs import Construct

from infra.nag import acknowledge

# Lambda event filtering on the stream record's `dynamodb` key (DynamoDB JSON: the N type).
TRANSCRIPT_STORED = {
    "eventName": lambda_.FilterRule.is_equal("MODIFY"),
    "dynamodb": {
        "NewImage": {"contentStoredAt": {"N": lambda_.FilterRule.exists()}},
        "OldImage": {"contentStoredAt": {"N": lambda_.FilterRule.not_exists()}},
    },
}


class ConversationReviews(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, function: lambda_.Function,
                 sessions: dynamodb.ITable) -> None:
        super().__init__(scope, construct_id)
        self.failures = sqs.Queue(self, "ConversationFailures", retention_period=Duration.days(14),
                                  encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
        acknowledge(self.failures, "AwsSolutions-SQS3",
                    "This queue is the on-failure destination (dead-letter queue) of the conversation stream mapping.")
        function.add_event_source(DynamoEventSource(
            sessions,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=100,
            bisect_batch_on_error=True,
            retry_attempts=5,
            max_record_age=Duration.hours(24),
            report_batch_item_failures=True,
            parallelization_factor=1,
            filters=[lambda_.FilterCriteria.filter(TRANSCRIPT_STORED)],
            on_failure=SqsDlq(self.failures),
        ))

"""The conversation function's trigger: the sessions table's stream, filtered on the change
that stores a transcript (contentStoredAt set now, not before), so that no other session change
invokes it (learning/conversation_handler.py re-checks the same rule:
conversation.transcript_stored). Partial batch failures, bisect on error, bounded retries,
then the record to a dead-letter queue (reviewing a session late or never loses one review's
evidence, nothing else). The mapping itself is infra/constructs/stream_consumer.py, built in
infra/stack.py."""
from __future__ import annotations

from aws_cdk import aws_lambda as lambda_

# Lambda event filtering on the stream record's `dynamodb` key (DynamoDB JSON: the N type).
TRANSCRIPT_STORED = {
    "eventName": lambda_.FilterRule.is_equal("MODIFY"),
    "dynamodb": {
        "NewImage": {"contentStoredAt": {"N": lambda_.FilterRule.exists()}},
        "OldImage": {"contentStoredAt": {"N": lambda_.FilterRule.not_exists()}},
    },
}

"""The record loop of a stream processor behind a DynamoDB event source mapping with
ReportBatchItemFailures (admin/rollups.py, admin/mistakes_stream.py).

Each record is applied on its own (Powertools BatchProcessor): its outcome counts one in that
outcome's metric; a failure counts one in the failure metric, is logged with the record's
sequence number and re-raised, so the processor reports it in `batchItemFailures` and only
it and the records after it come back.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord


class StreamBatch:
    """`apply` takes one record in the event source mapping's format and answers its outcome,
    a key of `metric_by_outcome`."""

    def __init__(self, *, logger: Logger, metrics: Metrics, apply: Callable[[dict], str],
                 metric_by_outcome: Mapping[str, str], failure_metric: str, failure_message: str) -> None:
        self.logger, self.metrics, self.apply = logger, metrics, apply
        self.metric_by_outcome, self.failure_metric, self.failure_message = (
            metric_by_outcome, failure_metric, failure_message)
        self.processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

    def record_handler(self, record: DynamoDBRecord) -> str:
        try:
            outcome = self.apply(record.raw_event)
        except Exception:
            self.metrics.add_metric(name=self.failure_metric, unit=MetricUnit.Count, value=1)
            self.logger.exception(self.failure_message, extra={"sequenceNumber": record.dynamodb.sequence_number
                                                               if record.dynamodb else None})
            raise
        self.metrics.add_metric(name=self.metric_by_outcome[outcome], unit=MetricUnit.Count, value=1)
        return outcome

    def process(self, event: dict, context) -> dict:
        """The batch's answer to the mapping: {"batchItemFailures": [...]}."""
        return process_partial_response(event=event, record_handler=self.record_handler, processor=self.processor,
                                        context=context)

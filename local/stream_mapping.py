"""The semantics of a Lambda event source mapping on a DynamoDB stream, without any engine.

Given a shard's pending records (as JSON, local.stream_reader), it invokes the function in
batches of up to BATCH_SIZE, in the event format the deployed mapping uses, and keeps each
shard's position (the last sequence number handed over for good):

- a batch without failures moves the position to its last record;
- a batch with batchItemFailures (ReportBatchItemFailures) keeps every record before the
  first failed one and stops there: the failed record and everything after it are
  delivered again next time;
- a function error (an exception) fails the whole batch from its first record;
- after MAX_ATTEMPTS deliveries of the same failed record it is skipped and logged, like a
  mapping with maximumRetryAttempts and an on-failure destination.

    mapping = EventSourceMapping(invoke)             # invoke(event) -> {"batchItemFailures": [...]} | None
    delivered = mapping.deliver(shard_id, records, source_arn)
    mapping.position(shard_id)                       # read the shard after this next time
"""
from __future__ import annotations

import logging
from typing import Callable, Optional

logger = logging.getLogger("local.stream_mapping")

BATCH_SIZE = 100
MAX_ATTEMPTS = 3

Invoke = Callable[[dict], Optional[dict]]


def sequence_number(record: dict) -> str:
    return record["dynamodb"]["SequenceNumber"]


def first_failed_index(sequence: list[str], failed: list[str]) -> int | None:
    """Index of the earliest reported failure in the batch (identifiers not in it are ignored)."""
    return min((sequence.index(f) for f in failed if f in sequence), default=None)


class EventSourceMapping:
    def __init__(self, invoke: Invoke, *, batch_size: int = BATCH_SIZE, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.invoke = invoke
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.positions: dict[str, str | None] = {}   # shard id -> last sequence number handed over
        self.attempts: dict[str, int] = {}           # failed sequence number -> deliveries so far
        self.records_delivered = 0

    def position(self, shard_id: str) -> str | None:
        return self.positions.get(shard_id)

    def rewind(self, shard_id: str) -> None:
        """The position aged out of the stream: start again from the oldest record kept."""
        self.positions[shard_id] = None

    def _failures(self, batch: list[dict], source_arn: str | None) -> list[str]:
        event = {"Records": [{**record, "eventSourceARN": source_arn} for record in batch]}
        try:
            response = self.invoke(event) or {}
        except Exception:  # noqa: BLE001 - the whole batch failed, as a Lambda error would
            logger.exception("stream pump: rollup batch failed")
            return [sequence_number(batch[0])]
        return [f.get("itemIdentifier") for f in response.get("batchItemFailures", [])]

    def deliver(self, shard_id: str, records: list[dict], source_arn: str | None = None) -> int:
        """Invokes the function batch by batch; stops at a reported failure. Returns how many
        records were handed over for good (a record given up on counts as handed over)."""
        delivered = 0
        for start in range(0, len(records), self.batch_size):
            batch = records[start:start + self.batch_size]
            sequence = [sequence_number(r) for r in batch]
            first_failed = first_failed_index(sequence, self._failures(batch, source_arn))
            if first_failed is None:
                self.positions[shard_id] = sequence[-1]
                delivered += len(batch)
                continue
            failed_seq = sequence[first_failed]
            attempts = self.attempts.get(failed_seq, 0) + 1
            self.attempts[failed_seq] = attempts
            if first_failed > 0:
                self.positions[shard_id] = sequence[first_failed - 1]
            delivered += first_failed
            if attempts >= self.max_attempts:
                logger.error("stream pump: giving up on record %s after %d attempts", failed_seq, attempts)
                self.positions[shard_id] = failed_seq
                self.attempts.pop(failed_seq, None)
                delivered += 1
            break
        self.records_delivered += delivered
        return delivered

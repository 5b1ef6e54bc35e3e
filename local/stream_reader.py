"""Reading a table's DynamoDB stream, shard by shard (DynamoDB Streams API, boto3).

Knows nothing of Lambda: it finds the stream and its shards (parents before children),
reads the records after a given sequence number, and turns boto3's parsed records back
into the JSON a Lambda event carries. What to do with the records (batches, failures,
retries) is local.stream_mapping's job.
"""
from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from datetime import datetime

READ_LIMIT = 1000
MOTO_ITERATOR_PRUNE_SECONDS = 60.0


def jsonable(value):
    """boto3 parses records into datetimes and bytes; the Lambda event carries JSON."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, set):
        return [jsonable(v) for v in value]
    return value


def parents_first(shards: list[dict]) -> list[dict]:
    """Shards ordered parents before children, so one item's changes stay in order across a
    shard split. A parent no longer listed (trimmed) does not hold its children back."""
    known = {s["ShardId"] for s in shards}
    ordered, placed = [], set()
    while len(ordered) < len(shards):
        progressed = False
        for shard in shards:
            parent = shard.get("ParentShardId")
            if shard["ShardId"] not in placed and (not parent or parent not in known or parent in placed):
                ordered.append(shard)
                placed.add(shard["ShardId"])
                progressed = True
        if not progressed:
            ordered.extend(s for s in shards if s["ShardId"] not in placed)
            break
    return ordered


@dataclass
class ShardPage:
    records: list[dict] = field(default_factory=list)   # as JSON, the way a Lambda event carries them
    closed: bool = False       # the shard has no more records, ever
    trimmed: bool = False      # the position asked for aged out of the stream: read again from the oldest kept


class ShardReader:
    """The stream of one table. `shards()` raises when the table has no stream (or the
    endpoint no Streams API); the caller decides what that means."""

    def __init__(self, client, table: str) -> None:
        self.client = client
        self.table = table
        self.stream_arn: str | None = None
        self._streams = None
        self._pruned_at = time.monotonic()

    def forget_stream(self) -> None:
        """Look the stream up again next time (the table may have been created meanwhile)."""
        self.stream_arn = None

    def _streams_client(self):
        if self._streams is None:
            import boto3
            from botocore.config import Config

            from speakpho.config import get_settings

            # No client-side validation: local engines use shorter shard ids than AWS (dynoxide: 25
            # characters, botocore insists on 28).
            self._streams = boto3.client("dynamodbstreams", region_name=self.client.meta.region_name,
                                         endpoint_url=get_settings().dynamodb_endpoint or None,
                                         config=Config(parameter_validation=False))
        return self._streams

    def shards(self) -> list[dict]:
        if self.stream_arn is None:
            arn = self.client.describe_table(TableName=self.table)["Table"].get("LatestStreamArn")
            if not arn:
                raise RuntimeError("the table has no stream")
            self.stream_arn = arn
        shards: list[dict] = []
        request = {"StreamArn": self.stream_arn}
        while True:
            description = self._streams_client().describe_stream(**request)["StreamDescription"]
            shards.extend(description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            request["ExclusiveStartShardId"] = last
        return parents_first(shards)

    def read(self, shard_id: str, after: str | None) -> ShardPage:
        """Pending records of a shard after sequence number `after` (None: from the oldest kept).
        A fresh iterator each time: moto swaps a table's stream object when a transaction rolls
        back, which strands older iterators."""
        from botocore.exceptions import ClientError

        streams = self._streams_client()
        request = {"StreamArn": self.stream_arn, "ShardId": shard_id}
        if after is None:
            request["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            request.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
        try:
            iterator = streams.get_shard_iterator(**request).get("ShardIterator")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "TrimmedDataAccessException":
                return ShardPage(trimmed=True)
            raise
        if not iterator:
            return ShardPage(closed=True)
        page = streams.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
        return ShardPage([jsonable(r) for r in page.get("Records", [])],
                         closed=page.get("NextShardIterator") is None)

    def prune_moto_iterators(self, lock) -> None:
        """moto keeps every shard iterator it ever issued; drop them now and then (the reader
        asks for a fresh one each read). Only for the embedded moto, never an endpoint."""
        from speakpho.config import get_settings

        if get_settings().dynamodb_endpoint or time.monotonic() - self._pruned_at < MOTO_ITERATOR_PRUNE_SECONDS:
            return
        self._pruned_at = time.monotonic()
        try:
            from moto.dynamodbstreams.models import dynamodbstreams_backends
        except ImportError:
            return
        with lock:
            for account in list(dynamodbstreams_backends.values()):
                for backend in list(account.values()):
                    getattr(backend, "shard_iterators", {}).clear()

"""Feeds the sessions table's DynamoDB stream to the rollup processor, the way the
deployed event source mapping does, so `make dev` shows fresh admin stats within a second.

    pump = StreamPump(gateway, dynamodb_client)
    pump.start()      # background daemon thread, polls about every 0.4 s
    pump.drain()      # or synchronously: process everything pending now (tests)
    pump.stop()

Records go to the same handler as deployed (infra.catalog.ROLLUPS) in batches of up to
100, in the event source mapping's event format. A record reported in batchItemFailures
is delivered again from that record on (like the mapping); after MAX_ATTEMPTS it is
skipped and logged, like a mapping with maximumRetryAttempts and an on-failure destination.

With DYNAMODB_ENDPOINT pointing at an engine without streams, the pump logs once and
the server keeps working (admin stats then stay empty).
"""
from __future__ import annotations

import base64
import logging
import threading
import time
from datetime import datetime

from infra import catalog

logger = logging.getLogger("local.streams")

POLL_SECONDS = 0.4
UNAVAILABLE_RETRY_SECONDS = 10.0
BATCH_SIZE = 100
READ_LIMIT = 1000
MAX_ATTEMPTS = 3
MOTO_ITERATOR_PRUNE_SECONDS = 60.0


def _jsonable(value):
    """boto3 parses records into datetimes and bytes; the Lambda event carries JSON."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, set):
        return [_jsonable(v) for v in value]
    return value


class StreamPump:
    def __init__(self, gateway, client, *, poll_seconds: float = POLL_SECONDS, table: str | None = None) -> None:
        from speakpho.tables import SESSIONS, table_name

        self.gateway = gateway
        self.client = client
        self.poll_seconds = poll_seconds
        self.table = table or table_name(SESSIONS)
        # moto is not thread-safe: stream reads share the gateway's lock with the handlers.
        self._lock = getattr(gateway, "lock", None) or getattr(gateway, "_lock", None) or threading.RLock()
        self._streams = None
        self._stream_arn: str | None = None
        self._positions: dict[str, str | None] = {}   # shard id -> last sequence number handed over
        self._closed_shards: set[str] = set()
        self._attempts: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unavailable_logged = False
        self._retry_at = 0.0
        self._pruned_at = time.monotonic()
        self.records_delivered = 0

    # lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="stream-pump", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        last_error = None
        while not self._stop.is_set():
            try:
                self.drain()
                last_error = None
            except Exception as exc:  # noqa: BLE001 - a dev helper must not take the server down
                if repr(exc) != last_error:   # once per distinct error, not every poll
                    logger.exception("stream pump: poll failed; will keep trying")
                last_error = repr(exc)
            self._stop.wait(self.poll_seconds)

    # polling -----------------------------------------------------------------
    def drain(self) -> int:
        """Hands every pending record to the rollup processor; returns how many were delivered."""
        if time.monotonic() < self._retry_at:
            return 0
        delivered = 0
        while True:
            with self._lock:
                batch_count = self._poll_once()
            delivered += batch_count
            if batch_count == 0:
                break
        self._prune_moto_iterators()
        return delivered

    def _poll_once(self) -> int:
        try:
            shards = self._shards()
        except Exception as exc:  # noqa: BLE001 - no streams on this endpoint, table missing...
            self._unavailable(exc)
            return 0
        delivered = 0
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id in self._closed_shards:
                continue
            records, closed = self._read_shard(shard_id)
            if records:
                delivered += self._deliver(shard_id, records)
            elif closed:
                self._closed_shards.add(shard_id)
        return delivered

    def _unavailable(self, exc: Exception) -> None:
        self._retry_at = time.monotonic() + UNAVAILABLE_RETRY_SECONDS
        self._stream_arn = None
        if not self._unavailable_logged:
            self._unavailable_logged = True
            logger.warning("stream pump: no DynamoDB stream for table %s (%s); admin stats will not update",
                           self.table, exc)

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

    def _shards(self) -> list[dict]:
        if self._stream_arn is None:
            arn = self.client.describe_table(TableName=self.table)["Table"].get("LatestStreamArn")
            if not arn:
                raise RuntimeError("the table has no stream")
            self._stream_arn = arn
        shards: list[dict] = []
        request = {"StreamArn": self._stream_arn}
        while True:
            description = self._streams_client().describe_stream(**request)["StreamDescription"]
            shards.extend(description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            request["ExclusiveStartShardId"] = last
        # Parents before children, so one item's changes stay in order across a shard split.
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

    def _read_shard(self, shard_id: str) -> tuple[list[dict], bool]:
        """Pending records of a shard. A fresh iterator each time: moto swaps a table's
        stream object when a transaction rolls back, which strands older iterators."""
        streams = self._streams_client()
        last = self._positions.get(shard_id)
        request = {"StreamArn": self._stream_arn, "ShardId": shard_id}
        if last is None:
            request["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            request.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=last)
        from botocore.exceptions import ClientError

        try:
            iterator = streams.get_shard_iterator(**request).get("ShardIterator")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "TrimmedDataAccessException":
                self._positions[shard_id] = None  # our position aged out: start from the oldest kept
                return [], False
            raise
        if not iterator:
            return [], True
        page = streams.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
        return page.get("Records", []), page.get("NextShardIterator") is None

    def _deliver(self, shard_id: str, records: list[dict]) -> int:
        """Invokes the processor batch by batch; stops at a reported failure so that the
        failed record and everything after it are read again next time."""
        delivered = 0
        for start in range(0, len(records), BATCH_SIZE):
            batch = records[start:start + BATCH_SIZE]
            event = {"Records": [{**_jsonable(r), "eventSourceARN": self._stream_arn} for r in batch]}
            try:
                response = self.gateway.invoke(catalog.ROLLUPS.handler, event, name="rollups") or {}
                failed = [f.get("itemIdentifier") for f in response.get("batchItemFailures", [])]
            except Exception:  # noqa: BLE001 - the whole batch failed, as a Lambda error would
                logger.exception("stream pump: rollup batch failed")
                failed = [batch[0]["dynamodb"]["SequenceNumber"]]
            sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
            first_failed = min((sequence.index(f) for f in failed if f in sequence), default=None)
            if first_failed is None:
                self._positions[shard_id] = sequence[-1]
                delivered += len(batch)
                continue
            failed_seq = sequence[first_failed]
            attempts = self._attempts.get(failed_seq, 0) + 1
            self._attempts[failed_seq] = attempts
            if first_failed > 0:
                self._positions[shard_id] = sequence[first_failed - 1]
            delivered += first_failed
            if attempts >= MAX_ATTEMPTS:
                logger.error("stream pump: giving up on record %s after %d attempts", failed_seq, attempts)
                self._positions[shard_id] = failed_seq
                self._attempts.pop(failed_seq, None)
                delivered += 1
            break
        self.records_delivered += delivered
        return delivered

    def _prune_moto_iterators(self) -> None:
        """moto keeps every shard iterator it ever issued; drop them now and then (the pump
        asks for a fresh one each poll). Only for the embedded moto, never an endpoint."""
        from speakpho.config import get_settings

        if get_settings().dynamodb_endpoint or time.monotonic() - self._pruned_at < MOTO_ITERATOR_PRUNE_SECONDS:
            return
        self._pruned_at = time.monotonic()
        try:
            from moto.dynamodbstreams.models import dynamodbstreams_backends
        except ImportError:
            return
        with self._lock:
            for account in list(dynamodbstreams_backends.values()):
                for backend in list(account.values()):
                    getattr(backend, "shard_iterators", {}).clear()

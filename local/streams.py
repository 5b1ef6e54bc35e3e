"""Feeds the sessions table's DynamoDB stream to the rollup processor, the way the
deployed event source mapping does, so `make dev` shows fresh admin stats within a second.

    pump = StreamPump(gateway, dynamodb_client)
    pump.start()      # background daemon thread, polls about every 0.4 s
    pump.drain()      # or synchronously: process everything pending now (tests)
    pump.stop()

The pump only schedules: local.stream_reader reads the shards, local.stream_mapping hands
the records to the same handler as deployed (infra.catalog.ROLLUPS) with the mapping's
batching, batchItemFailures and retry rules.

With DYNAMODB_ENDPOINT pointing at an engine without streams, the pump logs once and
the server keeps working (admin stats then stay empty).

With `positions_file` (make dev on its data file) the pump keeps each shard's position
there, per stream ARN, so a restart goes on after the last record handed over instead of
feeding the whole stream to the rollups again.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from pathlib import Path

from infra import catalog
from local.stream_mapping import BATCH_SIZE, MAX_ATTEMPTS, EventSourceMapping
from local.stream_reader import READ_LIMIT, ShardReader

__all__ = ["BATCH_SIZE", "MAX_ATTEMPTS", "READ_LIMIT", "POLL_SECONDS", "UNAVAILABLE_RETRY_SECONDS", "StreamPump"]

logger = logging.getLogger("local.streams")

POLL_SECONDS = 0.4
UNAVAILABLE_RETRY_SECONDS = 10.0
PAGE_PAUSE_SECONDS = 0.001    # between shard pages: a waiting request gets the lock (_poll_once)


class StreamPump:
    def __init__(self, gateway, client, *, poll_seconds: float = POLL_SECONDS, table: str | None = None,
                 positions_file: str | Path | None = None, engine_in_process: bool = True,
                 consumer: catalog.Area = catalog.ROLLUPS, name: str = "rollups") -> None:
        from speakpho.table_setup import table_name
        from speakpho.tables import SESSIONS

        self.gateway = gateway
        self.client = client
        self.poll_seconds = poll_seconds
        self.table = table or table_name(SESSIONS)
        # Deliveries invoke a handler: they take the gateway's lock, as every invocation does.
        self.lock = getattr(gateway, "lock", None) or threading.RLock()
        # moto (in-process) is not thread-safe: its stream reads take that lock too. A DynamoDB
        # endpoint (dynoxide) is read without it, so a slow read never holds a request up.
        self.read_lock = self.lock if engine_in_process else contextlib.nullcontext()
        self.reader = ShardReader(client, self.table)
        # One pump per event source mapping (each keeps its own positions): the rollups, or
        # another consumer of the stream (infra.catalog.CONVERSATION).
        self.consumer, self.name = consumer, name
        self.mapping = EventSourceMapping(self._invoke_rollups)
        self._closed_shards: set[str] = set()
        self._stop = threading.Event()
        self._draining = threading.Lock()
        self._thread: threading.Thread | None = None
        self._unavailable_logged = False
        self._retry_at = 0.0
        self.positions_file = Path(positions_file) if positions_file else None
        self._restored_for: str | None = None    # the stream whose saved positions were loaded

    @property
    def records_delivered(self) -> int:
        return self.mapping.records_delivered

    def _invoke_rollups(self, event: dict) -> dict | None:
        return self.gateway.invoke(self.consumer.handler, event, name=self.name)

    # lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="stream-pump", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the background thread is polling."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None
        self._save_positions()

    # positions kept across restarts -------------------------------------------
    def _restore_positions(self) -> None:
        arn = self.reader.stream_arn
        if not self.positions_file or not arn or self._restored_for == arn:
            return
        self._restored_for = arn
        try:
            saved = json.loads(self.positions_file.read_text())
        except (OSError, ValueError):
            saved = {}
        mine = saved.get(arn) if isinstance(saved, dict) else None
        for shard_id, position in (mine if isinstance(mine, dict) else {}).items():
            self.mapping.positions.setdefault(shard_id, position)

    def _save_positions(self) -> None:
        arn = self._restored_for
        if not self.positions_file or not arn:
            return
        # Only this stream's positions: a table created again (make dev-reset) has a new ARN.
        content = json.dumps({arn: {k: v for k, v in self.mapping.positions.items() if v}}, indent=1)
        temporary = self.positions_file.with_name(self.positions_file.name + ".tmp")
        temporary.write_text(content)
        os.replace(temporary, self.positions_file)

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
        """Hands every pending record to the rollup processor; returns how many were delivered.
        One drain at a time (the thread's, a test's): two would read the same page."""
        with self._draining:
            return self._drain()

    def _drain(self) -> int:
        if time.monotonic() < self._retry_at:
            return 0
        delivered = 0
        while True:
            batch_count = self._poll_once()
            delivered += batch_count
            if batch_count == 0:
                break
        self.reader.prune_moto_iterators(self.lock)
        if delivered:
            self._save_positions()
        return delivered

    def _poll_once(self) -> int:
        """One page of every open shard. The locks are held per shard page, not per poll: a
        request waits for one page's delivery at most, not for a backlog of thousands of records
        over many shards (which took over 30 s)."""
        try:
            with self.read_lock:
                shards = self.reader.shards()
        except Exception as exc:  # noqa: BLE001 - no streams on this endpoint, table missing...
            self._unavailable(exc)
            return 0
        self._restore_positions()
        delivered = 0
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id in self._closed_shards:
                continue
            with self.read_lock:
                page = self.reader.read(shard_id, after=self.mapping.position(shard_id))
            if page.trimmed:
                self.mapping.rewind(shard_id)
            elif page.records:
                with self.lock:
                    delivered += self.mapping.deliver(shard_id, page.records, self.reader.stream_arn)
                # A lock is not fair: taken again at once, it would keep a waiting request out.
                time.sleep(PAGE_PAUSE_SECONDS)
            elif page.closed:
                self._closed_shards.add(shard_id)
        return delivered

    def _unavailable(self, exc: Exception) -> None:
        self._retry_at = time.monotonic() + UNAVAILABLE_RETRY_SECONDS
        self.reader.forget_stream()
        if not self._unavailable_logged:
            self._unavailable_logged = True
            logger.warning("stream pump: no DynamoDB stream for table %s (%s); admin stats will not update",
                           self.table, exc)

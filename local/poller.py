"""The background thread of `make dev`'s local stand-ins for AWS triggers (local/jobs.py,
local/queue_runner.py): calls `poll()` every `poll_seconds` until stop(); a poll that raises
is logged and the next one tries again."""
from __future__ import annotations

import logging
import threading
from typing import Self


class PollingThread:
    def __init__(self, *, name: str, poll_seconds: float, failure_message: str, logger: logging.Logger) -> None:
        self.poll_seconds, self.failure_message, self.logger = poll_seconds, failure_message, logger
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def poll(self) -> object:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - logged; the next poll tries again
                self.logger.exception(self.failure_message)

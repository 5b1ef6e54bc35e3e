"""The one clock every handler reads.

Production reads the system time; tests and the local runner move it with
`advance()` or `set()` so that heartbeats, stale sweeps and spaced-repetition
schedules can be exercised without sleeping.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone


class Clock:
    def __init__(self) -> None:
        self._offset_ms = 0
        self._fixed_ms: int | None = None
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            if self._fixed_ms is not None:
                return self._fixed_ms
            return int(time.time() * 1000) + self._offset_ms

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now_ms() / 1000, tz=timezone.utc)

    def advance(self, seconds: float) -> int:
        with self._lock:
            delta = int(seconds * 1000)
            if self._fixed_ms is not None:
                self._fixed_ms += delta
            else:
                self._offset_ms += delta
        return self.now_ms()

    def set(self, epoch_ms: int | None) -> None:
        """Freeze the clock at `epoch_ms` (None returns to the system time)."""
        with self._lock:
            self._fixed_ms = epoch_ms
            if epoch_ms is None:
                self._offset_ms = 0


# Shared by every handler in a process; the local runner and tests move this one.
clock = Clock()


def utc_day(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d")


def utc_month(epoch_ms: int) -> str:
    """The usage period: the UTC calendar month, e.g. '2026-11'."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc).strftime("%Y-%m")

"""The dev clock's offset, kept next to the dev data: `POST /local/clock` moves the one clock
(speakpho.clock) ahead of the real time, and a restart of `make dev` would start it again at
the real time, so cards due on the moved clock would vanish from Review and sessions would
seem to run backwards. With a data file (DEV_DB_PATH) the offset is written to
<file>.clock.json at each move and applied again at start; MEMORY=1 keeps nothing.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from speakpho.clock import clock


class DevClockOffset:
    """How far the dev clock runs ahead of the real time (ms), kept in `path` when given."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.offset_ms = 0

    @classmethod
    def beside(cls, db_path: Path | None) -> "DevClockOffset":
        return cls(db_path.with_name(db_path.name + ".clock.json") if db_path else None)

    def restore(self) -> int:
        """Applies the kept offset to the clock; returns it (0 without a file or with a bad one)."""
        if not self.path or not self.path.exists():
            return 0
        try:
            kept = json.loads(self.path.read_text())["offsetMs"]
        except (OSError, ValueError, KeyError, TypeError):
            return 0
        if not isinstance(kept, int) or isinstance(kept, bool):
            return 0
        self.offset_ms = kept
        clock.advance(kept / 1000)
        return kept

    def advance(self, seconds: float) -> int:
        """Moves the clock and keeps the new offset; returns the clock's new time."""
        now = clock.advance(seconds)
        self.offset_ms += int(seconds * 1000)
        if self.path:
            partial = self.path.with_name(self.path.name + ".tmp")
            partial.write_text(json.dumps({"offsetMs": self.offset_ms}))
            os.replace(partial, self.path)     # a crash mid-write leaves the old offset
        return now

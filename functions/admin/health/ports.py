"""What the health domain needs from its stores, as typing.Protocol interfaces.

Domain modules annotate their store parameter with these and never import a store module
(admin.health_store, admin.rollup_store implement them). A store raises
speakpho.errors.ConditionLost when a conditional write finds the data changed, never
botocore's errors.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from admin.health.cells import Contribution


class CellSource(Protocol):
    """What stats are summed from: rollup cells, or one user's sessions."""

    def rollup_cells(self, day_from: str, day_to: str) -> list[dict]:
        """Cell items (pk, sk, counters) of the UTC days in range (inclusive)."""

    def user_sessions_in_range(self, user_id: str, start_ms: int, end_ms: int) -> list[dict]:
        """Every session of one user started in [start_ms, end_ms]."""


class SessionPages(CellSource, Protocol):
    """The list: the cells (to skip empty days) and pages of one day's or one user's sessions."""

    def sessions_page(self, partition: str, limit: int, start: dict | None, *,
                      start_ms: int, end_ms: int) -> tuple[list[dict], dict | None]:
        """At most `limit` sessions of `partition` ("day:YYYY-MM-DD", or "user:<id>" started in
        [start_ms, end_ms]), newest first, after `start`; and the position to continue from
        ({sessionId, startedAt}) or None when the partition is done."""


class SessionDetails(Protocol):
    def get_session(self, session_id: str) -> dict | None: ...

    def session_messages(self, session_id: str) -> list[dict]: ...

    def event_batches(self, session_id: str) -> list[dict]: ...

    def session_corrections(self, session_id: str) -> list[dict]: ...


class RollupLedger(Protocol):
    """The stream processor's store: the per-session ledger and the cells it moves."""
    rollup_shards: int   # the month partition's shards new contributions go to (Settings.rollup_shards)

    def get_ledger(self, session_id: str) -> dict | None:
        """The ledger row (consistent read), or None."""

    def commit_rollup(self, *, session_id: str, seen_version: int | None, version: int,
                      target: Contribution | None, deltas: dict[tuple[str, str], dict]) -> None:
        """Adds `deltas` to their cells and records `target` at `version` as applied, at once,
        if the ledger is still at `seen_version` (None: no ledger); else raises ConditionLost."""

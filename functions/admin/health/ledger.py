"""The replay-safe ledger: moves the rollup cells to what the newest image of a session
contributes.

A ledger row per session holds the contribution last applied and the session `version`
it came from: each change moves the cells from the applied contribution to the new one
(a delta) and rewrites the ledger in the same transaction. A replayed or older record
(version not newer than the ledger) changes nothing, and because the delta is taken
against what was applied (not the record's old image) a record skipped or delivered out
of order cannot leave a cell wrong.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho.errors import ConditionLost

from admin.health.cells import Contribution, contribution, contribution_delta

if TYPE_CHECKING:
    from admin.health.ports import RollupLedger

LEDGER_ATTEMPTS = 5
APPLIED, SKIPPED, UNCHANGED = "applied", "skipped", "unchanged"


def record_version(new_image: dict | None, old_image: dict | None) -> int:
    """The version a record stands for; a removal supersedes every version the item had."""
    if new_image is not None:
        return int(new_image.get("version") or 0)
    return int((old_image or {}).get("version") or 0) + 1


def applied_contribution(ledger: dict | None) -> Contribution | None:
    if ledger and ledger.get("cellPk"):
        return Contribution(ledger["cellPk"], ledger["cellSk"], dict(ledger.get("values") or {}))
    return None


def apply_session_change(store: RollupLedger, session_id: str, new_image: dict | None,
                         old_image: dict | None) -> str:
    """Returns "applied"; "skipped" for a replayed or superseded record and "unchanged" for a
    change the rollups do not count (nothing written in either case)."""
    version = record_version(new_image, old_image)
    target = contribution(new_image, store.rollup_shards)
    for _ in range(LEDGER_ATTEMPTS):
        ledger = store.get_ledger(session_id)
        applied_version = None if ledger is None else int(ledger.get("appliedVersion", 0))
        if applied_version is not None and applied_version > version:
            return SKIPPED              # an older record, delivered after a newer one
        deltas = contribution_delta(applied_contribution(ledger), target)
        if applied_version == version and not deltas:
            return SKIPPED              # the same record again (a retry or a replay)
        if not deltas and ledger is not None and new_image is not None:
            # Nothing this view counts changed (the ledger already holds this contribution),
            # so nothing is written; a later replay of this record still finds no change.
            return UNCHANGED
        try:
            store.commit_rollup(session_id=session_id, seen_version=applied_version, version=version,
                                target=target, deltas=deltas)
        except ConditionLost:
            continue                    # another invocation moved the ledger meanwhile: read it again
        return APPLIED
    raise RuntimeError(f"rollup ledger of session {session_id} kept changing; will retry")

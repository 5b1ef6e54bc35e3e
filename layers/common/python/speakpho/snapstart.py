"""SnapStart: what a function does before its snapshot, the same way for every function a
learner waits on (session, learning; infra/constructs/functions.py SNAP_START).

Before the snapshot the function builds what its first request would otherwise pay for:
the settings and the DynamoDB client (through its store factories), the request
validators (pydantic models are built lazily, `defer_build`), and any import it defers.
"""
from __future__ import annotations

from typing import Callable, Iterable


def warm(*, stores: Iterable[Callable[[], object]] = (), models: Iterable[type] = (),
         extra: Iterable[Callable[[], object]] = ()) -> None:
    for factory in stores:
        factory()
    for model in models:
        model.model_rebuild(force=True)
    for step in extra:
        step()


def before_snapshot(hook: Callable[[], None]) -> bool:
    """Registers `hook` with Lambda's runtime (which runs it only when taking a snapshot);
    False where the runtime hook does not exist (locally, in tests)."""
    try:
        from snapshot_restore_py import register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(hook)
    return True


def after_restore(hook: Callable[[], None]) -> bool:
    """Registers `hook` to run in each container restored from the snapshot (e.g. to forget
    what must not be shared between containers); False where the runtime hook does not exist."""
    try:
        from snapshot_restore_py import register_after_restore
    except ImportError:
        return False
    register_after_restore(hook)
    return True

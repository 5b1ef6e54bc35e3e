"""Erasure of a learner's transcripts and corrections as a job (DELETE /api/learning/history
starts it, GET /api/learning/erasure/{id} reads it, learning/erasure_worker.py runs it).

Domain logic only (plain data, a LearningStore, the clock, a queue port); no HTTP here.

What goes: every session of the history up to the one in progress (kept, with everything
numbered after it, for a later erasure: its transcript does not exist yet), each withdrawn
as learning/withdrawal.py does (an end racing it cannot leave content behind), with its
transcript and corrections; then the imported corrections. What stays: the session items
(usage and billing records, out of the history with zero content counts), and the kept
sessions with their corrections.

The job's row (speakpho.tables.erasure_key) holds its phase and progress, so any run
resumes where the last one stopped, whatever stopped it (a timeout, a crash): each step is
idempotent and conditional. Phases: plan (find what to erase, count it into itemsLeft,
move historyErasedThrough so the history is empty at once) -> sessions (a bounded slice per
read) -> imports (a counted transaction each) -> done (the mark again: a run that died
between the plan's save and its mark still ends with it).
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Callable, Protocol

from speakpho.clock import Clock
from speakpho.errors import ConditionLost, NotFound

from learning.history import history_bounds
from learning.withdrawal import withdraw_content

if TYPE_CHECKING:
    from learning.learning_store import LearningStore

SESSIONS_PER_READ = 25
IMPORTS_PER_TRANSACTION = 99
COUNTS = ("sessionsErased", "messagesDeleted", "correctionsDeleted")


class ErasureQueue(Protocol):
    def send(self, user_id: str, erasure_id: str) -> None: ...


def erasure_view(job: dict) -> dict:
    """What GET /api/learning/erasure/{id} answers. itemsLeft: the messages and corrections
    still to delete (null until the job has counted them; 0 when done)."""
    left = job.get("itemsLeft")
    view = {"erasureId": job["erasureId"], "status": job["status"], "requestedAt": job["requestedAt"],
            "itemsLeft": None if left is None else (0 if job["status"] == "done" else max(0, int(left)))}
    view.update({k: int(job.get(k) or 0) for k in (*COUNTS, "sessionsKept")})
    return view


def start_erasure(store: LearningStore, queue: ErasureQueue, clock: Clock, user_id: str) -> dict:
    """Records the job and queues it: one PutItem and one message, whatever the history's size."""
    erasure_id = uuid.uuid4().hex
    job = {"erasureId": erasure_id, "status": "running", "phase": "plan", "requestedAt": clock.now_ms()}
    store.create_erasure(user_id, erasure_id, job)
    queue.send(user_id, erasure_id)
    return erasure_view(job)


def erasure_status(store: LearningStore, user_id: str, erasure_id: str) -> dict:
    job = store.get_erasure(user_id, erasure_id)
    if not job:
        raise NotFound("erasure not found")
    return erasure_view(job)


def run_erasure(store: LearningStore, clock: Clock, user_id: str, erasure_id: str, *,
                has_time: Callable[[], bool]) -> dict:
    """Works on the job while `has_time()` (checked between bounded steps); returns its view.
    Its status is "done" when nothing is left, else the caller queues it again."""
    job = store.get_erasure(user_id, erasure_id)
    if not job:
        raise NotFound("erasure not found")
    while job["status"] != "done" and has_time():
        step = {"plan": _plan, "sessions": _sessions_step, "imports": _imports_step}[job["phase"]]
        step(store, clock, user_id, job, has_time)
        job = store.get_erasure(user_id, erasure_id)
    return erasure_view(job)


def _plan(store: LearningStore, clock: Clock, user_id: str, job: dict, has_time) -> None:  # noqa: ARG001
    bounds = history_bounds(store.get_profile(user_id))
    sessions = store.history_slice(user_id, bounds.erased + 1, bounds.count)
    in_progress = [s["historySeq"] for s in sessions if s.get("status") == "active"]
    through = min(in_progress) - 1 if in_progress else bounds.count
    erased = [s for s in sessions if s["historySeq"] <= through]
    imported = int((store.get_stats(user_id) or {}).get("imported") or 0)
    items = sum(int(s.get("messageCount") or 0) + int(s.get("correctionCount") or 0) for s in erased) + imported
    store.save_erasure(user_id, job["erasureId"], sets={
        "phase": "sessions", "from": bounds.erased + 1, "through": through, "itemsLeft": items,
        "sessionsKept": len(sessions) - len(erased)})
    _mark(store, user_id, through)


def _mark(store: LearningStore, user_id: str, through: int) -> None:
    """historyErasedThrough = through (only forward), forgetting the deleted numbers it covers."""
    bounds = history_bounds(store.get_profile(user_id))
    if through > bounds.erased:
        store.mark_history_erased(user_id, through, forget={d for d in bounds.deleted if d <= through})


def _sessions_step(store: LearningStore, clock: Clock, user_id: str, job: dict, has_time) -> None:
    sessions = store.history_slice(user_id, int(job["from"]), int(job["through"]), limit=SESSIONS_PER_READ)
    if not sessions:
        store.save_erasure(user_id, job["erasureId"], sets={"phase": "imports"})
        return
    for session in sessions:
        if not has_time():
            return
        now = clock.now_ms()
        try:
            deleted = withdraw_content(store, user_id, session["sessionId"], now)
            store.remove_erased(user_id=user_id, session_id=session["sessionId"], now=now)
        except ConditionLost:
            continue   # deleted one by one, or erased by another job, meanwhile
        store.save_erasure(user_id, job["erasureId"], adds={
            "sessionsErased": 1, "messagesDeleted": deleted["messagesDeleted"],
            "correctionsDeleted": deleted["correctionsDeleted"],
            "itemsLeft": -(deleted["messagesDeleted"] + deleted["correctionsDeleted"])})


def _imports_step(store: LearningStore, clock: Clock, user_id: str, job: dict, has_time) -> None:  # noqa: ARG001
    imported = store.imported_corrections(user_id, IMPORTS_PER_TRANSACTION)
    if not imported:
        _mark(store, user_id, int(job["through"]))
        store.save_erasure(user_id, job["erasureId"], sets={"status": "done", "itemsLeft": 0,
                                                             "doneAt": clock.now_ms()})
        return
    try:
        store.delete_counted(user_id, imported)
    except ConditionLost:
        return   # one reviewed meanwhile: read again
    store.save_erasure(user_id, job["erasureId"], adds={"correctionsDeleted": len(imported),
                                                        "itemsLeft": -len(imported)})

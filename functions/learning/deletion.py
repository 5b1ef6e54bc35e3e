"""Deleting what a learner said: one conversation (DELETE /api/learning/session/{id}) or
every transcript and correction (DELETE /api/learning/history, erasure).

Domain logic only (plain data, a LearningStore, the clock); no HTTP here.

Either way the session items stay: they are the usage and billing records (secondsUsed,
the period's arithmetic, the admin's session health), so usage never changes. What goes
is the transcript, the corrections (and their share of the #stats counters) and the
session's place in the history (learning/history.py explains the numbering).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho.clock import Clock
from speakpho.corrections import stats_counts
from speakpho.errors import ConditionLost, Conflict, NotFound

from learning.history import history_bounds

if TYPE_CHECKING:  # the store is passed in; the domain never imports botocore through it
    from learning.learning_store import LearningStore

DELETE_ATTEMPTS = 3


def delete_session(store: LearningStore, clock: Clock, user_id: str, session_id: str) -> dict:
    """Deletes one ended session's transcript and corrections and takes it out of the history.

    Someone else's session, or none: 404. Still active: 409 session_active (its transcript
    arrives with its end). Already out of the history (deleted before, or erased): 200 with
    zero counts, so a repeat is harmless.

    Order: the transcript (batch deletes), then the corrections in transactions that take
    exactly them off the counters, the last of which also takes the session out of the
    history and records its number (usually one transaction for all of it). The session
    leaves the history last, so a call that fails half-way leaves it listed and a repeat
    finishes the work. Each correction is deleted only at the version read: one reviewed
    meanwhile makes the transaction fail, and the deletion reads again (3 attempts, then
    409 delete_contended).
    """
    result = {"sessionId": session_id, "messagesDeleted": 0, "correctionsDeleted": 0}
    for _ in range(DELETE_ATTEMPTS):
        session = store.get_session(session_id, consistent=True)
        if not session or session.get("userId") != user_id:
            raise NotFound("session not found")
        if session.get("historyUser") != user_id:
            return result  # deleted already (a repeat, another device) or erased
        if session.get("status") == "active":
            raise Conflict("this session is still in progress: end it before deleting it", code="session_active")
        if session.get("messageCount"):  # else nothing was stored (messages given => their number)
            seqs = store.message_seqs(session_id)
            store.delete_messages(session_id, seqs)
            result["messagesDeleted"] += len(seqs)
        corrections = []
        if session.get("correctionCount"):
            corrections = [c for c in store.session_corrections(session_id) if c.get("userId") == user_id]
        split = max(0, len(corrections) - store.CORRECTIONS_WITH_SESSION)
        chunk = store.CORRECTIONS_PER_TRANSACTION
        try:
            for start in range(0, split, chunk):
                part = corrections[start:min(start + chunk, split)]
                store.delete_counted(user_id, part)
                result["correctionsDeleted"] += len(part)
            store.commit_session_deletion(user_id=user_id, session_id=session_id, seq=session["historySeq"],
                                          now=clock.now_ms(), corrections=corrections[split:])
        except ConditionLost:
            continue  # a correction reviewed, or the session deleted/erased meanwhile: read again
        result["correctionsDeleted"] += len(corrections) - split
        return result
    raise Conflict("this session is being changed elsewhere; retry", code="delete_contended")


def erase_history(store: LearningStore, clock: Clock, user_id: str) -> dict:
    """Erases the learner's transcripts and corrections and empties their history.

    Session items stay (they are usage and billing records) but leave the history index
    with their content counts zeroed. A session still in progress is kept in the history
    (its transcript does not exist yet), and so is anything numbered after it; a later
    erasure takes them. Re-running after a failure resumes where it stopped.
    """
    now = clock.now_ms()
    bounds = history_bounds(store.get_profile(user_id))
    count, erased = bounds.count, bounds.erased
    sessions = store.history_range(user_id, erased + 1, count, newest_first=False)
    in_progress = [s["historySeq"] for s in sessions if s.get("status") == "active"]
    through = min(in_progress) - 1 if in_progress else count
    to_erase = [s for s in sessions if s["historySeq"] <= through]

    messages_deleted = 0
    for session in to_erase:
        if not session.get("messageCount"):
            continue  # nothing was stored for it (messages given => messageCount = their number)
        seqs = store.message_seqs(session["sessionId"])
        store.delete_messages(session["sessionId"], seqs)
        messages_deleted += len(seqs)
    store.remove_from_history(user_id, [s["sessionId"] for s in to_erase], now)
    if through > erased:
        store.mark_history_erased(user_id, through, forget={d for d in bounds.deleted if d <= through})

    corrections = store.all_corrections(user_id)
    store.delete_corrections(user_id, [c["correctionId"] for c in corrections])
    store.subtract_stats(user_id, stats_counts(corrections))

    return {
        "sessionsErased": len(to_erase),
        "messagesDeleted": messages_deleted,
        "correctionsDeleted": len(corrections),
        "sessionsKept": len(sessions) - len(to_erase),
    }

"""Deleting what a learner said in one conversation (DELETE /api/learning/session/{id}); the
erasure of everything (DELETE /api/learning/history) is a job: learning/erasure.py.

Domain logic only (plain data, a LearningStore, the clock); no HTTP here.

The session item stays: it is the usage and billing record (secondsUsed, the period's
arithmetic, the admin's session health), so usage never changes. What goes is the
transcript, the corrections (and their share of the #stats counters) and the session's
place in the history (learning/history.py explains the numbering).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho.clock import Clock
from speakpho.errors import ConditionLost, Conflict, NotFound

from learning.withdrawal import withdraw_content

if TYPE_CHECKING:  # the store is passed in; the domain never imports botocore through it
    from learning.learning_store import LearningStore

DELETE_ATTEMPTS = 3


def delete_session(store: LearningStore, clock: Clock, user_id: str, session_id: str) -> dict:
    """Deletes one ended session's transcript and corrections and takes it out of the history.

    Someone else's session, or none: 404. Still active: 409 session_active (its transcript
    arrives with its end). Already out of the history (deleted before, or erased): 200 with
    zero counts, so a repeat is harmless.

    Order (learning/withdrawal.py, which an end racing this cannot slip content past): the
    session is closed to ends, its transcript and corrections go (the counted ones exactly,
    each at the version read), then the session leaves the history and its number joins the
    profile's historyDeleted, last: a call that fails half-way leaves it listed and a repeat
    finishes the work. Concurrent deletions of one session count each correction once.
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
        now = clock.now_ms()
        try:
            deleted = withdraw_content(store, user_id, session_id, now)
        except ConditionLost:
            continue   # deleted or erased meanwhile: read again
        result["messagesDeleted"] += deleted["messagesDeleted"]
        result["correctionsDeleted"] += deleted["correctionsDeleted"]
        try:
            store.commit_session_deletion(user_id=user_id, session_id=session_id, seq=session["historySeq"],
                                          now=now, corrections=[])
        except ConditionLost:
            continue   # a concurrent deletion took it out first: the re-read answers
        return result
    raise Conflict("this session is being changed elsewhere; retry", code="delete_contended")

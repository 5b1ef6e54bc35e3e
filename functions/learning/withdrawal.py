"""Withdrawing one session's content: what deleting a conversation and erasing a history
both do to each session, so that neither can race a session end into leaving content the
learner can no longer see or erase.

The end writes its transcript and corrections first and commits after (its commit is
conditioned on contentStoredAt being absent, and it counts the corrections then). So:

1. close: the session gets contentStoredAt (if missing) and contentWithdrawnAt. No end can
   commit after this, and the session's correctionCount is final: the corrections with
   correctionIndex < correctionCount are exactly the counted ones (an end counts and sets
   correctionCount in its one commit);
2. the transcript goes (every item of the session's partition, whatever messageCount says:
   an end in flight may have written some);
3. the corrections go: the counted ones from the highest index down, in transactions that
   take them off the counters and lower correctionCount with them (each at the version
   read: a review meanwhile fails the transaction and the step reads again); any other
   correction of the session (written by an end that never committed) is deleted plainly;
4. the caller takes the session out of the history.

An end that loses its commit to step 1 finds contentWithdrawnAt and deletes what it wrote
(speakpho.metering.end: its transcript items, and its corrections at or above
correctionCount, which no counter holds). Whichever comes second cleans up: what an end
writes before step 2 or 3 reads is deleted there, what it writes after is deleted by it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho.errors import ConditionLost, Conflict

from learning.withdrawal_store import WITHDRAW_PER_TRANSACTION

if TYPE_CHECKING:
    from learning.learning_store import LearningStore

CORRECTION_ATTEMPTS = 8


def withdraw_content(store: LearningStore, user_id: str, session_id: str, now: int) -> dict:
    """Steps 1-3 for one session of the learner's history: {"messagesDeleted",
    "correctionsDeleted" (the counted ones this call deleted)}. ConditionLost when the
    session is not in the learner's history (any more) or is active."""
    closed = store.close_content(user_id=user_id, session_id=session_id, now=now)
    seqs, messages = store.message_seqs(session_id)
    store.delete_messages(session_id, seqs)
    deleted = delete_session_corrections(store, user_id, session_id, count=int(closed.get("correctionCount") or 0))
    return {"messagesDeleted": messages, "correctionsDeleted": deleted}


def _index(correction: dict) -> int:
    return int(correction.get("correctionIndex") or 0)


def delete_session_corrections(store: LearningStore, user_id: str, session_id: str, *, count: int) -> int:
    """Step 3 on a closed session; returns how many counted corrections this call deleted
    (a concurrent withdrawal of the same session deletes the others). 409 delete_contended
    after CORRECTION_ATTEMPTS lost transactions."""
    deleted = 0
    for attempt in range(CORRECTION_ATTEMPTS):
        # `count` as the close returned it first, then read again after the corrections: one
        # deleted in between by a concurrent withdrawal is then only deleted again (a no-op,
        # as "uncounted"), never counted twice; with `count` from before the corrections, a
        # lower count since only fails the first transaction.
        items = [c for c in store.session_corrections(session_id) if c.get("userId") == user_id]
        if attempt:
            count = int((store.get_session(session_id, consistent=True) or {}).get("correctionCount") or 0)
        counted = sorted((c for c in items if _index(c) < count), key=_index, reverse=True)
        uncounted = [c["correctionId"] for c in items if _index(c) >= count]
        if uncounted:
            store.delete_uncounted(user_id, uncounted)
        try:
            for start in range(0, len(counted), WITHDRAW_PER_TRANSACTION):
                part = counted[start:start + WITHDRAW_PER_TRANSACTION]
                last = start + WITHDRAW_PER_TRANSACTION >= len(counted)
                low = 0 if last else _index(part[-1])   # the last one leaves none counted
                store.delete_counted_top(user_id=user_id, session_id=session_id, corrections=part,
                                         count_from=count, count_to=low)
                count = low
                deleted += len(part)
        except ConditionLost:
            continue   # reviewed or withdrawn elsewhere meanwhile: read again
        return deleted
    raise Conflict("this session is being changed elsewhere; retry", code="delete_contended")

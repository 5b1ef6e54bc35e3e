"""Learning history: the learner's sessions page by page, one session with its transcript
and corrections, and erasure of transcripts and corrections.

Domain logic only (plain data, a LearningStore, the clock); no HTTP here.

History numbering: every session gets historySeq = 1..n per learner when it starts, and
the profile row keeps n (sessionCount). Erasure removes sessions 1..k from the sparse
learning_history index and records historyErasedThrough = k, so the history is exactly
the sequence numbers k+1..n: total = n - k, and page p is the key range
[n - p*limit + 1, n - (p-1)*limit] clipped at k+1, i.e. one GetItem and one Query
whatever the size of the history.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho import cursors
from speakpho.clock import Clock
from speakpho.errors import NotFound
from speakpho.views import correction_view, message_view, session_view

if TYPE_CHECKING:  # the store is passed in; the domain never imports botocore through it
    from learning.learning_store import LearningStore

HISTORY_FIELDS = ("id", "startedAt", "endedAt", "topic", "difficulty", "mode", "provider",
                  "messageCount", "correctionCount", "minutesUsed", "creditedSeconds")


def history_entry(item: dict) -> dict:
    view = session_view(item)
    return {k: view[k] for k in HISTORY_FIELDS}


def _history_bounds(profile: dict) -> tuple[int, int]:
    return int(profile.get("sessionCount", 0)), int(profile.get("historyErasedThrough", 0))


def history_page(store: LearningStore, user_id: str, *, page: int, limit: int, cursor: str | None) -> dict:
    """Newest first. `cursor` (from nextCursor) wins over `page` and stays stable while new
    sessions are started; `page` numbers shift by one with each new session."""
    count, erased = _history_bounds(store.get_profile(user_id))
    if cursor:
        before = cursors.decode(cursor).get("before")
        if not cursors.is_int(before):
            raise cursors.invalid()
        high = min(before, count)
        page = (count - high) // limit + 1
    else:
        high = count - (page - 1) * limit
    low = max(erased + 1, high - limit + 1)
    items = store.history_range(user_id, low, high) if high >= low else []
    result = {
        "sessions": [history_entry(i) for i in items],
        "pagination": {"total": max(0, count - erased), "page": page, "limit": limit},
    }
    if high >= low > erased + 1:
        result["nextCursor"] = cursors.encode({"before": low - 1})
    return result


def _owned_history_session(store: LearningStore, user_id: str, session_id: str) -> dict:
    session = store.get_session(session_id)
    # Someone else's session, or one taken out of the history by erasure: not found.
    if not session or session.get("userId") != user_id or session.get("historyUser") != user_id:
        raise NotFound("session not found")
    return session


def session_detail(store: LearningStore, user_id: str, session_id: str) -> dict:
    session = _owned_history_session(store, user_id, session_id)
    messages = store.session_messages(session_id)  # in seq order (the sort key)
    corrections = [c for c in store.session_corrections(session_id) if c.get("userId") == user_id]
    return {
        "session": session_view(session),
        "messages": [message_view(m) for m in messages],
        "corrections": [correction_view(c) for c in corrections],
    }


def erase_history(store: LearningStore, clock: Clock, user_id: str) -> dict:
    """Erases the learner's transcripts and corrections and empties their history.

    Session items stay (they are usage and billing records) but leave the history index
    with their content counts zeroed. A session still in progress is kept in the history
    (its transcript does not exist yet), and so is anything numbered after it; a later
    erasure takes them. Re-running after a failure resumes where it stopped.
    """
    now = clock.now_ms()
    count, erased = _history_bounds(store.get_profile(user_id))
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
        store.mark_history_erased(user_id, through)

    corrections = store.all_corrections(user_id)
    store.delete_corrections(user_id, [c["correctionId"] for c in corrections])
    deleted_counts = {"total": len(corrections),
                      "reviewed": sum(1 for c in corrections if c.get("reviewed"))}
    for c in corrections:
        if c.get("category"):
            key = f"cat_{c['category']}"
            deleted_counts[key] = deleted_counts.get(key, 0) + 1
    store.subtract_stats(user_id, deleted_counts)

    return {
        "sessionsErased": len(to_erase),
        "messagesDeleted": messages_deleted,
        "correctionsDeleted": len(corrections),
        "sessionsKept": max(0, count - max(through, erased)),
    }

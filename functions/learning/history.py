"""Learning history: the learner's sessions page by page, and one session with its
transcript and corrections (erasure and deleting one session: learning/deletion.py).

Domain logic only (plain data, a LearningStore); no HTTP here.

History numbering: every session gets historySeq = 1..n per learner when it starts, and
the profile row keeps n (sessionCount). Two things take numbers out of the sparse
learning_history index: erasure removes sessions 1..k and records historyErasedThrough =
k; deleting one session removes it and adds its number to the profile's historyDeleted
(a number set; an erasure later drops the numbers it covers). So the history is exactly
the numbers k+1..n minus the deleted ones D, known from the profile row alone:
total = n - k - |D|, and page p (newest first) holds the `limit` numbers that remain
after skipping (p-1)*limit of them from n down. The page's key range [low, high] is
computed from k, n and D so that it holds exactly those numbers (every page is full but
the last, whatever was deleted): one GetItem and one Query whatever the size of the
history. A cursor {"before": b} is the range just below the previous page's low end.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from speakpho import cursors
from speakpho.errors import NotFound
from speakpho.views import correction_view, message_view, session_view

if TYPE_CHECKING:  # the store is passed in; the domain never imports botocore through it
    from learning.learning_store import LearningStore

HISTORY_FIELDS = ("id", "startedAt", "endedAt", "topic", "difficulty", "mode", "provider",
                  "messageCount", "correctionCount", "minutesUsed", "creditedSeconds")


def history_entry(item: dict) -> dict:
    view = session_view(item)
    return {k: view[k] for k in HISTORY_FIELDS}


@dataclass(frozen=True)
class HistoryBounds:
    count: int                  # n: the last number given
    erased: int                 # k: numbers 1..k were erased
    deleted: tuple[int, ...]    # D: numbers above k deleted one by one, ascending

    def gone_between(self, low: int, high: int) -> int:
        """How many numbers in low..high were deleted one by one."""
        return max(0, bisect_right(self.deleted, high) - bisect_left(self.deleted, low))

    def remaining_between(self, low: int, high: int) -> int:
        """How many numbers in low..high are in the history."""
        low = max(low, self.erased + 1)
        return max(0, high - low + 1 - self.gone_between(low, high))

    @property
    def total(self) -> int:
        return self.remaining_between(1, self.count)

    def low_end(self, high: int, wanted: int) -> int:
        """The lowest number of the shortest range low..high holding `wanted` numbers of the
        history (k+1 when fewer remain). O(|D| log |D|) at worst, no request."""
        low, floor = high + 1, self.erased + 1
        while wanted > 0 and low > floor:
            step = max(floor, low - wanted)
            wanted -= (low - step) - self.gone_between(step, low - 1)
            low = step
        return low


def history_bounds(profile: dict) -> HistoryBounds:
    erased = int(profile.get("historyErasedThrough", 0))
    deleted = tuple(sorted(int(d) for d in profile.get("historyDeleted") or () if int(d) > erased))
    return HistoryBounds(int(profile.get("sessionCount", 0)), erased, deleted)


def history_page(store: LearningStore, user_id: str, *, page: int, limit: int, cursor: str | None) -> dict:
    """Newest first. `cursor` (from nextCursor) wins over `page` and stays stable while new
    sessions are started or sessions deleted; `page` numbers shift with each of those."""
    bounds = history_bounds(store.get_profile(user_id))
    count = bounds.count
    if cursor:
        before = cursors.decode(cursor).get("before")
        if not cursors.is_int(before):
            raise cursors.invalid()
        high = min(before, count)
        page = bounds.remaining_between(high + 1, count) // limit + 1
    else:
        skipped = (page - 1) * limit
        high = bounds.low_end(count, skipped) - 1 if skipped else count
    low = bounds.low_end(high, limit)
    items = store.history_range(user_id, low, high) if high >= low else []
    result = {
        "sessions": [history_entry(i) for i in items],
        "pagination": {"total": bounds.total, "page": page, "limit": limit},
    }
    if high >= low and bounds.remaining_between(1, low - 1):
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

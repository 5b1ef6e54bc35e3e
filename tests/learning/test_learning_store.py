"""LearningStore's lost conditions: a review at a stale version raises ConditionLost; an
erasure mark that would move back is no error (the store handles it, as documented)."""
from __future__ import annotations

import pytest

from learning.learning_store import learning_store
from learning_helpers import correction, run_session
from speakpho.errors import ConditionLost


def test_a_review_at_a_stale_version_is_lost_and_changes_nothing(alice, clock):
    run_session(alice, clock, corrections=[correction(0)])
    store = learning_store()
    item = store.all_corrections("alice")[0]
    before = store.get_correction("alice", item["correctionId"])
    for delta in (0, 1):  # UpdateItem alone, and the transaction with the counters
        with pytest.raises(ConditionLost):
            store.save_review(user_id="alice", correction_id=item["correctionId"], version=before["version"] + 1,
                              sets={"reviewed": True}, removes=(), reviewed_delta=delta)
    assert store.get_correction("alice", item["correctionId"]) == before
    assert store.get_stats("alice").get("reviewed", 0) == 0


def test_the_erasure_mark_only_moves_forward(alice, clock):
    for _ in range(3):
        run_session(alice, clock)
    store = learning_store()
    store.mark_history_erased("alice", 2)
    store.mark_history_erased("alice", 1)  # a slower concurrent erasure: no error, no step back
    assert store.get_profile("alice") == {"sessionCount": 3, "historyErasedThrough": 2}
    store.mark_history_erased("nobody", 1)  # no profile row: nothing to mark, no row created
    assert store.get_profile("nobody") == {}

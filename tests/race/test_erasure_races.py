"""An end racing a deletion or an erasure of its session, on dynoxide: whichever loses
cleans up after itself (learning/withdrawal.py), so no message or correction of a deleted
or erased session is left, and the #stats counters match the corrections that exist.

The late end of a session the sweeper closed is the one that can lose: it writes its
transcript and corrections, then commits only if no content is stored yet."""
from __future__ import annotations

import threading
import uuid

import pytest

from learning import deletion, erasure
from learning.learning_store import learning_store
from speakpho import metering
from speakpho.config import get_settings
from speakpho.deps import metering_store
from speakpho.metering.sweep import close_stale_sessions
from speakpho.models import StartSessionRequest
from speakpho.end_store import EndStore
from learning.withdrawal_store import WithdrawalStore
from test_races import end_request, run_together
from provider_fakes import fake_ports

PORTS = fake_ports()
pytestmark = pytest.mark.race


def _swept_session(clock, user, kept_corrections: int = 3) -> str:
    """A learner with one ended session holding `kept_corrections`, and a session the sweeper
    closed (no content yet): its id."""
    store, settings = metering_store(), get_settings()
    kept = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)
    clock.advance(30)
    metering.end_session(store, settings, clock, user, end_request(kept["sessionId"], 4, kept_corrections), PORTS)
    late = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)
    clock.advance(600)
    close_stale_sessions(store, settings, clock, PORTS)
    assert store.get_session(late["sessionId"])["status"] == "ended"
    return late["sessionId"]


def _late_end(clock, user, session_id):
    return metering.end_session(metering_store(), get_settings(), clock, user,
                                end_request(session_id, 40, 12), PORTS)


def _erase(clock, user):
    store = learning_store()
    started = erasure.start_erasure(store, _NoQueue(), clock, user.user_id)
    return erasure.run_erasure(store, clock, user.user_id, started["erasureId"], has_time=lambda: True)


class _NoQueue:
    def send(self, user_id, erasure_id):
        pass


def _assert_nothing_left(user, session_id):
    store = learning_store()
    session = store.get_session(session_id, consistent=True)
    assert "historyUser" not in session                      # out of the history
    assert store.session_messages(session_id) == []
    assert store.session_corrections(session_id) == []
    held = store.all_corrections(user.user_id)
    stats = store.get_stats(user.user_id) or {}
    assert int(stats.get("total", 0)) == len(held), (stats, len(held))
    assert int(stats.get("cat_grammar", 0)) == sum(1 for c in held if c.get("category") == "grammar")


def _user():
    return metering.UserRef(f"racer-{uuid.uuid4().hex[:8]}", email_verified=True)


@pytest.mark.parametrize("rival", ["delete", "erase"])
@pytest.mark.parametrize("round_", range(6))
def test_a_late_end_racing_a_deletion_or_erasure_leaves_nothing(real_dynamodb, clock, rival, round_):
    user = _user()
    session_id = _swept_session(clock, user)

    def racer(i):
        if i == 0:
            return _late_end(clock, user, session_id)
        if rival == "delete":
            return deletion.delete_session(learning_store(), clock, user.user_id, session_id)
        return _erase(clock, user)

    results = run_together(2 + round_ % 2, racer)   # one end against one or two rivals
    assert not [r for r in results if isinstance(r, Exception)], results
    _assert_nothing_left(user, session_id)


def _hooked(monkeypatch, cls, name, hook, *, before: bool):
    """Runs `hook` once, just before (or after) the first call of cls.name in this test."""
    original, fired = getattr(cls, name), threading.Event()

    def wrapped(self, *args, **kwargs):
        if before and not fired.is_set():
            fired.set()
            hook()
        result = original(self, *args, **kwargs)
        if not before and not fired.is_set():
            fired.set()
            hook()
        return result

    monkeypatch.setattr(cls, name, wrapped)


@pytest.mark.parametrize("rival", ["delete", "erase"])
@pytest.mark.parametrize("where", [
    (EndStore, "store_content", True),        # the rival runs before the end writes
    (EndStore, "store_content", False),       # between the end's writes and its commit
    (EndStore, "commit_end", False),          # after the end's commit
    (WithdrawalStore, "close_content", False),  # the end runs whole inside the rival, after its close
    (WithdrawalStore, "close_content", True),   # ... just before its close
    (WithdrawalStore, "delete_counted_top", True),
    (WithdrawalStore, "remove_erased", True),
])
def test_every_interleaving_of_a_late_end_and_a_rival_leaves_nothing(real_dynamodb, clock, monkeypatch,
                                                                       rival, where):
    user = _user()
    session_id = _swept_session(clock, user)
    cls, name, before = where
    end_is_outer = cls is EndStore

    def rival_call():
        if rival == "delete":
            deletion.delete_session(learning_store(), clock, user.user_id, session_id)
        else:
            _erase(clock, user)

    if end_is_outer:
        _hooked(monkeypatch, cls, name, rival_call, before=before)
        _late_end(clock, user, session_id)
    else:
        _hooked(monkeypatch, cls, name, lambda: _late_end(clock, user, session_id), before=before)
        rival_call()
    _assert_nothing_left(user, session_id)

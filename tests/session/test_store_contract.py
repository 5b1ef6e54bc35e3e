"""The stores' one contract for a lost condition: speakpho.errors.ConditionLost, never
botocore's ClientError, a None or a bool (speakpho/errors.py)."""
from __future__ import annotations

import pytest

from apitest import T0, start_session
from speakpho.config import get_settings
from speakpho.errors import ConditionLost
from speakpho.config import Settings
from speakpho.metering.usage import stale_closing
from speakpho.metering_store import MeteringStore


@pytest.fixture
def store(dynamodb):
    return MeteringStore(client=dynamodb, table_names=get_settings().table_names)


def test_a_heartbeat_for_a_session_that_is_not_the_active_one_is_lost(store):
    with pytest.raises(ConditionLost) as lost:
        store.touch_heartbeat("alice", "2026-11", "no-such-session", T0, T0 + 300_000)
    assert lost.value.current is None and lost.value.reasons == ()


def test_a_refused_switch_carries_the_session_as_it_was(api, store):
    sid = start_session(api.as_user("alice"))["sessionId"]
    before = store.get_session(sid, consistent=True)
    with pytest.raises(ConditionLost) as lost:
        store.switch_provider(user_id="alice", session_id=sid, provider="gemini", from_provider="openai", now=T0,
                              disconnect_code=None, disconnect_reason=None)
    assert lost.value.current == before and before["provider"] == "gemini"
    with pytest.raises(ConditionLost) as lost:
        store.switch_provider(user_id="bob", session_id=sid, provider="openai", from_provider="gemini", now=T0,
                              disconnect_code=None, disconnect_reason=None)
    assert lost.value.current == before  # the caller decides it is not bob's (404)
    assert store.get_session(sid, consistent=True) == before


def test_a_lost_transaction_names_its_reasons(api, store):
    sid = start_session(api.as_user("alice"))["sessionId"]
    row = store.get_period("alice", "2026-11")
    closing = stale_closing(Settings(), row, 1800, 0, ended_by="client_vanished", now=T0)
    with pytest.raises(ConditionLost) as lost:
        store.commit_close(user_id="alice", period_row={**row, "version": row["version"] - 1}, closing=closing)
    assert lost.value.reasons[0] == "ConditionalCheckFailed"
    assert store.get_period("alice", "2026-11") == row  # nothing applied

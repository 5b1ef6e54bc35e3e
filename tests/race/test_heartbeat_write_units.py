"""What a heartbeat costs in write units, on dynoxide: like DynamoDB, it bills an index write
only when the item's entry in that index changes (ReturnConsumedCapacity INDEXES names the units
of the table and of each index; the DynamoDB developer guide, "Provisioned throughput
considerations for global secondary indexes", writes). A heartbeat sets activeSweepAt to the
value it already has, except when its stale window crosses into the next sweep bucket
(speakpho.metering.usage.sweep_at): so most heartbeats cost 1 write unit, one in
SWEEP_BUCKET_SECONDS / HEARTBEAT_INTERVAL_SECONDS (1 in 5) costs 3 (the index entry's delete and
put), and each is still one request."""
from __future__ import annotations

import uuid

import pytest

from local.ddb_meter import RequestMeter
from provider_fakes import fake_ports
from speakpho import metering
from speakpho.config import get_settings
from speakpho.deps import metering_store
from speakpho.metering.usage import sweep_at
from speakpho.models import EndSessionRequest, StartSessionRequest

PORTS = fake_ports()
INDEX = "active_by_sweep"

pytestmark = pytest.mark.race


@pytest.mark.parametrize("offset", [0, 17, 299])   # where the session starts in its sweep bucket (s)
def test_most_heartbeats_cost_one_write_unit_and_leave_the_index_entry(real_dynamodb, clock, offset):
    store, settings = metering_store(), get_settings()
    periods = settings.table("usage_periods")
    user = metering.UserRef(f"beat-{uuid.uuid4().hex[:8]}", email_verified=True)
    clock.advance(offset)
    # Typed practice: no provider token to renew, so every heartbeat is the heartbeat alone.
    sid = metering.start_session(store, settings, clock, user, StartSessionRequest(channel="text"),
                                 ports=PORTS)["sessionId"]
    beats = 20
    costs = []
    for _ in range(beats):
        clock.advance(settings.heartbeat_interval_seconds)
        before = store.get_period(user.user_id, "2026-11")["activeSweepAt"]
        with RequestMeter(store.client, indexes=True) as meter:
            metering.heartbeat(store, settings, clock, user, sid, PORTS)
        after = store.get_period(user.user_id, "2026-11")["activeSweepAt"]
        assert meter.ops == {"UpdateItem": 1}                       # one request, as before
        assert after == sweep_at(settings, clock.now_ms())
        costs.append((after != before, meter.write_units[(periods, None)], meter.write_units[(periods, INDEX)]))
    assert [table for _, table, _ in costs] == [1.0] * beats
    # The index is written (a delete and a put) exactly when the deadline moved, never otherwise.
    assert [index for _, _, index in costs] == [2.0 if moved else 0.0 for moved, _, _ in costs]
    moved = sum(1 for m, _, _ in costs if m)
    assert moved == beats * settings.heartbeat_interval_seconds // settings.sweep_bucket_seconds == 4
    assert sum(t + i for _, t, i in costs) == 16 * 1 + 4 * 3   # 1.4 WU a heartbeat on average, was 3


def test_the_start_puts_the_index_entry_and_the_end_deletes_it(real_dynamodb, clock):
    store, settings = metering_store(), get_settings()
    periods = settings.table("usage_periods")
    user = metering.UserRef(f"beat-{uuid.uuid4().hex[:8]}", email_verified=True)
    with RequestMeter(store.client, indexes=True) as meter:
        sid = metering.start_session(store, settings, clock, user, StartSessionRequest(channel="text"),
                                     ports=PORTS)["sessionId"]
    assert meter.write_units[(periods, INDEX)] == 1.0
    assert store.get_period(user.user_id, "2026-11")["activeSweepAt"] == sweep_at(settings, clock.now_ms())
    clock.advance(30)
    with RequestMeter(store.client, indexes=True) as meter:
        metering.end_session(store, settings, clock, user, EndSessionRequest(sessionId=sid, disconnectCode=1000), PORTS)
    assert meter.write_units[(periods, INDEX)] == 1.0
    assert "activeSweepAt" not in store.get_period(user.user_id, "2026-11")

"""What an events call costs in write units, on dynoxide (which bills like DynamoDB: a write by
the larger of the item's sizes before and after, in 1 KB units; ReturnConsumedCapacity INDEXES
names the table's and each index's units). A live session's events go to an item of their
own, one per call (table session_events, speakpho.metering.events), so a call writes what its
new events weigh, however long the story already is; the session item is not written at all.
The close folds every batch into the session's story once (speakpho.metering.fold)."""
from __future__ import annotations

import uuid

import pytest

from apitest import client_event
from local.ddb_meter import RequestMeter
from provider_fakes import fake_ports
from speakpho import ddb, metering
from speakpho.config import get_settings
from speakpho.deps import metering_store
from speakpho.item_size import item_size, units
from speakpho.models import EndSessionRequest, SessionEventsRequest, StartSessionRequest

PORTS = fake_ports()

pytestmark = pytest.mark.race


def _call(store, settings, clock, user, sid, events) -> RequestMeter:
    with RequestMeter(store.client, indexes=True) as meter:
        answer = metering.record_events(store, settings, clock, user,
                                        SessionEventsRequest(sessionId=sid, events=events))
    assert answer["accepted"] == len(events)
    return meter


def _batch_units(store, sid: str, events: list[dict]) -> int:
    """The write units of the stored batch that holds these events, by DynamoDB's size rules."""
    ids = {e["eventId"] for e in events}
    page = store.client.query(TableName=store.table("session_events"), KeyConditionExpression="sessionId = :s",
                              ExpressionAttributeValues=ddb.values({":s": sid}))
    held = [i for i in page["Items"] if {e["M"]["eventId"]["S"] for e in i["entries"]["L"]} == ids]
    assert len(held) == 1
    return units(item_size(held[0]))


@pytest.mark.parametrize("burst", [1, 5, 20])
def test_an_events_call_costs_what_its_new_events_weigh_however_long_the_story(real_dynamodb, clock, burst):
    store, settings = metering_store(), get_settings()
    sessions, batches = settings.table("sessions"), settings.table("session_events")
    user = metering.UserRef(f"ev-{uuid.uuid4().hex[:8]}", email_verified=True)
    start = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)
    sid, t0 = start["sessionId"], start["startedAt"]
    clock.advance(600)
    costs = []
    for call in range(60 // burst + 1):            # the last call comes after 60 events are held
        events = [client_event("provider_disconnected", t0 + call * 1_000 + i, code=1006, reason="network lost")
                  for i in range(burst)]
        meter = _call(store, settings, clock, user, sid, events)
        assert meter.write_units[(sessions, None)] == 0          # the session item is not written
        assert not [k for k in meter.write_units if k[0] == batches and k[1]]   # the batch table has no index
        costs.append((meter.write_units[(batches, None)], _batch_units(store, sid, events)))
    assert all(paid == weighed for paid, weighed in costs), costs
    # The call after 60 events pays what the first did: the story's length is not in its price;
    # one event (about 200 bytes) is one write unit.
    assert costs[-1][0] == costs[0][0] and (burst > 1 or costs[0][0] == 1.0)

def test_the_end_folds_every_batch_into_the_story_once(real_dynamodb, clock):
    store, settings = metering_store(), get_settings()
    user = metering.UserRef(f"ev-{uuid.uuid4().hex[:8]}", email_verified=True)
    start = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)
    sid, t0 = start["sessionId"], start["startedAt"]
    clock.advance(300)
    sent = []
    for call in range(6):
        events = [client_event("reconnect_attempt", t0 + call * 10_000 + i) for i in range(10)]
        _call(store, settings, clock, user, sid, events)
        sent += events
    clock.advance(10)
    repeat = sent[:3]                               # the end repeats three the batches hold
    end = EndSessionRequest(sessionId=sid, disconnectCode=1000, events=[
        *repeat, client_event("provider_disconnected", t0 + 299_000, code=1000)])
    metering.end_session(store, settings, clock, user, end, PORTS)
    item = store.get_session(sid, consistent=True)
    client_ids = [e["eventId"] for e in item["story"] if e["source"] == "client"]
    assert sorted(client_ids) == sorted({e["eventId"] for e in sent} | {end.events[-1].eventId})
    assert item["eventCount"] == 61 == len(item["eventIds"]) == len(client_ids)

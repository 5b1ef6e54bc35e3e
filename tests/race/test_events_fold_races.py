"""Every interleaving of an events call with the close of its session, on dynoxide: the close
(the learner's end, the sweeper's, a newer start's) folds the batches it reads into the story,
the call writes its batch and then reads the status (speakpho.metering.events, .fold). Whatever
the order, each event of a call that answered is in the closed session's story exactly once.

The close is run from inside the events call (or the call from inside the close) at each step
where the other could come between: before the batch is written, after it, and between the
close's read of the batches and its commit."""
from __future__ import annotations

import uuid

import pytest

from apitest import client_event
from provider_fakes import fake_ports
from speakpho import metering
from speakpho.config import get_settings
from speakpho.deps import metering_store
from speakpho.metering import fold
from speakpho.models import EndSessionRequest, SessionEventsRequest, StartSessionRequest

PORTS = fake_ports()

pytestmark = pytest.mark.race


def _closers(store, settings, clock, user):
    def end(sid):
        metering.end_session(store, settings, clock, user, EndSessionRequest(sessionId=sid), PORTS)

    def sweep(sid):
        clock.advance(settings.stale_after_seconds + settings.sweep_bucket_seconds + 1)
        assert sid in metering.close_stale_sessions(store, settings, clock, PORTS)

    def newer_start(sid):
        started = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)
        assert started["closedSessionId"] == sid

    return {"end": end, "sweep": sweep, "newer_start": newer_start}


def _client_ids(store, sid: str) -> list[str]:
    return [e["eventId"] for e in store.get_session(sid, consistent=True)["story"] if e["source"] == "client"]


@pytest.mark.parametrize("closer", ["end", "sweep", "newer_start"])
@pytest.mark.parametrize("when", ["before_the_batch", "after_the_batch", "inside_the_close"])
def test_an_events_call_and_the_close_record_each_event_once(real_dynamodb, clock, monkeypatch, closer, when):
    store, settings = metering_store(), get_settings()
    user = metering.UserRef(f"fold-{uuid.uuid4().hex[:8]}", email_verified=True)
    start = metering.start_session(store, settings, clock, user, StartSessionRequest(), ports=PORTS)
    sid, t0 = start["sessionId"], start["startedAt"]
    clock.advance(30)
    early = [client_event("provider_connected", t0 + 1_000, connectMs=300)]
    metering.record_events(store, settings, clock, user, SessionEventsRequest(sessionId=sid, events=early))
    racing = [client_event("provider_disconnected", t0 + 20_000, code=1006), client_event("reconnect_attempt",
                                                                                          t0 + 21_000)]
    call = SessionEventsRequest(sessionId=sid, events=racing)
    close = _closers(store, settings, clock, user)[closer]
    answers = []

    if when == "inside_the_close":
        # The close reads the batches, the call writes its own (the session still live), then the
        # close commits: its second look after the commit finds the batch it missed.
        real_pending = fold.pending_events

        def pending_then_a_call(store_, session_id, *args, **kwargs):
            found = real_pending(store_, session_id, *args, **kwargs)
            if session_id != sid:   # the sweeper may close other tests' vanished sessions first
                return found
            monkeypatch.setattr(fold, "pending_events", real_pending)
            answers.append(metering.record_events(store, settings, clock, user, call))
            return found

        monkeypatch.setattr(fold, "pending_events", pending_then_a_call)
        close(sid)
    else:
        real_put = type(store).put_event_batch

        def put_around_a_close(self, **kwargs):
            monkeypatch.setattr(type(store), "put_event_batch", real_put)
            if when == "before_the_batch":
                close(sid)
            real_put(self, **kwargs)
            if when == "after_the_batch":
                close(sid)

        monkeypatch.setattr(type(store), "put_event_batch", put_around_a_close)
        answers.append(metering.record_events(store, settings, clock, user, call))

    assert answers and answers[0]["accepted"] == 2
    ids = _client_ids(store, sid)
    assert sorted(ids) == sorted(e["eventId"] for e in early + racing)       # each once, none lost
    session = store.get_session(sid, consistent=True)
    assert session["status"] == "ended" and session["eventCount"] == 3 == len(session["eventIds"])

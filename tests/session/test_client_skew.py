"""A client whose clock is wrong: each events call and each end may carry the client's `sentAt`;
beyond CLIENT_SKEW_TOLERANCE_MS (2 s) the call's event times are moved by the server's offset
before clamping, and the stored entry keeps the client's own time (clientAt) and the offset
(skewMs). The admin timeline shows both."""
from __future__ import annotations

import pytest

from apitest import (T0, client_event, data, end_session, error, grant_access_again, send_events, start_session,
                     stored_session, stored_story)

MINUTES_10 = 600_000


def _client_entries(sid: str) -> dict[str, dict]:
    return {e["eventId"]: e for e in stored_story(sid) if e["source"] == "client"}


@pytest.mark.parametrize("client_off, shifted", [
    (MINUTES_10, True),        # the client's clock 10 minutes ahead
    (-MINUTES_10, True),       # 10 minutes behind
    (1_500, False),            # within the tolerance: nothing moved
    (-2_000, False),
    (2_001, True),
])
def test_an_events_call_is_drawn_on_the_servers_clock(api, clock, client_off, shifted):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(60)                                     # the server's now: T0 + 60 s
    down = client_event("provider_disconnected", T0 + 20_000 + client_off, code=1011)
    back = client_event("provider_connected", T0 + 40_000 + client_off, connectMs=300)
    assert send_events(alice, sid, [down, back], sentAt=T0 + 60_000 + client_off)["accepted"] == 2
    stored = _client_entries(sid)
    for event, server_at in ((down, T0 + 20_000), (back, T0 + 40_000)):
        entry = stored[event["eventId"]]
        if shifted:
            assert (entry["at"], entry["clientAt"], entry["skewMs"]) == (server_at, event["at"], -client_off)
        else:
            assert entry["at"] == event["at"] and "clientAt" not in entry and "skewMs" not in entry
        assert entry["receivedAt"] == T0 + 60_000


def test_without_sent_at_the_times_are_only_clamped_as_before(api, clock):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(60)
    ahead = client_event("reconnect_attempt", T0 + 20_000 + MINUTES_10)
    send_events(alice, sid, [ahead])
    entry = _client_entries(sid)[ahead["eventId"]]
    assert (entry["at"], entry["clientAt"]) == (T0 + 60_000, ahead["at"]) and "skewMs" not in entry


def test_a_clock_moved_forward_cannot_stretch_an_outage(api, clock):
    """The disconnect is sent on time; then the client's clock jumps 10 minutes ahead and its
    end reports the reconnection on that clock. Moved back, the outage is 20 s, not 80."""
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    grant_access_again("alice", sid, T0 + 39_000)
    clock.advance(30)
    send_events(alice, sid, [client_event("provider_disconnected", T0 + 20_000, code=1011)], sentAt=T0 + 30_000)
    clock.advance(70)                                     # the end at T0 + 100 s on the server's clock
    back = client_event("provider_connected", T0 + 40_000 + MINUTES_10)
    out = end_session(alice, sid, disconnectCode=1000, events=[back], sentAt=T0 + 100_000 + MINUTES_10)
    assert out["creditedSeconds"] == 20 and out["totalSecondsUsed"] == 80
    entry = _client_entries(sid)[back["eventId"]]
    assert (entry["at"], entry["clientAt"], entry["skewMs"]) == (T0 + 40_000, back["at"], -MINUTES_10)


def test_the_admin_timeline_shows_both_times(api, clock):
    alice, root = api.as_user("alice"), api.as_user("root", admin=True)
    sid = start_session(alice)["sessionId"]
    clock.advance(60)
    behind = client_event("reconnect_attempt", T0 + 30_000 - MINUTES_10)
    send_events(alice, sid, [behind], sentAt=T0 + 60_000 - MINUTES_10)
    timeline = data(root.get(f"/api/admin/sessions/{sid}"))["timeline"]
    shown, = [e for e in timeline if e["type"] == "reconnect_attempt"]
    assert shown == {"at": T0 + 30_000, "type": "reconnect_attempt", "source": "client", "provider": "gemini",
                     "receivedAt": T0 + 60_000, "clientAt": behind["at"], "skewMs": MINUTES_10}


@pytest.mark.parametrize("sent_at", [-1, 10**15 + 1, "soon", True])
def test_a_bad_sent_at_is_422_naming_the_field(api, clock, sent_at):
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    event = client_event("reconnect_attempt", T0)
    err = error(send_events(alice, sid, [event], sentAt=sent_at, status=None), 422)
    assert "body.sentAt" in [d["field"] for d in err["details"]]
    err = error(end_session(alice, sid, sentAt=sent_at, status=None), 422)
    assert "body.sentAt" in [d["field"] for d in err["details"]]

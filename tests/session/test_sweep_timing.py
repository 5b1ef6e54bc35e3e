"""When the sweeper closes a session (docs/metering.md "Heartbeats and the sweeper"). Its index
holds each live meter at its sweep deadline, the end of the stale window after the last sign of
life rounded up to the sweep bucket (speakpho.metering.usage.sweep_at): a session that went
silent is closed by the first sweep at or after that deadline, so between STALE_AFTER_SECONDS
(180 s) and that + SWEEP_BUCKET_SECONDS (300 s) (+ the sweep interval) after its last sign of
life; a session that keeps showing life (heartbeats, even every other one, or grants) never."""
from __future__ import annotations

import pytest

from apitest import T0, client_event, data, end_session, error, send_events, start_session, stored_period, stored_session
from speakpho.config import get_settings
from speakpho.metering.usage import sweep_at

HEARTBEAT = "/api/session/heartbeat"


def sweep(api) -> list[str]:
    from infra.catalog import SWEEPER

    return api.gateway.invoke(SWEEPER.handler, {}, name="sweeper")["closed"]


def run(api, clock, actions: dict[int, list], sweep_every: int, until: int) -> dict[int, list[str]]:
    """Moves the frozen clock from now to `until` (epoch ms) through `actions` (epoch ms ->
    callables) and a sweep every `sweep_every` seconds (actions first at the same instant);
    returns what each sweep closed, by its time."""
    now = clock.now_ms()
    assert all(at > now for at in actions)
    sweeps = set(range(now + sweep_every * 1000, until + 1, sweep_every * 1000))
    closed = {}
    for at in sorted(set(actions) | sweeps):
        clock.set(at)
        for action in actions.get(at, []):
            action()
        if at in sweeps:
            closed[at] = sweep(api)
    return closed


def beats(user, sid: str, every: int, since: int, until: int) -> dict[int, list]:
    """A heartbeat every `every` seconds after `since` up to `until` (epoch ms)."""
    return {at: [lambda: data(user.post(HEARTBEAT, {"sessionId": sid}))]
            for at in range(since + every * 1000, until + 1, every * 1000)}


@pytest.mark.parametrize("offset", [0, 59, 60, 61, 241, 299])   # seconds into a 300 s bucket
def test_a_vanished_session_is_closed_between_the_stale_window_and_a_bucket_more(api, clock, offset):
    settings = get_settings()
    stale, bucket, every = settings.stale_after_seconds, settings.sweep_bucket_seconds, 20
    alice, bob = api.as_user("alice"), api.as_user("bob")
    clock.advance(offset)
    sid = start_session(alice)["sessionId"]
    clock.advance(60)
    data(alice.post(HEARTBEAT, {"sessionId": sid}))        # her last sign of life, then nothing
    last = clock.now_ms()
    assert stored_period("alice")["activeSweepAt"] == sweep_at(settings, last)
    kept = start_session(bob)["sessionId"]                 # bob heartbeats all along
    until = last + (stale + bucket + 2 * every) * 1000
    closed = run(api, clock, beats(bob, kept, settings.heartbeat_interval_seconds, last, until), every, until)
    assert all(kept not in ids for ids in closed.values())
    when = [at for at, ids in closed.items() if sid in ids]
    assert len(when) == 1 and closed[when[0]] == [sid]
    # The first sweep at or after her deadline (at least the stale window after her last
    # heartbeat, less than a bucket more) that finds her silent for more than the stale window
    # (the re-read's rule: a deadline exactly the stale window after it waits one sweep more).
    assert when[0] == min(at for at in closed if at >= sweep_at(settings, last) and at - last > stale * 1000)
    assert stale * 1000 <= when[0] - last < (stale + bucket + every) * 1000
    assert stored_session(sid)["secondsUsed"] == 60 and "activeSweepAt" not in stored_period("alice")


def test_a_session_that_keeps_showing_life_is_never_closed(api, clock):
    """Heartbeats every interval, every other one lost (120 s of silence), or no heartbeat at all
    but a grant of provider access every 170 s (a sign of life: it moves the deadline too). Once
    they all stop, the sweeper closes each: it was looking at them all along."""
    settings = get_settings()
    users = {name: api.as_user(name) for name in ("bob", "carol", "dave")}
    sids = {name: start_session(user)["sessionId"] for name, user in users.items()}
    until = T0 + 1_500_000
    actions = beats(users["bob"], sids["bob"], settings.heartbeat_interval_seconds, T0, until)
    for at, calls in beats(users["carol"], sids["carol"], 2 * settings.heartbeat_interval_seconds, T0,
                           until).items():
        actions.setdefault(at, []).extend(calls)
    for at in range(T0 + 170_000, until + 1, 170_000):
        actions.setdefault(at, []).append(
            lambda: data(users["dave"].post("/api/session/access", {"sessionId": sids["dave"]})))
    closed = run(api, clock, actions, 30, until)
    assert all(ids == [] for ids in closed.values())
    assert stored_period("dave")["activeSweepAt"] == sweep_at(settings, T0 + 1_360_000)   # his last grant
    later = run(api, clock, {}, 30, until + (settings.stale_after_seconds + settings.sweep_bucket_seconds + 30) * 1000)
    assert sorted(sid for ids in later.values() for sid in ids) == sorted(sids.values())


def test_a_swept_sessions_late_events_land_for_five_minutes_after_the_close(api, clock):
    """The close comes minutes after the last sign of life (`endedAt`), so the window for late
    events (speakpho.story.EVENTS_AFTER_END_MS, 5 minutes) counts from the close (`closedAt`)."""
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(60)
    data(alice.post(HEARTBEAT, {"sessionId": sid}))
    clock.advance(540)                                   # 9 minutes after it: past its deadline (300 s)
    assert sweep(api) == [sid]
    item = stored_session(sid)
    assert (item["endedAt"], item["closedAt"]) == (T0 + 60_000, T0 + 600_000)
    clock.advance(299)
    late = client_event("provider_disconnected", T0 + 500_000, code=1006)   # after the end: clamped to it
    assert send_events(alice, sid, [late])["accepted"] == 1
    assert stored_session(sid)["story"][-1]["at"] == T0 + 60_000
    clock.advance(2)                                     # 5 min 1 s after the close
    refused = send_events(alice, sid, [client_event("reconnect_attempt", T0 + 50_000)], status=None)
    assert error(refused, 409)["code"] == "session_ended"
    # The late end itself still stores the transcript; its events are dropped past the window.
    late_end = end_session(alice, sid, events=[client_event("reconnect_attempt", T0 + 55_000)])
    assert late_end["session"]["endedBy"] == "client_vanished" and stored_session(sid)["eventCount"] == 1

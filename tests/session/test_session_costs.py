"""DynamoDB requests per call of the session area (docs/metering.md, "Requests per call"),
counted on the client the handlers share. A refactoring must leave every figure as it is."""
from __future__ import annotations

from apitest import T0, client_event, count_requests, data, end_session, send_events, start_session, switch_provider

NOV_30_2359 = 1_796_083_140_000  # 2026-11-30T23:59:00Z


def _cost(dynamodb, call) -> dict:
    with count_requests(dynamodb) as meter:
        call()
    return dict(meter.ops)


def test_requests_per_call(api, clock, dynamodb):
    alice = api.as_user("alice")
    started = {}
    assert _cost(dynamodb, lambda: started.update(start_session(alice))) == \
        {"TransactGetItems": 1, "TransactWriteItems": 1}
    sid = started["sessionId"]
    clock.advance(30)
    hb = "/api/session/heartbeat"
    assert _cost(dynamodb, lambda: data(alice.post(hb, {"sessionId": sid}))) == {"UpdateItem": 1}
    assert _cost(dynamodb, lambda: data(alice.get("/api/usage"))) == {"GetItem": 1}
    # the switch, then the new provider's access on the session and its live meter
    assert _cost(dynamodb, lambda: switch_provider(alice, sid, "openai", 1011)) == {"UpdateItem": 1,
                                                                                    "TransactWriteItems": 1}

    # A start that closes the previous active session as stale: the same two requests, and the
    # closed session's event batches read before the commit (to fold them into its story) and
    # once after it (the batches written meanwhile: speakpho.metering.fold).
    second = {}
    assert _cost(dynamodb, lambda: second.update(start_session(alice))) == \
        {"TransactGetItems": 1, "TransactWriteItems": 1, "Query": 2}
    assert second["closedSessionId"] == sid

    messages = [{"role": "user", "text": f"câu {n}", "timestamp": T0 + n} for n in range(30)]
    corrections = [{"original": "a", "correction": "b", "category": "tone"}] * 2
    clock.advance(40)
    end = lambda: end_session(alice, second["sessionId"], messages=messages, corrections=corrections)  # noqa: E731
    # one read, 30 short messages in 1 item (speakpho.transcript: was 30 items in 2 batches of
    # 25), the corrections in 1 batch, one transaction; the event batches read before and after it
    assert _cost(dynamodb, end) == {"GetItem": 1, "Query": 2, "BatchWriteItem": 2, "TransactWriteItems": 1}
    assert _cost(dynamodb, end) == {"GetItem": 1}  # a repeat answers from the session
    # The late end of the session closed by the new start: content recorded, nothing charged again.
    late = lambda: end_session(alice, sid, messages=messages[:3])  # noqa: E731
    assert _cost(dynamodb, late) == {"GetItem": 1, "BatchWriteItem": 1, "TransactWriteItems": 1}

    # A heartbeat for a session that is no longer active: the failed update, then one read.
    refused = _cost(dynamodb, lambda: alice.post(hb, {"sessionId": sid}))
    assert refused == {"UpdateItem": 1, "GetItem": 1}


def test_a_keyed_start_costs_what_a_plain_one_does(api, clock, dynamodb):
    """The key's record is read in the start's TransactGetItems and put in its transaction: a
    keyed start is 2 requests like any start, a repeat 1 (the read that finds the record)."""
    alice = api.as_user("alice")
    key = {"Idempotency-Key": "cost-1"}
    both = {"TransactGetItems": 1, "TransactWriteItems": 1}
    assert _cost(dynamodb, lambda: start_session(alice, headers=key)) == both
    clock.advance(30)
    assert _cost(dynamodb, lambda: start_session(alice, headers=key)) == {"TransactGetItems": 1}
    # Closing the previous session as it starts, a keyed start costs what a plain one does.
    other = {"Idempotency-Key": "cost-2"}
    assert _cost(dynamodb, lambda: start_session(alice, headers=other)) == {**both, "Query": 2}


def test_requests_of_the_story(api, clock, dynamodb):
    """Events on a live session: 4 requests up to 50 new (the session read, its batches read, the
    batch put, the status read: speakpho.metering.events), 2 for a repeat; on a closed one 2 (the
    read and the item's update). An end with events costs what one without does; a heartbeat
    after a gap one more UpdateItem; a switch still one."""
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(121)
    burst = lambda n, at: [client_event("reconnect_attempt", at + i) for i in range(n)]  # noqa: E731
    live = {"GetItem": 2, "Query": 1, "PutItem": 1}
    for n in (1, 25, 50):
        events = burst(n, T0 + 1_000)
        assert _cost(dynamodb, lambda: send_events(alice, sid, events)) == live, n
    assert _cost(dynamodb, lambda: send_events(alice, sid, events)) == {"GetItem": 1, "Query": 1}  # all repeats
    behind = burst(25, T0 - 5_000)
    assert _cost(dynamodb, lambda: send_events(alice, sid, behind)) == live
    hb = lambda: data(alice.post("/api/session/heartbeat", {"sessionId": sid}))  # noqa: E731
    assert _cost(dynamodb, hb) == {"UpdateItem": 2}      # 121 s of silence (> 2 x 60 s): the gap recorded
    clock.advance(60)
    assert _cost(dynamodb, hb) == {"UpdateItem": 1}
    # the switch, then the new provider's access on the session and its live meter
    assert _cost(dynamodb, lambda: switch_provider(alice, sid, "openai", 1011)) == {"UpdateItem": 1,
                                                                                    "TransactWriteItems": 1}

    messages = [{"role": "user", "text": f"câu {n}", "timestamp": T0 + n} for n in range(30)]
    plain = start_session(alice)["sessionId"]
    clock.advance(60)
    without = _cost(dynamodb, lambda: end_session(alice, plain, messages=messages))
    sid = start_session(alice)["sessionId"]
    clock.advance(60)
    with_events = _cost(dynamodb, lambda: end_session(alice, sid, messages=messages, events=burst(50, T0)))
    # the 30 messages in one item, one batch (speakpho.transcript); the batches read before and after
    assert with_events == without == {"GetItem": 1, "Query": 2, "BatchWriteItem": 1, "TransactWriteItems": 1}
    # events a minute after that end go on the closed session's item: the read and one update
    clock.advance(60)
    late = burst(3, T0 + 5_000)
    assert _cost(dynamodb, lambda: send_events(alice, sid, late)) == {"GetItem": 1, "UpdateItem": 1}


def test_heartbeat_across_midnight_and_sweep(api, clock, dynamodb):
    from infra.catalog import SWEEPER

    clock.set(NOV_30_2359)
    alice = api.as_user("alice")
    sid = start_session(alice)["sessionId"]
    clock.advance(60)  # December (00:00:00): the session's meter is November's row; no gap (2 x 30 s)
    cost = _cost(dynamodb, lambda: data(alice.post("/api/session/heartbeat", {"sessionId": sid})))
    assert cost == {"UpdateItem": 2, "GetItem": 1}

    clock.advance(600)
    cost = _cost(dynamodb, lambda: api.gateway.invoke(SWEEPER.handler, {}, name="sweeper"))
    # one Query per shard of the active index, then per candidate one read and one transaction
    from speakpho.config import get_settings

    # One Query per shard of the sweeper's index (ACTIVE_SHARDS, docs/scale.md "Write-sharding"),
    # and the closed session's event batches read before and after its close (speakpho.metering.fold).
    assert cost == {"Query": get_settings().active_shards + 2, "GetItem": 1, "TransactWriteItems": 1}


def test_allowance_routes(api, clock, dynamodb):
    root = api.as_user("root", admin=True)
    url = "/api/admin/users/alice/allowance"
    put = _cost(dynamodb, lambda: data(root.put(url, {"secondsLimit": 600, "reason": "trial"})))
    assert put == {"TransactWriteItems": 1, "GetItem": 1}
    assert _cost(dynamodb, lambda: data(root.get(url))) == {"GetItem": 1, "Query": 1}

"""The session story in `make bench`: events calls and an end carrying events; the latency an
end reports, and what it costs the rollups.

Budgets (docs/metering.md; bench/session_budgets.py): an events call on a live session
EVENTS_REQUESTS whatever its size (its batch is one item), a repeated call
EVENTS_REPEAT_REQUESTS; an end with events what the end costs without them (END_REQUESTS + its
batches). An end with a latency summary costs what it costs without (END_REQUESTS), and so does
the rollup of its session (a ledger read and one transaction: docs/admin.md, "Latency"); the
capacity shows what the histograms' counters weigh.
"""
from __future__ import annotations

import uuid

from bench.session_budgets import END_REQUESTS, EVENTS_REPEAT_REQUESTS, EVENTS_REQUESTS


def _events(n: int, at: int) -> list[dict]:
    kinds = ("provider_connected", "reconnect_attempt")
    return [{"eventId": str(uuid.uuid4()), "type": kinds[i % 2], "at": at + i, "provider": "gemini"}
            for i in range(n)]


def _batches(n: int) -> int:
    return -(-n // 25)


def run(*, gateway, meter, clock, client, record, Caller, fail) -> None:
    print("session story")
    bao = Caller(gateway, meter, "bench-bao")
    started, _ = bao.call("POST", "/api/session/start", {"topic": "story"})
    sid, t0 = started["sessionId"], clock.now_ms()
    clock.advance(60)
    for n in (10, 50):
        events = _events(n, t0 + 1_000)
        _, r = bao.call("POST", "/api/session/events", {"sessionId": sid, "events": events})
        record("session", f"POST /api/session/events ({n} new)", r, EVENTS_REQUESTS,
               note="one batch item whatever its size")
    _, r = bao.call("POST", "/api/session/events", {"sessionId": sid, "events": events})
    record("session", "POST /api/session/events (the same 50 again)", r, EVENTS_REPEAT_REQUESTS)
    clock.advance(60)
    _, r = bao.call("POST", "/api/session/heartbeat", {"sessionId": sid})
    record("session", "POST /api/session/heartbeat (after a gap: + the gap entry)", r, 2)
    messages = [{"role": "user" if i % 2 else "coach", "text": f"Câu số {i}", "timestamp": i} for i in range(30)]
    end_events = _events(20, t0 + 100_000) + [{"eventId": str(uuid.uuid4()), "type": "provider_disconnected",
                                               "at": t0 + 119_000, "provider": "gemini", "code": 1000}]
    _, r = bao.call("POST", "/api/session/end", {"sessionId": sid, "disconnectCode": 1000, "messages": messages,
                                                  "events": end_events})
    # The 30 messages pack into 1 item (speakpho.transcript): one batch; the events ride in the commit.
    budget = END_REQUESTS + _batches(1)
    record("session", "POST /api/session/end (30 messages, 21 events)", r, budget,
           note=f"end {END_REQUESTS} + 1 batch: the events add none")
    bench_latency(gateway=gateway, meter=meter, clock=clock, client=client, record=record, Caller=Caller, fail=fail)


# Two providers' summaries as the practice page sends them (40 and 12 turns).
LATENCY = {"gemini": {"turns": 40, "p50Ms": 650, "p95Ms": 1800, "firstAudioMs": 900,
                      "histogram": [0, 1, 3, 6, 8, 9, 6, 4, 2, 1, 0, 0]},
           "openai": {"turns": 12, "p50Ms": 480, "p95Ms": 1200, "firstAudioMs": 1300,
                      "histogram": [0, 0, 2, 3, 2, 2, 1, 1, 1, 0, 0, 0]}}


def bench_latency(*, gateway, meter, clock, client, record, Caller, fail) -> None:
    """An end with and without latency, and the rollup of each session's ended image (the first
    record of a session: the ledger read and one transaction)."""
    from admin.rollups import apply_record
    from speakpho import ddb
    from speakpho.config import get_settings

    print("latency")
    kim = Caller(gateway, meter, "bench-kim")
    rollups = {}
    for label, extra in (("no latency", {}), ("latency of 2 providers", {"latency": LATENCY})):
        started, _ = kim.call("POST", "/api/session/start", {"topic": "latency"})
        clock.advance(60)
        _, r = kim.call("POST", "/api/session/end", {"sessionId": started["sessionId"], "disconnectCode": 1000,
                                                      **extra})
        record("session", f"POST /api/session/end ({label})", r, END_REQUESTS)
        key = ddb.serialize({"sessionId": started["sessionId"]})
        image = client.get_item(TableName=get_settings().table("sessions"), Key=key, ConsistentRead=True)["Item"]
        change = {"dynamodb": {"Keys": key, "NewImage": image}}
        _, r = meter.measure(lambda: apply_record(change))
        record("rollups", f"stream record: an ended session ({label})", r, 2, note="ledger read + 1 transaction")
        rollups[label] = r
    plain, timed = rollups.values()
    print(f"  rollup of a record with latency: {timed.requests} requests vs {plain.requests}, "
          f"{timed.capacity:.1f} CU vs {plain.capacity:.1f} CU")
    if timed.requests != plain.requests:
        fail(f"a session's latency changed the rollup's requests: {plain.requests} -> {timed.requests}")

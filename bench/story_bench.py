"""The session story in `make bench`: events calls and an end carrying events.

Budgets (docs/metering.md): an events call at most 1 + ceil(new / 25) requests (one in the
common case), a repeated call 1; an end with events what the end costs without them
(2 + its batches) plus ceil(events / 25), and in fact no more than without.
"""
from __future__ import annotations

import uuid


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
        record("session", f"POST /api/session/events ({n} new)", r, 1 + _batches(n),
               note=f"1 + ceil({n}/25)")
    _, r = bao.call("POST", "/api/session/events", {"sessionId": sid, "events": events})
    record("session", "POST /api/session/events (the same 50 again)", r, 1)
    clock.advance(60)
    _, r = bao.call("POST", "/api/session/heartbeat", {"sessionId": sid})
    record("session", "POST /api/session/heartbeat (after a gap: + the gap entry)", r, 2)
    messages = [{"role": "user" if i % 2 else "coach", "text": f"Câu số {i}", "timestamp": i} for i in range(30)]
    end_events = _events(20, t0 + 100_000) + [{"eventId": str(uuid.uuid4()), "type": "provider_disconnected",
                                               "at": t0 + 119_000, "provider": "gemini", "code": 1000}]
    _, r = bao.call("POST", "/api/session/end", {"sessionId": sid, "disconnectCode": 1000, "messages": messages,
                                                  "events": end_events})
    budget = 2 + _batches(len(messages)) + _batches(len(end_events))
    record("session", "POST /api/session/end (30 messages, 21 events)", r, budget,
           note=f"end {2 + _batches(len(messages))} + ceil(21/25)")

"""The local stream pump: feeds the rollups in the background within about a second, and
keeps quiet when the endpoint has no streams."""
from __future__ import annotations

import logging
import time

from admin_helpers import user
from apitest import data, end_session, start_session


def total_sessions(admin) -> int:
    return data(admin.get("/api/admin/sessions"))["stats"]["totalSessions"]


def test_the_background_pump_shows_fresh_stats_within_a_second(api, admin, dynamodb, clock):
    from local.streams import StreamPump

    pump = StreamPump(api.gateway, dynamodb)
    pump.start()
    try:
        alice = user(api, "alice")
        sid = start_session(alice, {"mode": "coach", "provider": "gemini"})["sessionId"]
        clock.advance(45)
        end_session(alice, sid, disconnectCode=1006)
        ended = time.monotonic()
        seen = None
        while time.monotonic() - ended < 3:
            stats = data(admin.get("/api/admin/sessions"))["stats"]
            if stats["endedSessions"] == 1:
                seen = time.monotonic() - ended
                break
            time.sleep(0.05)
        assert seen is not None and seen < 1.5, seen
        assert stats["disconnectBreakdown"] == {"1006": 1}
    finally:
        pump.stop()
    assert not pump.running
    # Stopped: nothing is delivered any more until drained by hand.
    bob = user(api, "bob")
    start_session(bob, {"mode": "free", "provider": "gemini"})
    time.sleep(0.6)
    assert total_sessions(admin) == 1
    assert pump.drain() == 1 and total_sessions(admin) == 2


def test_a_table_without_a_stream_is_logged_once_and_ignored(api, dynamodb, caplog, monkeypatch):
    from local import streams

    monkeypatch.setattr(streams, "UNAVAILABLE_RETRY_SECONDS", 0)
    pump = streams.StreamPump(api.gateway, dynamodb, table="usage_periods")   # has no stream
    with caplog.at_level(logging.WARNING, logger="local.streams"):
        assert pump.drain() == 0
        assert pump.drain() == 0
        pump.start()
        time.sleep(0.5)
        pump.stop()
    warnings = [r for r in caplog.records if "no DynamoDB stream" in r.getMessage()]
    assert len(warnings) == 1

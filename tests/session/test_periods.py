"""The usage period is the UTC calendar month."""
from __future__ import annotations

from apitest import data, end_session, start_session

NOV_30_2359 = 1_796_083_140_000  # 2026-11-30T23:59:00Z


def test_new_month_gets_a_fresh_allowance(api, clock):
    clock.set(NOV_30_2359 - 3600_000)
    alice = api.as_user("alice")
    s = start_session(alice)
    clock.advance(600)
    end_session(alice, s["sessionId"])
    assert data(alice.get("/api/usage"))["secondsUsed"] == 600
    clock.set(NOV_30_2359 + 120_000)  # 2026-12-01T00:01Z
    usage = data(alice.get("/api/usage"))
    assert usage["period"] == "2026-12" and usage["secondsUsed"] == 0 and usage["secondsLimit"] == 1800


def test_session_live_across_midnight_is_charged_to_its_start_month(api, clock):
    clock.set(NOV_30_2359)
    alice = api.as_user("alice")
    s = start_session(alice)
    clock.advance(120)  # now December
    hb = data(alice.post("/api/session/heartbeat", {"sessionId": s["sessionId"]}))
    assert hb["usage"]["period"] == "2026-11" and hb["sessionSeconds"] == 120
    clock.advance(60)
    out = end_session(alice, s["sessionId"])
    assert out["totalSecondsUsed"] == 180
    assert data(alice.get("/api/usage"))["secondsUsed"] == 0  # December untouched

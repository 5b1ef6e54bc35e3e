"""This release's index migration (docs/migrations.md) on dynoxide, on data written under the
old shape: the tables as the release before created them (each replacement's predecessor in its
place), sessions and live meters written through the app, the meters stripped of activeSweepAt
as the release before wrote them. Then the procedure, round by round, as `python -m migrations
plan` drives it against AWS: each round's adds and drops (what its deploy does to the tables) and
its readers' variable (what its deploy sets on the functions); after each round the app's readers
answer as before. At the end only the final indexes are left, nothing was lost, and running the
procedure again changes nothing."""
from __future__ import annotations

import pytest

from apitest import T0, ApiClient, data, end_session, start_session, switch_provider
from migrations import backfill
from migrations.live import add_index, describe_all, drop_index, measure_pending, migrate_in_place
from migrations.plan import ABSENT, ADD, BACKFILL, DONE, DROP, SWITCH, advance, drift, plan, step_in_effect, unsafe
from speakpho.table_env import RETIRED_READS_VARIABLE
from speakpho.tables import TABLES

MINUTE = 60_000
DAY = 24 * 60 * MINUTE
RANGE = "from=2026-11-04&to=2026-11-10"
LEARNERS = ("lan", "minh", "hoa")


def _write_old_data(api: ApiClient, clock, pump) -> None:
    """Three learners' sessions through the API: ended ones with stories (switches), a
    transcript and corrections, one closed by the sweeper; three live meters (lan's and minh's
    stale at T0, hoa's fresh). The app numbers each learner's history as it goes."""
    from infra.catalog import SWEEPER

    lan, minh, hoa = (api.as_user(n, email=f"{n}@example.com") for n in LEARNERS)
    clock.set(T0 - 5 * DAY - 3 * 60 * MINUTE)                       # 2026-11-05 09:00
    s1 = start_session(lan, {"mode": "coach", "provider": "gemini"})["sessionId"]
    clock.advance(100)
    switch_provider(lan, s1, "openai", 1011)
    clock.advance(140)
    end_session(lan, s1, provider="openai", disconnectCode=1006, messages=[
        {"role": "user", "text": "Toi muon mua ca phe", "timestamp": clock.now_ms() - 20_000},
        {"role": "coach", "text": "Tôi muốn mua cà phê.", "timestamp": clock.now_ms() - 10_000}],
        corrections=[{"original": "Toi", "correction": "Tôi", "explanation": "tone marks", "category": "tone"}])
    clock.set(T0 - 4 * DAY)
    s4 = start_session(minh, {"mode": "free", "provider": "openai"})["sessionId"]
    clock.advance(300)
    end_session(minh, s4, disconnectCode=1000)
    clock.set(T0 - 3 * DAY)
    s2 = start_session(lan, {"mode": "free", "provider": "gemini"})["sessionId"]
    clock.advance(60)
    switch_provider(lan, s2, "openai", 1011)
    clock.advance(60)
    switch_provider(lan, s2, "gemini")
    clock.advance(60)
    end_session(lan, s2, provider="gemini", disconnectCode=1000)
    clock.set(T0 - DAY + 6 * 60 * MINUTE)                           # 2026-11-09 18:00: swept
    s5 = start_session(minh, {"mode": "coach", "provider": "gemini"})["sessionId"]
    clock.advance(90)
    data(minh.post("/api/session/heartbeat", {"sessionId": s5}))
    clock.advance(200)
    assert api.gateway.invoke(SWEEPER.handler, {"source": "test"}, name="sweeper") is not None
    clock.set(T0 - 60 * MINUTE)                                     # live meters
    start_session(lan, {"mode": "coach", "provider": "gemini"})
    clock.set(T0 - 30 * MINUTE)
    s6 = start_session(minh, {"mode": "free", "provider": "gemini"})["sessionId"]
    clock.set(T0 - 10 * MINUTE)
    data(minh.post("/api/session/heartbeat", {"sessionId": s6}))
    clock.set(T0 - 30_000)
    start_session(hoa, {"mode": "coach", "provider": "gemini"})
    clock.set(T0)
    pump.drain()


def _candidates(now: int) -> list[tuple]:
    """The sweeper's candidates at `now` (its store, as metering.sweep calls it)."""
    from speakpho.config import get_settings
    from speakpho.deps import metering_store

    cutoff = now - get_settings().stale_after_seconds * 1000
    found = metering_store().stale_candidates(now, cutoff)
    return sorted((c["userId"], c["period"], c["activeSessionId"]) for c in found)


def _answers(api: ApiClient) -> dict:
    """What the app's readers answer at T0: the admin list by day and by user (with the user's
    stats), each learner's history page, the sweeper's candidates."""
    from speakpho import deps

    deps.reset()          # a deploy's new variable reaches new containers
    admin = api.as_user("root", admin=True, email="root@example.com")
    answers = {"by day": data(admin.get(f"/api/admin/sessions?{RANGE}&limit=200")),
               "candidates": _candidates(T0)}
    for learner in LEARNERS:
        answers[f"by user {learner}"] = data(admin.get(f"/api/admin/sessions?{RANGE}&userId={learner}"))
        answers[f"history {learner}"] = data(api.as_user(learner, email=f"{learner}@example.com")
                                             .get("/api/learning/history"))
    return answers


def _counts(client, names) -> dict[str, int]:
    return {table: client.scan(TableName=name, Select="COUNT")["Count"] for table, name in names.items()}


def test_the_release_migrates_data_written_under_the_old_shape(old_shape, old_release_meters, clock, monkeypatch):
    from local.gateway import Gateway
    from local.streams import StreamPump
    from speakpho.config import get_settings

    client, names = old_shape
    api = ApiClient(Gateway())
    _write_old_data(api, clock, StreamPump(api.gateway, client, engine_in_process=False))
    assert old_release_meters(client, names, LEARNERS) == 3
    before, counts = _answers(api), _counts(client, names)
    assert len(before["by day"]["sessions"]) == 7 and [len(before[f"history {n}"]["sessions"]) for n in LEARNERS] \
        == [3, 3, 1]
    assert [c[0] for c in before["candidates"]] == ["lan", "minh"]          # hoa's meter is fresh
    settings = get_settings()

    step = step_in_effect(describe_all(client, names))
    assert set(step.read_retired) == {r.name for s in TABLES for r in s.retired}
    taken = []
    for _ in range(20):
        lives = describe_all(client, names)
        pending = measure_pending(client, names, lives, settings)
        assert drift(step, lives) == [] and unsafe(step, lives, pending) == []
        actions = [a for a in plan(lives, reading=step.read_retired, pending=pending) if a.kind not in (DONE, ABSENT)]
        if not actions:
            break
        for action in actions:      # what the round's deploy does to the tables
            if action.kind == ADD:
                add_index(client, names[action.table], next(s for s in TABLES if s.logical_name == action.table),
                          action.indexes[0])
            elif action.kind == DROP:
                drop_index(client, names[action.table], action.indexes[0])
            elif action.kind == BACKFILL:
                assert pending[backfill.INDEX] == 3
                progress = backfill.run(client, names, settings)
                assert (progress.read, progress.missing, progress.written) == (3, 3, 3)
                assert backfill.pending(client, names, settings) == 0
                assert backfill.run(client, names, settings).written == 0          # idempotent
                with monkeypatch.context() as final:    # every live meter is in the new index now
                    final.delenv(RETIRED_READS_VARIABLE)
                    assert _candidates(T0 + DAY) == _every_live_meter(client, names)
        step = advance(step, actions)
        monkeypatch.setenv(RETIRED_READS_VARIABLE, step.reads_variable(TABLES))   # what the deploy sets
        taken += [(a.table, a.kind) for a in actions]
        assert _answers(api) == before, actions
    assert [k for t, k in taken if t == "usage_periods"] == [ADD, BACKFILL, SWITCH, DROP]
    assert [k for t, k in taken if t == "sessions"] == [ADD, ADD, ADD, SWITCH, DROP, DROP, DROP]

    lives = describe_all(client, names)
    for spec in TABLES:
        assert set(lives[spec.logical_name].indexes) == {i.name for i in spec.indexes}, spec.logical_name
    assert step.read_retired == () and _counts(client, names) == counts
    # Again, as `make dev` runs it at every start: nothing to do, nothing changed.
    assert migrate_in_place(client, names, settings) == []
    assert _counts(client, names) == counts and _answers(api) == before


def _every_live_meter(client, names) -> list[tuple]:
    rows = [client.get_item(TableName=names["usage_periods"], ConsistentRead=True,
                            Key={"userId": {"S": n}, "period": {"S": "2026-11"}})["Item"] for n in LEARNERS]
    return sorted((r["userId"]["S"], "2026-11", r["activeSessionId"]["S"]) for r in rows if "activeSessionId" in r)


def test_the_local_runner_migrates_in_place(old_shape, old_release_meters, clock):
    """migrate_in_place (what `make dev` runs before it serves) on the old shape: the same
    steps, the switch immediate (no reader runs meanwhile), a live meter backfilled."""
    from local.gateway import Gateway
    from speakpho.config import get_settings
    from speakpho.deps import metering_store

    client, names = old_shape
    api = ApiClient(Gateway())
    lan = api.as_user("lan", email="lan@example.com")
    clock.set(T0 - 10 * MINUTE)
    session = start_session(lan, {"mode": "coach", "provider": "gemini"})["sessionId"]
    assert old_release_meters(client, names, LEARNERS) == 1
    counts = _counts(client, names)
    lines: list[str] = []
    taken = migrate_in_place(client, names, get_settings(), log=lines.append)
    assert [(a.table, a.kind) for a in taken] == [
        ("usage_periods", ADD), ("sessions", ADD), ("usage_periods", BACKFILL), ("sessions", ADD),
        ("usage_periods", DROP), ("sessions", ADD), ("sessions", DROP), ("sessions", DROP), ("sessions", DROP)]
    assert len(lines) == len(taken) and lines[0].startswith("index migration: usage_periods: add active_by_sweep")
    lives = describe_all(client, names)
    assert all(set(lives[s.logical_name].indexes) == {i.name for i in s.indexes} for s in TABLES)
    assert _counts(client, names) == counts
    row = metering_store().get_period("lan", "2026-11")
    assert row["activeSessionId"] == session and row["activeSweepAt"] >= row["activeLastHeartbeatAt"] + 180_000

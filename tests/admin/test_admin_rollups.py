"""The rollup stream processor: replays count once, partial failures are reported,
out-of-order and removed records converge, and stats cost follows the days in range."""
from __future__ import annotations

import csv
import io

import pytest

from admin_helpers import stream_record, user
from apitest import T0, count_requests, data, end_session, start_session, switch_provider

DAY = 86_400_000


def invoke_rollups(api, records: list[dict]) -> dict:
    """The deployed rollup handler, called as the event source mapping calls it."""
    from infra.catalog import ROLLUPS

    return api.gateway.invoke(ROLLUPS.handler, {"Records": records}, name="rollups")


def stored_cells(client) -> dict[tuple[str, str], dict]:
    """Every rollup cell (test-only full read of a small table)."""
    from speakpho import ddb
    from speakpho.tables import ROLLUP_MONTH_PREFIX

    items = [ddb.deserialize(i) for i in client.scan(TableName="session_rollups")["Items"]]
    return {(i["pk"], i["sk"]): {k: v for k, v in i.items() if k not in ("pk", "sk")}
            for i in items if i["pk"].startswith(ROLLUP_MONTH_PREFIX)}


def nonzero(cells: dict) -> dict:
    return {k: {n: v for n, v in values.items() if v} for k, values in cells.items()
            if any(values.values())}


def session_image(session_id: str = "sess-1", **fields) -> dict:
    image = {"sessionId": session_id, "userId": "alice", "userEmail": "alice@example.com", "status": "active",
             "startedAt": T0, "startDay": "2026-11-10", "mode": "coach", "provider": "gemini",
             "initialProvider": "gemini", "switchCount": 0, "version": 1}
    image.update(fields)
    return image


def stats(admin, query: str = "") -> dict:
    return data(admin.get("/api/admin/sessions", query=query))["stats"]


# --------------------------------------------------------------------------- replay
def test_replaying_the_whole_stream_counts_nothing_twice(api, admin, clock, pump, dynamodb):
    from local.streams import StreamPump

    alice, bob = user(api, "alice"), user(api, "bob")
    a = start_session(alice, {"mode": "coach", "provider": "gemini"})["sessionId"]
    clock.advance(60)
    switch_provider(alice, a, "openai")
    clock.advance(60)
    end_session(alice, a, provider="openai", disconnectCode=1006)
    b = start_session(bob, {"mode": "free", "provider": "gemini"})["sessionId"]
    clock.advance(30)
    end_session(bob, b)
    assert pump.drain() == 6                     # 2 starts, 1 switch and its grant, 2 ends
    first = stats(admin)
    assert first["totalSessions"] == 2 and first["disconnectBreakdown"] == {"1006": 1}
    assert first["avgDuration"] == 1.25          # (120 + 30) / 2 / 60
    cells = stored_cells(dynamodb)

    replay = StreamPump(api.gateway, dynamodb)   # no position: reads the stream from its start
    assert replay.drain() == 6
    assert stats(admin) == first
    assert stored_cells(dynamodb) == cells


def test_a_record_delivered_twice_in_one_batch_counts_once(api, admin, dynamodb):
    v1 = session_image()
    v2 = session_image(status="ended", endedAt=T0 + 90_000, endReason="user_ended", disconnectCode=1000,
                       version=2)
    insert = stream_record(old_image=None, new_image=v1, sequence_number=1)
    modify = stream_record(old_image=v1, new_image=v2, sequence_number=2)
    result = invoke_rollups(api, [insert, modify, modify, insert])
    assert result == {"batchItemFailures": []}
    s = stats(admin)
    assert (s["totalSessions"], s["endedSessions"], s["avgDuration"]) == (1, 1, 1.5)
    assert s["disconnectBreakdown"] == {"1000": 1}
    assert invoke_rollups(api, [modify]) == {"batchItemFailures": []}
    assert stats(admin) == s


def test_outcomes_of_applying_records(dynamodb):
    from admin.rollups import apply_record

    v1 = session_image()
    v2 = session_image(status="ended", endedAt=T0 + 60_000, endReason="user_ended", version=2)
    v3 = session_image(status="ended", endedAt=T0 + 60_000, endReason="user_ended", version=3,
                       contentStoredAt=T0 + 60_000, messageCount=4)   # nothing the rollups count
    insert = stream_record(old_image=None, new_image=v1, sequence_number=1)
    assert apply_record(insert) == "applied"
    assert apply_record(insert) == "skipped"
    assert apply_record(stream_record(old_image=v1, new_image=v2, sequence_number=2)) == "applied"
    assert apply_record(insert) == "skipped"                       # older than what was applied
    assert apply_record(stream_record(old_image=v2, new_image=v3, sequence_number=3)) == "unchanged"


def test_records_out_of_order_converge_to_the_newest_image(api, admin):
    v1 = session_image(provider="gemini")
    v2 = session_image(provider="openai", switchCount=1, version=2)
    v3 = session_image(provider="openai", switchCount=1, version=3, status="ended", endedAt=T0 + 120_000,
                       endReason="disconnect", disconnectCode=1011)
    r1 = stream_record(old_image=None, new_image=v1, sequence_number=1)
    r2 = stream_record(old_image=v1, new_image=v2, sequence_number=2)
    r3 = stream_record(old_image=v2, new_image=v3, sequence_number=3)
    # r2 is lost for a while: r3 arrives first, then r1 and r2 come late.
    assert invoke_rollups(api, [r3, r1, r2]) == {"batchItemFailures": []}
    s = stats(admin)
    assert s["totalSessions"] == 1
    assert s["providerBreakdown"] == {"gemini": 0, "openai": 1}
    assert s["disconnectBreakdown"] == {"1011": 1} and s["providerSwitchRate"] == 1.0
    assert s["avgDuration"] == 2.0


def test_a_removed_session_leaves_the_stats_and_stays_out_on_replay(api, admin):
    v1 = session_image()
    v2 = session_image(status="ended", endedAt=T0 + 60_000, endReason="user_ended", version=2)
    insert = stream_record(old_image=None, new_image=v1, sequence_number=1)
    modify = stream_record(old_image=v1, new_image=v2, sequence_number=2)
    remove = stream_record(old_image=v2, new_image=None, sequence_number=3)
    invoke_rollups(api, [insert, modify])
    assert stats(admin)["totalSessions"] == 1
    invoke_rollups(api, [remove])
    assert stats(admin)["totalSessions"] == 0
    invoke_rollups(api, [insert, modify, remove])
    s = stats(admin)
    assert (s["totalSessions"], s["endedSessions"], s["endReasonBreakdown"]) == (0, 0, {})


def test_a_changed_ledger_is_read_again_not_overwritten(dynamodb):
    from admin.health.cells import contribution, contribution_delta
    from admin.rollup_store import rollup_store
    from speakpho.errors import ConditionLost

    store = rollup_store()
    target = contribution(session_image())
    deltas = contribution_delta(None, target)
    store.commit_rollup(session_id="sess-1", seen_version=None, version=1, target=target, deltas=deltas)
    # A second writer that read "no ledger" loses, and nothing is added twice.
    with pytest.raises(ConditionLost):
        store.commit_rollup(session_id="sess-1", seen_version=None, version=1, target=target, deltas=deltas)
    with pytest.raises(ConditionLost):
        store.commit_rollup(session_id="sess-1", seen_version=7, version=8, target=target, deltas=deltas)
    assert nonzero(stored_cells(dynamodb)) == {(target.pk, target.sk): {"sessions": 1, "conn_gemini": 1}}
    assert store.get_ledger("sess-1")["appliedVersion"] == 1


def test_todays_new_session_is_listed_before_its_rollup_arrives(api, admin, pump):
    alice = user(api, "alice")
    sid = start_session(alice, {"mode": "coach", "provider": "gemini"})["sessionId"]
    page = data(admin.get("/api/admin/sessions"))
    assert [s["id"] for s in page["sessions"]] == [sid]     # today's rows are always read
    assert page["stats"]["totalSessions"] == 0               # the stream has not been fed yet
    pump.drain()
    assert data(admin.get("/api/admin/sessions"))["stats"]["totalSessions"] == 1


def test_a_session_counted_before_the_story_moves_to_its_new_cell_when_applied_again(api, admin, dynamodb):
    """What the previous code wrote (a 4-part cell and a ledger pointing at it) still counts,
    and a re-drive of the session's newest record, or a backfill that applies the item as it
    is now (same version), moves it to its new cell: the delta is taken against the ledger."""
    from admin.health.cells import Contribution, contribution_delta
    from admin.rollup_store import rollup_store

    now = session_image(status="ended", endedAt=T0 + 60_000, endReason="user_ended", endedBy="learner",
                        disconnectCode=1000, version=2)
    old = Contribution("month#2026-11", "2026-11-10#gemini#coach#1000",
                       {"sessions": 1, "endedSessions": 1, "durationSecondsSum": 60, "switchedSessions": 0,
                        "switchCountSum": 0, "endReason_user_ended": 1})
    rollup_store().commit_rollup(session_id="sess-1", seen_version=None, version=2, target=old,
                                 deltas=contribution_delta(None, old))
    before = stats(admin)
    assert (before["totalSessions"], before["disconnectBreakdown"]) == (1, {"1000": 1})
    assert before["endedByBreakdown"]["unknown"] == 1                       # counted, but not by whom
    assert stats(admin, "endedBy=learner")["totalSessions"] == 0

    assert invoke_rollups(api, [stream_record(old_image=None, new_image=now, sequence_number=9)]) == {
        "batchItemFailures": []}
    after = stats(admin)
    assert (after["totalSessions"], after["disconnectBreakdown"]) == (1, {"1000": 1})
    assert "unknown" not in after["endedByBreakdown"] and after["endedByBreakdown"]["learner"] == 1
    assert stats(admin, "endedBy=learner")["totalSessions"] == 1
    from speakpho.config import get_settings
    from speakpho.tables import rollup_cell_pk

    shard_pk = rollup_cell_pk("2026-11-10", "sess-1", get_settings().rollup_shards)   # the session's shard now
    assert shard_pk == "month#2026-11#3"
    assert nonzero(stored_cells(dynamodb)) == {(shard_pk, "2026-11-10#gemini#coach#clean#gemini#learner"): {
        "sessions": 1, "endedSessions": 1, "durationSecondsSum": 60, "endReason_user_ended": 1, "code_1000": 1,
        "conn_gemini": 1}}


# --------------------------------------------------------------------------- partial failures
def test_a_bad_record_is_reported_and_the_others_are_applied(api, admin):
    good = stream_record(old_image=None, new_image=session_image("a"), sequence_number=101)
    no_key = stream_record(old_image=None, new_image=session_image("b"), sequence_number=102)
    no_key["dynamodb"]["Keys"] = {}
    no_start = stream_record(old_image=None, new_image=session_image("c"), sequence_number=103)
    del no_start["dynamodb"]["NewImage"]["startedAt"]
    also_good = stream_record(old_image=None, new_image=session_image("d", mode="free"), sequence_number=104)
    result = invoke_rollups(api, [good, no_key, no_start, also_good])
    assert result == {"batchItemFailures": [{"itemIdentifier": "102"}, {"itemIdentifier": "103"}]}
    s = stats(admin)
    assert s["totalSessions"] == 2
    assert data(admin.get("/api/admin/sessions", query="mode=free"))["stats"]["totalSessions"] == 1


def test_a_batch_where_every_record_fails_is_an_error_so_it_is_retried(api):
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    bad = stream_record(old_image=None, new_image=session_image(), sequence_number=7)
    bad["dynamodb"]["Keys"] = {}
    with pytest.raises(BatchProcessingError):
        invoke_rollups(api, [bad])


def test_the_pump_redelivers_after_a_failure_then_moves_on(api, admin, dynamodb, caplog):
    """A poison record is retried (like the mapping) and skipped after MAX_ATTEMPTS;
    the records around it are counted once."""
    from local import streams
    from speakpho import ddb

    alice = user(api, "alice")
    good = start_session(alice, {"mode": "coach", "provider": "gemini"})["sessionId"]
    end_session(alice, good)
    # A session row without startedAt cannot be rolled up: its records fail.
    dynamodb.put_item(TableName="sessions", Item=ddb.serialize({"sessionId": "poison", "version": 1}))
    bob = user(api, "bob")
    later = start_session(bob, {"mode": "free", "provider": "gemini"})["sessionId"]
    pump = streams.StreamPump(api.gateway, dynamodb)
    for _ in range(streams.MAX_ATTEMPTS + 1):
        pump.drain()
    s = stats(admin)
    assert s["totalSessions"] == 2
    assert {r["id"] for r in data(admin.get("/api/admin/sessions"))["sessions"]} == {good, later}
    assert any("giving up on record" in r.getMessage() for r in caplog.records)


# --------------------------------------------------------------------------- cost
def test_seven_day_stats_make_the_same_requests_at_any_table_size(api, admin, dynamodb):
    from bench.seeding import seed_sessions, synthetic_sessions
    from speakpho.config import get_settings

    def measure():
        with count_requests(dynamodb) as series_calls:
            data(admin.get("/api/admin/sessions/timeseries"))
        with count_requests(dynamodb) as year_calls:
            data(admin.get("/api/admin/sessions/timeseries", query="from=2025-11-11&to=2026-11-10"))
        with count_requests(dynamodb) as list_calls:
            page = data(admin.get("/api/admin/sessions"))
        return series_calls.names(), year_calls.names(), list_calls.names(), page["stats"]["totalSessions"]

    seed_sessions(dynamodb, get_settings(), synthetic_sessions(150, end_ms=T0, seed=1), ledgers=False)
    small = measure()
    seed_sessions(dynamodb, get_settings(),
                  synthetic_sessions(1350, end_ms=T0, seed=2, id_prefix="b-"), ledgers=False)
    big = measure()
    assert big[3] > small[3] > 0                     # the range really holds more sessions
    shards = get_settings().rollup_shards            # the month partition's write shards
    assert small[0] == big[0] == ["Query"] * shards  # 7 days of one month: one rollup Query per shard
    assert small[1] == big[1] == ["Query"] * 13 * shards   # a year: one Query per shard of each month
    # The list reads at most one query per day in range (days without sessions are skipped
    # with the rollups' help) plus the stats Queries, and one BatchGetItem of the items of each
    # day query that found keys, however many sessions the table holds.
    for calls in (small[2], big[2]):
        queries, batches = calls.count("Query"), calls.count("BatchGetItem")
        assert set(calls) == {"Query", "BatchGetItem"} and len(calls) == queries + batches
        assert shards + 1 <= queries <= shards + 7 and 1 <= batches <= queries - shards


def test_seeded_cells_match_what_the_stream_processor_builds(api, admin, dynamodb, pump):
    from bench.seeding import rollup_cells_for, seed_sessions, synthetic_sessions
    from speakpho import ddb
    from speakpho.config import get_settings

    sessions = synthetic_sessions(60, end_ms=T0, days=40, seed=3)
    ddb.batch_write(dynamodb, "sessions", puts=sessions)     # rows only: the stream does the rest
    assert pump.drain() == 60
    assert nonzero(stored_cells(dynamodb)) == nonzero(
        {k: dict(v) for k, v in rollup_cells_for(sessions).items()})
    before = stats(admin, "from=2026-10-01&to=2026-11-10")

    more = synthetic_sessions(25, end_ms=T0, days=40, seed=4, id_prefix="seeded-")
    seed_sessions(dynamodb, get_settings(), more)             # cells and ledgers written directly
    assert pump.drain() == 25                                 # the pump sees the inserts...
    after = stats(admin, "from=2026-10-01&to=2026-11-10")     # ...and the ledgers make it skip them
    in_range = [s for s in more if s["startDay"] >= "2026-10-01"]
    assert after["totalSessions"] == before["totalSessions"] + len(in_range)
    assert after["creditedSeconds"] == before["creditedSeconds"] + sum(s["creditedSeconds"] for s in in_range)


def test_seeded_sessions_carry_stories():
    from bench.seeding import synthetic_sessions
    from speakpho import story

    sessions = synthetic_sessions(2000, end_ms=T0, seed=5)
    assert set(story.ENDED_BY) - {s["endedBy"] for s in sessions} == {"superseded"}
    failures = [s for s in sessions if any(story.is_failure(e) for e in s["story"])]
    assert len(failures) > 100
    assert sum(1 for s in failures if s["switchCount"]) > 50                  # rescued by a switch
    assert sum(1 for s in sessions if s["creditedSeconds"]) > 100
    assert {story.switch_cause(s["story"]) for s in sessions if s["switchCount"]} >= {"1011", "none", "other"}
    assert all(s["story"][0]["type"] == "started" and s["story"][-1]["type"] in ("ended", "timed_out")
               for s in sessions)


# --------------------------------------------------------------------------- export edge
def test_csv_cells_cannot_become_formulas(api, admin, clock, pump):
    mallory = api.as_user("mallory", email="=HYPERLINK(\"http://x\")@example.com")
    sid = start_session(mallory, {"mode": "free", "provider": "gemini"})["sessionId"]
    clock.advance(30)
    end_session(mallory, sid, disconnectCode=1006, disconnectReason="=cmd|' /C calc'!A0")
    rows = list(csv.DictReader(io.StringIO(admin.get("/api/admin/sessions/export.csv").body)))
    assert rows[0]["id"] == sid
    assert rows[0]["userEmail"].startswith("'=") and rows[0]["disconnectReason"].startswith("'=")

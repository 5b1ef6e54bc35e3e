"""The index migration's planner (migrations/plan.py) and steps (migrations/steps.py): pure
functions of plain data, so every case is a row of a table."""
from __future__ import annotations

import pytest

from migrations.plan import (ABSENT, ADD, BACKFILL, DONE, DROP, SWITCH, WAIT, LiveIndex, LiveTable, advance, drift,
                             live_table, needs_attribute_backfill, plan_table, previous_indexes, release_steps,
                             step_in_effect, unsafe)
from migrations.steps import FINAL, IndexStep, check, from_json, gsi_changes
from speakpho.tables import SESSIONS, TABLES, USAGE_PERIODS, Index, Key, TableSpec

# A table replacing two indexes: one keyed on a new attribute (u: an attribute backfill), one
# with the same keys and a leaner projection; one index kept as it is.
OLD = Index("by_old", Key("a", "S"), Key("t", "N"), replaced_by="by_new")
NEW = Index("by_new", Key("a", "S"), Key("u", "N"), projected=("x",))
DAY_OLD = Index("by_day", Key("d", "S"), Key("t", "N"), replaced_by="by_day_keys")
DAY_NEW = Index("by_day_keys", Key("d", "S"), Key("t", "N"), projected=())
KEPT = Index("by_user", Key("user", "S"))
SPEC = TableSpec("things", "THINGS_TABLE", Key("id", "S"), indexes=(NEW, DAY_NEW, KEPT), retired=(OLD, DAY_OLD))


def live(*names: str, table: str = "ACTIVE", **states: LiveIndex) -> LiveTable:
    indexes = {name: LiveIndex() for name in names}
    indexes.update(states)
    return LiveTable(status=table, indexes=indexes)


CREATING = LiveIndex("CREATING", backfilling=True)
CASES = [
    # (why, live, reading, pending, expected kind, expected indexes)
    ("no table yet", None, (), {}, ABSENT, ()),
    ("the table is updating", live("by_old", "by_day", "by_user", table="UPDATING"), (), {}, WAIT, ()),
    ("an index is being built", live("by_old", "by_day", "by_user", by_new=CREATING), (), {}, WAIT, ("by_new",)),
    ("an index is ACTIVE but still backfilling", live("by_old", "by_day", "by_user",
                                                      by_new=LiveIndex("ACTIVE", True)), (), {}, WAIT, ("by_new",)),
    ("an index is being deleted", live("by_new", "by_day_keys", "by_user", by_old=LiveIndex("DELETING")), (), {},
     WAIT, ("by_old",)),
    ("the old shape: add the first replacement", live("by_old", "by_day", "by_user"), ("by_old", "by_day"), {},
     ADD, ("by_new",)),
    ("one added: add the next, one per step", live("by_old", "by_day", "by_user", "by_new"), ("by_old", "by_day"),
     {}, ADD, ("by_day_keys",)),
    ("all built, backfill not measured", live("by_old", "by_day", "by_user", "by_new", "by_day_keys"),
     ("by_old", "by_day"), {}, BACKFILL, ("by_new",)),
    ("all built, rows missing", live("by_old", "by_day", "by_user", "by_new", "by_day_keys"),
     ("by_old", "by_day"), {"by_new": 3}, BACKFILL, ("by_new",)),
    ("backfilled, readers still on the retired ones", live("by_old", "by_day", "by_user", "by_new", "by_day_keys"),
     ("by_old", "by_day"), {"by_new": 0}, SWITCH, ("by_old", "by_day")),
    ("switched: drop a retired one", live("by_old", "by_day", "by_user", "by_new", "by_day_keys"), (),
     {"by_new": 0}, DROP, ("by_old",)),
    ("then the other", live("by_day", "by_user", "by_new", "by_day_keys"), (), {}, DROP, ("by_day",)),
    ("an index nobody defines goes after the retired ones", live("by_day", "by_user", "by_new", "by_day_keys",
                                                                 "zz_stray"), (), {}, DROP, ("by_day",)),
    ("a stray alone", live("by_user", "by_new", "by_day_keys", "zz_stray"), (), {}, DROP, ("zz_stray",)),
    ("final", live("by_user", "by_new", "by_day_keys"), (), {}, DONE, ()),
    ("a fresh table never had the retired ones: nothing to backfill", live("by_user", "by_new", "by_day_keys"), (),
     {"by_new": None}, DONE, ()),
]


@pytest.mark.parametrize("why, state, reading, pending, kind, indexes", CASES, ids=[c[0] for c in CASES])
def test_the_next_step_of_a_table(why, state, reading, pending, kind, indexes):
    action = plan_table(SPEC, state, reading=reading, pending=pending)
    assert (action.kind, action.indexes) == (kind, indexes), why


def test_describe_table_as_plain_data():
    described = {"TableStatus": "ACTIVE", "GlobalSecondaryIndexes": [
        {"IndexName": "by_new", "IndexStatus": "CREATING", "Backfilling": True},
        {"IndexName": "by_user", "IndexStatus": "ACTIVE"}]}
    assert live_table(described) == LiveTable("ACTIVE", {"by_new": CREATING, "by_user": LiveIndex()})
    assert live_table({"TableStatus": "ACTIVE"}).indexes == {}


def test_the_previous_shape_and_which_replacement_needs_an_attribute_backfill():
    assert previous_indexes(SPEC) == (OLD, DAY_OLD, KEPT)
    assert needs_attribute_backfill(SPEC, NEW) and not needs_attribute_backfill(SPEC, DAY_NEW)
    assert not needs_attribute_backfill(SPEC, KEPT)
    # This release: the sweeper's index keys on activeSweepAt (new); the sessions ones keep their keys.
    assert [i.name for i in USAGE_PERIODS.indexes if needs_attribute_backfill(USAGE_PERIODS, i)] == ["active_by_sweep"]
    assert not any(needs_attribute_backfill(SESSIONS, i) for i in SESSIONS.indexes)


def test_every_replacement_keyed_on_a_new_attribute_has_its_backfill_job():
    from migrations import backfill

    needing = {i.name for s in TABLES for i in s.indexes if needs_attribute_backfill(s, i)}
    assert needing == set(backfill.JOBS) == {"active_by_sweep"}


def test_every_retired_index_names_a_replacement_and_index_names_are_unique():
    names = [i.name for spec in TABLES for i in (*spec.indexes, *spec.retired)]
    assert len(names) == len(set(names))       # READ_RETIRED_INDEXES names indexes without their table
    for spec in TABLES:
        final = {i.name for i in spec.indexes}
        assert all(r.replaced_by in final for r in spec.retired), spec.logical_name


def test_the_release_goes_one_index_per_table_per_deploy_and_ends_final():
    rounds = release_steps()
    previous = step_in_effect({s.logical_name: LiveTable(indexes={i.name: LiveIndex() for i in previous_indexes(s)})
                               for s in TABLES})
    assert set(previous.read_retired) == {r.name for s in TABLES for r in s.retired}
    for actions, step in rounds:
        assert check(step) == [], step
        for spec in TABLES:
            added, dropped = gsi_changes(previous, step, spec)
            assert len(added) + len(dropped) <= 1, (spec.logical_name, added, dropped)
            # a retired index is dropped only once its readers have moved, in an earlier deploy
            assert not set(dropped) & set(previous.read_retired), dropped
        previous = step
    assert previous == FINAL
    kinds = [(a.table, a.kind) for actions, _ in rounds for a in actions]
    # usage_periods: add, backfill, switch, drop; sessions: three adds, the switch, three drops.
    assert [k for t, k in kinds if t == "usage_periods"] == [ADD, BACKFILL, SWITCH, DROP]
    assert [k for t, k in kinds if t == "sessions"] == [ADD, ADD, ADD, SWITCH, DROP, DROP, DROP]


def test_advance_applies_adds_drops_and_switches():
    step = IndexStep({"things": ("by_old", "by_day", "by_user")}, read_retired=("by_old", "by_day"))
    spec = (SPEC,)
    added = advance(step, [plan_table(SPEC, live("by_old", "by_day", "by_user"), reading=step.read_retired)], spec)
    assert added.names(SPEC) == ("by_old", "by_day", "by_user", "by_new")
    switched = advance(added, [plan_table(SPEC, live(*added.names(SPEC), "by_day_keys"), reading=added.read_retired,
                                          pending={"by_new": 0})], spec)
    assert switched.read_retired == () and switched.deployed == added.deployed
    final = IndexStep({"things": ("by_day", "by_user", "by_new", "by_day_keys")})
    dropped = advance(final, [plan_table(SPEC, live(*final.names(SPEC)))], spec)
    assert dropped == IndexStep({}, ())        # the final shape: no table listed


STEP_PROBLEMS = [
    ({"tables": {"nope": []}}, "no table 'nope'"),
    ({"tables": {"sessions": ["sessions_by_day_keys", "sessions_by_user_keys", "learning_history_view", "xx"]}},
     "sessions has no index 'xx'"),
    ({"readRetired": ["sessions_by_day_keys"]}, "'sessions_by_day_keys' is not a retired index"),
    ({"readRetired": ["sessions_by_day"]}, "readers query 'sessions_by_day', which sessions does not deploy"),
    ({"tables": {"sessions": ["sessions_by_day", "sessions_by_user_keys", "learning_history_view"]}},
     "readers of 'sessions_by_day_keys' would find no index on sessions"),
]


@pytest.mark.parametrize("body, problem", STEP_PROBLEMS)
def test_an_undeployable_step_is_refused(body, problem):
    import json

    assert problem in check(from_json(json.dumps(body)))


def test_a_step_names_the_retired_reads_and_round_trips():
    step = release_steps()[0][1]
    assert from_json(step.to_json()) == step
    assert step.query_name(SESSIONS, "sessions_by_day_keys") == "sessions_by_day"
    assert FINAL.query_name(SESSIONS, "sessions_by_day_keys") == "sessions_by_day_keys"
    # granted: the pair while the step deploys both, the retired one alone before, the new one after
    assert step.granted(SESSIONS, "sessions_by_day_keys") == ("sessions_by_day_keys", "sessions_by_day")
    assert step.granted(SESSIONS, "sessions_by_user_keys") == ("sessions_by_user",)
    assert FINAL.granted(SESSIONS, "sessions_by_user_keys") == ("sessions_by_user_keys",)
    assert step.reads_variable([USAGE_PERIODS]) == "active_by_heartbeat"
    assert step.reads_variable([SESSIONS]) == "sessions_by_day,sessions_by_user,learning_history"
    assert FINAL.reads_variable(TABLES) == ""


def test_index_to_query_follows_the_variable(monkeypatch):
    from speakpho.table_env import RETIRED_READS_VARIABLE, index_to_query

    monkeypatch.delenv(RETIRED_READS_VARIABLE, raising=False)
    assert index_to_query("active_by_sweep") == "active_by_sweep"
    monkeypatch.setenv(RETIRED_READS_VARIABLE, "active_by_heartbeat,learning_history")
    assert index_to_query("active_by_sweep") == "active_by_heartbeat"
    assert index_to_query("learning_history_view") == "learning_history"
    assert index_to_query("sessions_by_day_keys") == "sessions_by_day_keys"
    assert index_to_query("corrections_due") == "corrections_due"


def test_drift_and_unsafe_steps():
    step = release_steps()[0][1]        # readers on the retired indexes, the first replacements added
    lives = {s.logical_name: LiveTable(indexes={n: LiveIndex() for n in step.names(s)}) for s in TABLES}
    assert drift(step, lives) == [] and unsafe(step, lives, {}) == []
    behind = {**lives, "sessions": LiveTable(indexes={i.name: LiveIndex() for i in previous_indexes(SESSIONS)})}
    assert [line.split(":")[0] for line in drift(step, behind)] == ["sessions"]
    # the readers switched to active_by_sweep before its backfill finished: unsafe
    switched = IndexStep(step.deployed, read_retired=("sessions_by_day", "sessions_by_user", "learning_history"))
    assert unsafe(switched, lives, {"active_by_sweep": 2}) == [
        "usage_periods: readers query active_by_sweep, which lacks 2 rows: run the backfill"]
    # the final code deployed on the old shape: readers would query indexes that are not there
    old = {s.logical_name: LiveTable(indexes={i.name: LiveIndex() for i in previous_indexes(s)}) for s in TABLES}
    assert len(unsafe(FINAL, old, {})) == 4
    building = {**lives, "usage_periods": LiveTable(indexes={"active_by_heartbeat": LiveIndex(),
                                                             "active_by_sweep": CREATING})}
    assert unsafe(switched, building, {}) == [
        "usage_periods: readers query active_by_sweep, which is CREATING and backfilling"]

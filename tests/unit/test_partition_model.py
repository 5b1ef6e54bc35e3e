"""The partition model (bench/partition_model.py) against the real keys: every table and index
spreads its writes, or is a declared shared partition with its proposed sharding; docs/scale.md
shows what the model computes; and a key that concentrates writes makes the check fail."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bench import partition_model as pm
from speakpho import tables

DOC = Path(__file__).resolve().parents[2] / "docs" / "scale.md"
BLOCK = re.compile(r"<!-- partition-model:begin -->\n(.*?)<!-- partition-model:end -->", re.S)


def test_every_partition_spreads_its_writes_or_is_a_declared_hot_one():
    rows, clashes = pm.model()
    assert pm.violations(rows, clashes) == []
    assert {r.target for r in rows if r.shared} == set(pm.SHARED)


def test_the_model_covers_every_table_and_index():
    rows, _ = pm.model()
    expected = {s.logical_name for s in tables.TABLES} | {
        f"{s.logical_name}/{i.name}" for s in tables.TABLES for i in s.indexes}
    assert {r.target for r in rows} == expected
    assert all(r.values > 0 for r in rows)


def test_docs_scale_md_shows_the_models_figures():
    found = BLOCK.search(DOC.read_text(encoding="utf-8"))
    assert found, "docs/scale.md has no <!-- partition-model:begin/end --> block"
    assert found.group(1) == pm.markdown(pm.model()[0]), (
        "docs/scale.md is out of date: paste `python -m bench.partition_model --markdown` between the markers")


def test_the_stores_write_the_keys_the_tables_module_builds():
    """The model keys items with speakpho.tables' builders; the stores must agree with them."""
    from admin import health
    from speakpho import corrections, metering_store

    for user in ("alice", "bob", "learner-0000042", "f3b0c2d4-0000-4000-8000-000000000000"):
        assert metering_store.active_shard(user) == tables.active_shard(user)
    assert metering_store.ACTIVE_SHARDS == tables.ACTIVE_SHARDS
    assert metering_store.PROFILE_SK == tables.PROFILE_SK
    assert corrections.STATS_SK == tables.STATS_SK
    assert health.cell_pk("2026-11-20") == tables.rollup_cell_pk("2026-11-20")
    assert health.ledger_key("s-1") == tables.rollup_ledger_key("s-1")


def _replace(spec: tables.TableSpec, **changes) -> tuple:
    return tuple(dataclasses.replace(s, **changes) if s is spec else s for s in tables.TABLES)


@pytest.mark.parametrize("specs, expected", [
    # One session per learner: a second session overwrites the first.
    (_replace(tables.SESSIONS, partition_key=tables.Key("userId", "S")), "sessions: 2 sessions created items"),
    # An index keyed on a (nearly) constant attribute.
    (_replace(tables.SESSIONS, indexes=tables.SESSIONS.indexes + (
        tables.Index("sessions_by_status", tables.Key("status", "S"), tables.Key("startedAt", "N")),)),
     "sessions/sessions_by_status: many learners write the same `status` values"),
    (_replace(tables.USAGE_PERIODS, indexes=tables.USAGE_PERIODS.indexes + (
        tables.Index("periods_by_plan", tables.Key("plan", "S")),)),
     "usage_periods/periods_by_plan: many learners write the same `plan` values"),
    # An index on an attribute nothing writes is not modelled, and says so.
    (_replace(tables.CORRECTIONS, indexes=tables.CORRECTIONS.indexes + (
        tables.Index("corrections_by_tag", tables.Key("tag", "S")),)),
     "corrections/corrections_by_tag: the model writes nothing there"),
])
def test_a_key_that_concentrates_writes_fails(specs, expected):
    sim, sessions = pm.run_sample(learners=12, specs=specs)
    found = pm.violations(pm.analyse(sim, sessions), pm.collisions(sim))
    assert any(expected in problem for problem in found), found


def test_a_hot_partition_over_its_proposed_sharding_fails():
    rows, clashes = pm.model()
    hot = [dataclasses.replace(r, factor=1) if r.target == "session_rollups" else r for r in rows]
    assert any(p.startswith("session_rollups:") for p in pm.violations(hot, clashes))

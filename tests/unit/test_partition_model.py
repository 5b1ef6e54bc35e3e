"""The partition model (bench/partition_model.py) against the real keys: every table and index
spreads its writes, or is a declared shared partition under the 50 % target; docs/scale.md
shows what the model computes; and a key that concentrates writes, or that the stores' requests
do not fit, makes the check fail."""
from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
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


def _replace(spec: tables.TableSpec, **changes) -> tuple:
    return tuple(dataclasses.replace(s, **changes) if s is spec else s for s in tables.TABLES)


def _violations(learners: int, *specs: tables.TableSpec) -> list[str]:
    """The check on a sample run with these specs in place of speakpho.tables' own."""
    by_name = {s.logical_name: s for s in specs}
    sim, sessions = pm.run_sample(learners=learners, specs=tuple(by_name.get(s.logical_name, s)
                                                                 for s in tables.TABLES))
    return pm.violations(pm.analyse(sim, sessions), pm.collisions(sim))


def _with_index(spec: tables.TableSpec, index: tables.Index) -> tables.TableSpec:
    return dataclasses.replace(spec, indexes=spec.indexes + (index,))


@lru_cache(maxsize=1)
def _bad_keys() -> tuple[str, ...]:
    """One sample (2 learners, so a value two learners write is shared) with four bad keys."""
    return tuple(_violations(
        2,
        # An index keyed on a (nearly) constant attribute.
        _with_index(tables.SESSIONS, tables.Index("sessions_by_status", tables.Key("status", "S"),
                                                  tables.Key("startedAt", "N"))),
        _with_index(tables.USAGE_PERIODS, tables.Index("periods_by_plan", tables.Key("plan", "S"))),
        # An index on an attribute nothing writes is not modelled, and says so.
        _with_index(tables.CORRECTIONS, tables.Index("corrections_by_tag", tables.Key("tag", "S"))),
        # Messages keyed by their number alone: every session overwrites the others' transcripts.
        dataclasses.replace(tables.SESSION_MESSAGES, partition_key=tables.Key("seq", "N"), sort_key=None),
    ))


@pytest.mark.parametrize("expected", [
    "sessions/sessions_by_status: many learners write the same `status` values",
    "usage_periods/periods_by_plan: many learners write the same `plan` values",
    "corrections/corrections_by_tag: the model writes nothing there",
    "session_messages: 4 sessions created items under the key ('0',)",
])
def test_a_key_that_concentrates_writes_fails(expected):
    found = _bad_keys()
    assert any(expected in problem for problem in found), found


def test_a_table_keyed_against_the_code_fails():
    """One session per learner (sessions keyed on userId): the stores' requests no longer fit."""
    found = _violations(1, dataclasses.replace(tables.SESSIONS, partition_key=tables.Key("userId", "S")))
    assert any(problem.startswith("sessions: DynamoDB refused") for problem in found), found


@pytest.mark.parametrize("setting", [
    # The health rollups' month partition as it was: 7 WCU per session on one partition.
    "ROLLUP_SHARDS",
    # The common mistakes' month and pair partitions as they were: a session end's batch adds to 4
    # cells and rewrites their full top maps on the one month partition (7,333 WCU/s; 15 shards: 489).
    "MISTAKES_SHARDS",
])
def test_a_shared_partition_unsharded_fails(monkeypatch, setting):
    """One family unsharded (its setting 1) is over the limit at the peak; the model run through
    the real code says so."""
    from speakpho import deps
    from speakpho.config import reset_settings

    monkeypatch.setenv(setting, "1")
    reset_settings(), deps.reset()
    try:
        found = _violations(2, *tables.TABLES)
    finally:
        monkeypatch.delenv(setting)
        reset_settings(), deps.reset()
    assert any(p.startswith("session_rollups:") and "WCU/s on one partition" in p for p in found), found

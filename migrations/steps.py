"""An index step: what one deploy puts in place while a migration runs (docs/migrations.md).

Per table, the names of the global secondary indexes deployed (final ones of TableSpec.indexes
and retired ones of TableSpec.retired), and the retired indexes readers still query, each instead
of the index that replaces it. `python -m migrations plan --step FILE --write` writes the next one;
`npx cdk deploy -c indexStep=FILE` deploys it (infra/constructs/tables.py). No step (FINAL): every
table with its final indexes and every reader on them, what a fresh stack gets.

The file, JSON:
    {"tables": {"sessions": ["sessions_by_day", "sessions_by_user", "learning_history",
                             "sessions_by_day_keys"]},
     "readRetired": ["sessions_by_day", "sessions_by_user", "learning_history"]}
A table not listed has its final indexes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from speakpho.tables import TABLES, Index, TableSpec


@dataclass(frozen=True)
class IndexStep:
    deployed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)   # table -> index names
    read_retired: tuple[str, ...] = ()

    def names(self, spec: TableSpec) -> tuple[str, ...]:
        """The names of the indexes `spec`'s table has in this step."""
        if spec.logical_name in self.deployed:
            return tuple(self.deployed[spec.logical_name])
        return tuple(index.name for index in spec.indexes)

    def indexes(self, spec: TableSpec) -> tuple[Index, ...]:
        """The indexes deployed on `spec`'s table: retired ones first (as the release before
        deployed them), then the final ones, each in the spec's order."""
        wanted = set(self.names(spec))
        return tuple(index for index in (*spec.retired, *spec.indexes) if index.name in wanted)

    def query_name(self, spec: TableSpec, index_name: str) -> str:
        """The index a reader of `index_name` queries in this step: the retired one it replaces
        while this step reads that one, else itself (speakpho.table_env.index_to_query)."""
        for retired in spec.retired:
            if retired.replaced_by == index_name and retired.name in self.read_retired:
                return retired.name
        return index_name

    def granted(self, spec: TableSpec, index_name: str) -> tuple[str, ...]:
        """What a reader of `index_name` may query in this step: each of it and the retired index it
        replaces that this step deploys. Both while both are there, so a container still running
        with the previous step's variable is not refused during the deploy that switches it."""
        pair = [index_name] + [r.name for r in spec.retired if r.replaced_by == index_name]
        deployed = set(self.names(spec))
        return tuple(name for name in pair if name in deployed)

    def reads_variable(self, specs: Iterable[TableSpec]) -> str:
        """READ_RETIRED_INDEXES (speakpho.table_env) for a function using `specs`' tables."""
        retired = {index.name for spec in specs for index in spec.retired}
        return ",".join(name for name in self.read_retired if name in retired)

    def to_json(self) -> str:
        body = {"tables": {table: list(names) for table, names in sorted(self.deployed.items())},
                "readRetired": list(self.read_retired)}
        return json.dumps(body, indent=2) + "\n"


FINAL = IndexStep()


def from_json(text: str) -> IndexStep:
    body = json.loads(text)
    if not isinstance(body, dict) or set(body) - {"tables", "readRetired"}:
        raise ValueError('an index step is {"tables": {table: [index, ...]}, "readRetired": [index, ...]}')
    tables = body.get("tables") or {}
    return IndexStep(deployed={table: tuple(names) for table, names in tables.items()},
                     read_retired=tuple(body.get("readRetired") or ()))


def load(path: str | Path) -> IndexStep:
    """The step in `path`, checked against speakpho.tables (ValueError naming every problem)."""
    step = from_json(Path(path).read_text(encoding="utf-8"))
    problems = check(step)
    if problems:
        raise ValueError(f"index step {path}: " + "; ".join(problems))
    return step


def check(step: IndexStep, specs: Iterable[TableSpec] = TABLES) -> list[str]:
    """What makes `step` undeployable: unknown tables or indexes, a retired index read but not
    deployed, a final index neither deployed nor stood in for by the retired one readers query."""
    specs = {spec.logical_name: spec for spec in specs}
    problems = [f"no table {table!r}" for table in step.deployed if table not in specs]
    retired_names = {index.name for spec in specs.values() for index in spec.retired}
    problems += [f"{name!r} is not a retired index" for name in step.read_retired if name not in retired_names]
    for spec in specs.values():
        names = step.names(spec)
        known = {index.name for index in (*spec.indexes, *spec.retired)}
        problems += [f"{spec.logical_name} has no index {name!r}" for name in names if name not in known]
        if len(set(names)) != len(names):
            problems.append(f"{spec.logical_name} lists an index twice")
        for retired in spec.retired:
            if retired.name in step.read_retired and retired.name not in names:
                problems.append(f"readers query {retired.name!r}, which {spec.logical_name} does not deploy")
        for index in spec.indexes:
            if step.query_name(spec, index.name) not in names:
                problems.append(f"readers of {index.name!r} would find no index on {spec.logical_name}")
    return problems


def gsi_changes(before: IndexStep, after: IndexStep, spec: TableSpec) -> tuple[set[str], set[str]]:
    """(added, dropped) index names of `spec`'s table from one step to the next."""
    old, new = set(before.names(spec)), set(after.names(spec))
    return new - old, old - new

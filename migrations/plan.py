"""The step planner: from the live tables (DescribeTable, as plain data) and the specs
(TableSpec.indexes, the final ones, and TableSpec.retired), the next step of each table.

Pure: no AWS call here. The order (docs/migrations.md): wait while anything is being built or
removed; add the first final index missing (one per table per deploy); backfill an attribute a
new index keys on, until none of its predecessor's entries is missing from it; switch the
readers still on a retired index; drop one index that is not final (retired first); done.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Collection, Iterable, Mapping

from migrations.steps import IndexStep
from speakpho.tables import TABLES, Index, TableSpec

ABSENT, WAIT, ADD, BACKFILL, SWITCH, DROP, DONE = "absent", "wait", "add", "backfill", "switch", "drop", "done"
DEPLOYS = frozenset({ADD, SWITCH, DROP})   # the steps a deploy carries (with AWS: `cdk deploy -c indexStep=`)


@dataclass(frozen=True)
class LiveIndex:
    status: str = "ACTIVE"        # IndexStatus: CREATING | UPDATING | DELETING | ACTIVE
    backfilling: bool = False     # DynamoDB's own backfill of a new index (Backfilling)


@dataclass(frozen=True)
class LiveTable:
    status: str = "ACTIVE"        # TableStatus
    indexes: Mapping[str, LiveIndex] = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    kind: str
    table: str
    indexes: tuple[str, ...] = ()
    why: str = ""

    def __str__(self) -> str:
        return f"{self.table}: {self.kind}" + (f" {', '.join(self.indexes)}" if self.indexes else "") + \
            (f" ({self.why})" if self.why else "")


def live_table(description: dict) -> LiveTable:
    """DescribeTable's `Table` as plain data."""
    return LiveTable(status=description.get("TableStatus", "ACTIVE"), indexes={
        gsi["IndexName"]: LiveIndex(gsi.get("IndexStatus", "ACTIVE"), bool(gsi.get("Backfilling", False)))
        for gsi in description.get("GlobalSecondaryIndexes", [])})


# --------------------------------------------------------------------------- shapes
def predecessor(spec: TableSpec, index_name: str) -> Index | None:
    """The retired index `index_name` replaces, if any."""
    return next((r for r in spec.retired if r.replaced_by == index_name), None)


def previous_indexes(spec: TableSpec) -> tuple[Index, ...]:
    """The indexes the release before this one deployed: each replacement's predecessor in its place."""
    return tuple(predecessor(spec, index.name) or index for index in spec.indexes) + \
        tuple(r for r in spec.retired if not r.replaced_by)


def previous_spec(spec: TableSpec) -> TableSpec:
    """`spec` as the release before this one defined it (a table in the old shape, for tests)."""
    return replace(spec, indexes=previous_indexes(spec), retired=())


def needs_attribute_backfill(spec: TableSpec, index: Index) -> bool:
    """A replacement keyed on an attribute its predecessor is not keyed on: rows written by the
    release before may lack it, and DynamoDB's own backfill leaves such rows out of the index
    (docs/migrations.md, "Backfill"). Same keys: DynamoDB's backfill is the whole backfill."""
    old = predecessor(spec, index.name)
    if old is None:
        return False
    old_keys = {key.name for key in (old.partition_key, old.sort_key) if key}
    return any(key.name not in old_keys for key in (index.partition_key, index.sort_key) if key)


# --------------------------------------------------------------------------- the planner
def plan_table(spec: TableSpec, live: LiveTable | None, *, reading: Collection[str] = (),
               pending: Mapping[str, int | None] = {}) -> Action:   # noqa: B006 - read only
    """The next step of one table. `reading`: the retired indexes readers query now (the step in
    effect); `pending`: per index needing an attribute backfill, the rows of its predecessor it
    lacks (None: not measured, so not known to be complete)."""
    table = spec.logical_name
    if live is None:
        return Action(ABSENT, table, why="created with its final indexes")
    busy = tuple(name for name, index in live.indexes.items() if index.status != "ACTIVE" or index.backfilling)
    if live.status != "ACTIVE" or busy:
        return Action(WAIT, table, busy, why=f"table {live.status}" if not busy else "not ACTIVE yet, or backfilling")
    for index in spec.indexes:
        if index.name not in live.indexes:
            return Action(ADD, table, (index.name,))
    for index in spec.indexes:
        old = predecessor(spec, index.name)
        if old and old.name in live.indexes and needs_attribute_backfill(spec, index) \
                and pending.get(index.name) != 0:
            missing = pending.get(index.name)
            return Action(BACKFILL, table, (index.name,),
                          why=f"{'an unknown number of' if missing is None else missing} entries of {old.name} "
                              "missing from it")
    still_read = tuple(r.name for r in spec.retired if r.name in reading)
    if still_read:
        return Action(SWITCH, table, still_read, why="readers move to the indexes that replace them")
    final = {index.name for index in spec.indexes}
    retired = [r.name for r in spec.retired if r.name in live.indexes]
    extra = retired + sorted(name for name in live.indexes if name not in final and name not in retired)
    if extra:
        return Action(DROP, table, (extra[0],))
    return Action(DONE, table)


def plan(lives: Mapping[str, LiveTable | None], *, reading: Collection[str] = (),
         pending: Mapping[str, int | None] = {}, specs: Iterable[TableSpec] = TABLES) -> list[Action]:  # noqa: B006
    """The next step of every table (`lives` by logical table name; a missing one is absent)."""
    return [plan_table(spec, lives.get(spec.logical_name), reading=reading, pending=pending) for spec in specs]


# --------------------------------------------------------------------------- checks
def drift(step: IndexStep, lives: Mapping[str, LiveTable | None],
          specs: Iterable[TableSpec] = TABLES) -> list[str]:
    """Tables whose live indexes are not the step's (a deploy not done, or done by hand)."""
    found = []
    for spec in specs:
        live = lives.get(spec.logical_name)
        names = {name for name, index in live.indexes.items() if index.status != "DELETING"} if live else set()
        if live is not None and names != set(step.names(spec)):
            found.append(f"{spec.logical_name}: live {sorted(names)}, the step deploys {sorted(step.names(spec))}")
    return found


def unsafe(step: IndexStep, lives: Mapping[str, LiveTable | None],
           pending: Mapping[str, int | None], specs: Iterable[TableSpec] = TABLES) -> list[str]:
    """What is unsafe in the step in effect: readers querying an index that is missing, not
    ACTIVE or still backfilling; readers on a new index whose attribute backfill is incomplete."""
    problems = []
    for spec in specs:
        live = lives.get(spec.logical_name)
        if live is None:
            continue
        for index in spec.indexes:
            queried = step.query_name(spec, index.name)
            state = live.indexes.get(queried)
            if state is None or state.status != "ACTIVE" or state.backfilling:
                problems.append(f"{spec.logical_name}: readers query {queried}, which is "
                                + ("missing" if state is None else f"{state.status}"
                                   + (" and backfilling" if state.backfilling else "")))
            elif queried == index.name and pending.get(index.name):
                problems.append(f"{spec.logical_name}: readers query {queried}, which lacks "
                                f"{pending[index.name]} rows: run the backfill")
    return problems


# --------------------------------------------------------------------------- steps (deploys)
def step_in_effect(lives: Mapping[str, LiveTable | None], specs: Iterable[TableSpec] = TABLES) -> IndexStep:
    """The step a stack is in, from its live tables alone (no step file yet: the first run of a
    migration): what is deployed, and readers on every retired index still there (the release
    before knew no other). Once a step is written, its file is the record of the readers."""
    deployed, reading = {}, []
    for spec in specs:
        live = lives.get(spec.logical_name)
        if live is None:
            continue
        deployed[spec.logical_name] = tuple(live.indexes)
        reading += [r.name for r in spec.retired if r.name in live.indexes]
    return IndexStep(deployed=deployed, read_retired=tuple(reading))


def advance(step: IndexStep, actions: Iterable[Action], specs: Iterable[TableSpec] = TABLES) -> IndexStep:
    """The step the next deploy puts in place: `step` with each table's add, drop or switch."""
    by_name = {spec.logical_name: spec for spec in specs}
    deployed = dict(step.deployed)
    reading = list(step.read_retired)
    for action in actions:
        spec = by_name[action.table]
        names = list(step.names(spec))
        if action.kind == ADD:
            deployed[action.table] = tuple(names + [n for n in action.indexes if n not in names])
        elif action.kind == DROP:
            deployed[action.table] = tuple(n for n in names if n not in action.indexes)
        elif action.kind == SWITCH:
            reading = [n for n in reading if n not in action.indexes]
    final = {spec.logical_name: tuple(index.name for index in spec.indexes) for spec in by_name.values()}
    deployed = {table: names for table, names in deployed.items()
                if set(names) != set(final.get(table, ())) or len(names) != len(final.get(table, ()))}
    return IndexStep(deployed=deployed, read_retired=tuple(reading))


def release_steps(specs: Iterable[TableSpec] = TABLES, limit: int = 50) -> list[tuple[list[Action], IndexStep]]:
    """The whole migration of this release from the previous shape, as the planner runs it when
    every index builds at once and every backfill completes: each entry is the actions of one
    round and the step deployed after it (a round of backfills alone deploys nothing new)."""
    specs = tuple(specs)
    lives = {spec.logical_name: LiveTable(indexes={i.name: LiveIndex() for i in previous_indexes(spec)})
             for spec in specs}
    step = step_in_effect(lives, specs)
    pending: dict[str, int | None] = {}
    rounds = []
    for _ in range(limit):
        actions = [a for a in plan(lives, reading=step.read_retired, pending=pending, specs=specs)
                   if a.kind not in (DONE, ABSENT)]
        if not actions:
            return rounds
        step = advance(step, actions, specs)
        pending.update({a.indexes[0]: 0 for a in actions if a.kind == BACKFILL})
        lives = {spec.logical_name: LiveTable(indexes={name: LiveIndex() for name in step.names(spec)})
                 for spec in specs}
        rounds.append((actions, step))
    raise RuntimeError(f"the migration did not finish in {limit} rounds")

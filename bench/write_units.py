"""`make bench`'s WRITE UNITS table (issue 22 §2): per call of a realistic session, the write
units on each table and on each index it writes, their total, and the DynamoDB requests, so
that a change of projection or of item shape shows; and the write budgets the design promises.

The figures are the engine's ConsumedCapacity (ReturnConsumedCapacity=INDEXES, per table and
index: local.ddb_meter.RequestMeter) when bench/capacity_rules.py finds that the engine bills
as DynamoDB documents it; otherwise the documented rules' own figures (bench/partition_sim.py
on the same writes' images), and the header says which. Every row is cross-checked against
the documented rules: the two must write the same tables and indexes (else the bench fails);
where only their units differ, the row shows the rules' figure ("sim:"), since partition_sim
sizes items with speakpho/item_size.py's approximation. bench/write_units_scenario.py runs the
calls.

Budgets (`check`), each on every row of its kind:
  heartbeat           exactly 1 write unit in all: the period row, no index entry written
  heartbeat_crossing  exactly 3: the period row 1, plus the sweeper's index entry moved to the
                      next sweep bucket (a delete and a put, 1 each); at least one such row
  events              no index write at all, one item written (the call's batch in
                      session_events: the session item is not written, whatever its story
                      holds), and its units on the table = the batch's weight: ceil(size / 1 KB),
                      what DynamoDB charges one plain PutItem of it (so no transaction, which
                      would double it): what the call's new events weigh
  read                0 write units

The stream consumers' rows ("rollups <- call", "mistakes (n records) <- call") are their
invocations on the changes that call made, as the streams deliver them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

BUDGETS = {
    "heartbeat": "an ordinary heartbeat: 1 WU in all (the period row; no index entry)",
    "heartbeat_crossing": "a heartbeat into the next sweep bucket: 3 WU (period row 1 + index entry moved 2)",
    "events": "an events call: 0 WU on every index, one item written (its batch; not the session), its table "
              "units = one plain write of it, ceil(size / 1 KB): what its new events weigh",
    "read": "a read: 0 WU",
}
REQUIRED = ("heartbeat", "heartbeat_crossing", "events")   # kinds the scenario must have measured


@dataclass
class Row:
    """One call's write units: `units` the reported figures, `documented` the documented rules'
    (by target: "sessions" or "sessions/<index>"), `items` the tables of the items written,
    `weight` (events) the one item's write in units (the batch's)."""
    call: str
    requests: int
    units: dict[str, float] = field(default_factory=dict)
    documented: dict[str, float] = field(default_factory=dict)
    kind: str = ""
    items: list[str] = field(default_factory=list)
    weight: int | None = None
    note: str = ""

    @property
    def table(self) -> float:
        return sum(v for k, v in self.units.items() if "/" not in k)

    @property
    def index(self) -> float:
        return sum(v for k, v in self.units.items() if "/" in k)

    @property
    def total(self) -> float:
        return self.table + self.index

    def where(self) -> str:
        return ", ".join(f"{k} {_n(v)}" for k, v in sorted(self.units.items(), key=_table_first) if v) or "-"

    def disagreement(self) -> str:
        """The documented rules' figure where it differs from the reported one ("" if nowhere)."""
        targets = sorted(set(self.units) | set(self.documented), key=_table_first)
        return ", ".join(f"{t} {_n(self.documented.get(t, 0))}" for t in targets
                         if abs(self.units.get(t, 0) - self.documented.get(t, 0)) > 1e-9)

    def written_elsewhere(self) -> list[str]:
        """The tables and indexes one of the two writes and the other does not."""
        def written(units: dict) -> set:
            return {t for t, v in units.items() if v}
        return sorted(written(self.units) ^ written(self.documented), key=_table_first)

    def as_json(self) -> dict:
        return {"call": self.call, "requests": self.requests, "kind": self.kind, "table": self.table,
                "index": self.index, "total": self.total, "units": dict(self.units),
                "documented": dict(self.documented), "items": list(self.items), "weight": self.weight,
                "note": self.note}


def _n(value: float) -> str:
    return f"{value:g}"


def _table_first(item) -> tuple:
    target = item[0] if isinstance(item, tuple) else item
    table, _, index = target.partition("/")
    return table, index


def broken(row: Row) -> list[str]:
    """What of its kind's budget `row` breaks."""
    over = []
    if row.kind == "heartbeat" and row.total != 1:
        over.append(f"{_n(row.total)} WU, budget exactly 1 ({row.where()})")
    elif row.kind == "heartbeat_crossing" and row.total != 3:
        over.append(f"{_n(row.total)} WU, budget exactly 3 ({row.where()})")
    elif row.kind == "events":
        if row.index:
            over.append(f"{_n(row.index)} WU on indexes, budget 0 ({row.where()})")
        if row.items != ["session_events"]:
            over.append(f"items written in {sorted(row.items)}, budget the call's batch alone")
        if row.weight is None or row.table != row.weight:
            over.append(f"{_n(row.table)} WU on the table, budget the batch's weight {row.weight}")
    elif row.kind == "read" and row.total:
        over.append(f"{_n(row.total)} WU, budget 0 ({row.where()})")
    return over


def check(rows: list[Row]) -> list[str]:
    """Every budget broken, every disagreement between the reported figures and the documented
    rules, and every budgeted kind the scenario did not measure."""
    failures = [f"write units, {r.call}: {o}" for r in rows for o in broken(r)]
    failures += [f"write units, {r.call}: the engine and the documented rules do not write the same "
                 f"tables and indexes: {', '.join(d)}" for r in rows if (d := r.written_elsewhere())]
    measured = {r.kind for r in rows}
    failures += [f"write units: no call measured for the budget \"{BUDGETS[k]}\"" for k in REQUIRED
                 if k not in measured]
    return failures


def header(source: str, deviations: list[str]) -> list[str]:
    if source == "engine":
        lines = ["WRITE UNITS per call: the engine's ConsumedCapacity (ReturnConsumedCapacity=INDEXES), which",
                 "  bench/capacity_rules.py finds billed as DynamoDB documents (index writes, projections, "
                 "item sizes);",
                 "  cross-checked against bench/partition_sim.py's documented rules (\"sim:\" where its figure "
                 "differs)"]
    else:
        lines = ["WRITE UNITS per call: bench/partition_sim.py's DOCUMENTED-RULE figures, NOT the engine's:",
                 "  the engine's ConsumedCapacity departs from DynamoDB's documented rules (bench/capacity_rules.py):"]
        lines += [f"    {d}" for d in deviations]
    return lines


def render(rows: list[Row], source: str = "engine", deviations: list[str] = ()) -> str:
    """The table as `make bench` prints it, with each budgeted row's verdict."""
    lines, width = header(source, list(deviations)), max([40] + [len(r.call) for r in rows])
    lines.append(f"  {'call':<{width}} {'req':>3} {'table':>6} {'index':>6} {'total':>6}  "
                 "where (WU by table and index)")
    for r in rows:
        verdict = ""
        if r.kind in BUDGETS:
            verdict = "  OVER BUDGET" if broken(r) else "  ok (budget)"
        if r.written_elsewhere():
            verdict += "  NOT WHERE THE DOCUMENTED RULES WRITE"
        note = "".join(f"  [{n}]" for n in (r.note, r.disagreement() and f"sim: {r.disagreement()}") if n)
        lines.append(f"  {r.call:<{width}} {r.requests:>3} {_n(r.table):>6} {_n(r.index):>6} {_n(r.total):>6}  "
                     f"{r.where()}{verdict}{note}")
    lines.append("  budgets: " + "; ".join(BUDGETS.values()))
    return "\n".join(lines)

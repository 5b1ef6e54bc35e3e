"""The calls of `make bench`'s WRITE UNITS table (bench/write_units.py), on dynoxide, through the
local API Gateway, each measured twice: the engine's ConsumedCapacity per table and index
(bench/meter.py), and the documented rules on the images of the items it wrote
(local.ddb_meter.WriteLog read through a client of its own, costed by bench/partition_sim.py).

A Gemini voice session: start, a heartbeat every HEARTBEAT_INTERVAL_SECONDS across two sweep
buckets and past its token's renewal (each heartbeat told apart by what it did: renewed the
token, moved the sweeper's index entry, or neither), events calls of 1 and 5, an access, a
switch to OpenAI, the end with 40 messages and 5 corrections, a keyed review and a history
read. An OpenAI voice start and its connect; a text start whose story is filled to 60 entries,
then an events call of 1. The stream consumers take each measured call's changes as the
streams would deliver them: the rollups one record an invocation, the mistakes a call's
corrections together.
"""
from __future__ import annotations

import os
import uuid
from collections import Counter

from bench import capacity_rules
from bench.write_units import Row, check, render

ROWS: list[Row] = []                 # the last run's rows (bench/run.py writes them to its JSON)
MESSAGES, CORRECTIONS = 40, 5
STORY_BEFORE = 60                    # the story's entries before the last events call


class EngineImages:
    """Items as the engine holds them, read by a client of its own (no meter counts it):
    local.ddb_meter.WriteLog's images."""

    def __init__(self, client) -> None:
        self.client, self.keys = client, {}

    def key_names(self, table: str) -> tuple[str, ...]:
        if table not in self.keys:
            schema = self.client.describe_table(TableName=table)["Table"]["KeySchema"]
            self.keys[table] = tuple(k["AttributeName"] for k in sorted(schema, key=lambda k: k["KeyType"]))
        return self.keys[table]

    def get(self, table: str, key: dict) -> dict | None:
        return self.client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


class Measured:
    """One call: the engine's reading, the items written (ItemWrite), the documented units."""

    def __init__(self, reading, items, documented: Counter) -> None:
        self.reading, self.items, self.documented = reading, items, documented
        self.requests = reading.requests


class WriteMeter:
    """Caller's meter (bench/run.py Caller): measure(fn) -> (result, Measured)."""

    def __init__(self, meter, client, own_client, settings, weigher=None) -> None:
        from bench.partition_sim import Sim
        from local.ddb_meter import WriteLog

        self.meter, self.settings, self.weigher = meter, settings, weigher
        self.sim = Sim()
        self.sim.by_table = {settings.table(s.logical_name): s for s in self.sim.specs}
        self.logical = {name: spec.logical_name for name, spec in self.sim.by_table.items()}
        self.items: list = []
        self.log = WriteLog(client, EngineImages(own_client), self._written)

    def _written(self, write) -> None:
        self.items.append(write)
        self.sim.record(write)

    def measure(self, fn):
        self.items, first = [], len(self.sim.writes)
        self.sim.stream.clear()
        with self.log:
            result, reading = self.meter.measure(fn)
        documented = Counter()
        for w in self.sim.writes[first:]:
            documented[w.target] += w.units
        return result, Measured(reading, list(self.items), documented)

    def target(self, table: str, index: str | None) -> str:
        name = self.logical.get(table, table)
        return f"{name}/{index}" if index else name

    def row(self, call: str, m: Measured, kind: str = "", note: str = "") -> Row:
        engine = Counter()
        for (table, index), n in m.reading.write_units.items():
            engine[self.target(table, index)] += n
        written = [self.logical.get(w.table, w.table) for w in m.items]
        weight = None
        if len(m.items) == 1:   # one plain write of the item, weighed by the engine (else by the rules)
            w = m.items[0]
            weight = (self.weigher.units(w.key, w.before, w.after) if self.weigher else
                      m.documented.get(written[0], 0) // (2 if w.transactional else 1))
        return Row(call, m.requests, dict(engine), dict(m.documented), kind, written, weight, note)

    def moved(self, m: Measured) -> list[str]:
        """The index entries the call's writes moved, put or deleted (a key attribute changed)."""
        from bench.partition_sim import key_names

        out = []
        for w in m.items:
            spec = self.sim.by_table[w.table]
            for index in spec.indexes:
                names = key_names(index.partition_key, index.sort_key)
                keys = [tuple((image or {}).get(n) for n in names) for image in (w.before, w.after)]
                if keys[0] != keys[1]:
                    out.append(f"{spec.logical_name}/{index.name}")
        return out


def _events(n: int, at: int) -> list[dict]:
    return [{"eventId": str(uuid.uuid4()), "type": ("provider_connected", "reconnect_attempt")[i % 2],
             "at": at + i, "provider": "gemini"} for i in range(n)]


class Scenario:
    """The calls, in order; `rows` the table's rows, `checked` the other heartbeats (their
    budgets are checked, they are not printed)."""

    def __init__(self, wm: WriteMeter, gateway, clock, settings, Caller, fail) -> None:
        self.wm, self.gateway, self.clock, self.settings = wm, gateway, clock, settings
        self.Caller, self.fail = Caller, fail
        self.rows: list[Row] = []
        self.stream_rows: list[Row] = []
        self.checked: list[Row] = []

    def learner(self, name: str):
        return self.Caller(self.gateway, self.wm, f"bench-wu-{name}")

    def call(self, who, label: str | None, method: str, path: str, body=None, kind: str = "", route: str = "",
             **kw):
        """One call; a row when `label` names it (`route` the path shown); its changes through the
        stream consumers."""
        data, m = who.call(method, path, body, **kw)
        name = label and f"{method} {(route or path).removeprefix('/api')} {label}"
        if name:
            self.rows.append(self.wm.row(name, m, kind))
        self.consume(m, name)
        return data, m

    def consume(self, m: Measured, name: str | None) -> None:
        """The call's changes through the stream consumers (a row each when `name` names the call):
        the rollups one record an invocation (the first's figures shown), the mistakes all together."""
        from infra.catalog import MISTAKES, ROLLUPS

        changes = {"sessions": [], "corrections": []}
        for w in m.items:
            table = self.wm.logical.get(w.table)
            if table in changes:
                images = {**({"NewImage": w.after} if w.after else {}), **({"OldImage": w.before} if w.before else {})}
                change = {"Keys": w.key, "SequenceNumber": str(len(changes[table]) + 1),
                          "StreamViewType": "NEW_AND_OLD_IMAGES", **images}
                event = "INSERT" if w.before is None else "REMOVE" if w.after is None else "MODIFY"
                changes[table].append({"eventID": str(uuid.uuid4()), "eventName": event,
                                      "eventSource": "aws:dynamodb", "dynamodb": change})
        for record in changes["sessions"]:
            _, r = self.wm.measure(lambda: self.gateway.invoke(ROLLUPS.handler, {"Records": [record]}, "rollups"))
            if name and not any(row.call == f"rollups <- {name}" for row in self.stream_rows):
                self.stream_rows.append(self.wm.row(f"rollups <- {name}", r))
        records = changes["corrections"]
        if records:
            _, r = self.wm.measure(lambda: self.gateway.invoke(MISTAKES.handler, {"Records": records}, "mistakes"))
            if name:
                self.stream_rows.append(self.wm.row(f"mistakes ({len(records)} records) <- {name}", r))

    def heartbeats(self, who, sid: str, t0: int) -> None:
        """Every interval until the token was renewed and two sweep buckets have passed; the
        first of each kind is a row, every other one is checked too."""
        interval, bucket = self.settings.heartbeat_interval_seconds, self.settings.sweep_bucket_seconds
        labels = {"": "(renews the Gemini token)", "heartbeat": "(ordinary)",
                  "heartbeat_crossing": "(into the next sweep bucket)"}
        seen, step, moved_entry = Counter(), 0, 0
        while step < 40 and not (seen[""] and step * interval >= 2 * bucket):
            step += 1
            self.clock.advance(interval)
            answer, m = who.call("POST", "/api/session/heartbeat", {"sessionId": sid})
            moved = self.wm.moved(m)
            moved_entry += bool(moved)
            kind = "" if "providerAccess" in (answer or {}) else "heartbeat_crossing" if moved else "heartbeat"
            row = self.wm.row(f"POST /session/heartbeat {labels[kind]}", m, kind, note=" ".join(moved))
            (self.checked if seen[kind] else self.rows).append(row)
            self.consume(m, None if seen[kind] else row.call)
            seen[kind] += 1
            if step <= 2:
                n = (1, 5)[step - 1]
                self.call(who, f"({n} new)", "POST", "/api/session/events",
                          {"sessionId": sid, "events": _events(n, t0 + step)}, kind="events")
        span, most = step * interval, -(-step * interval // bucket)
        print(f"  ({step} heartbeats over {span} s, one every {interval} s: {seen['heartbeat']} ordinary, "
              f"{seen['heartbeat_crossing']} into the next sweep bucket ({bucket} s), {seen['']} renewing the token; "
              f"{moved_entry} moved an index entry)")
        if moved_entry > most:
            self.fail(f"write units: {moved_entry} of {step} heartbeats over {span} s moved an index entry; at most "
                      f"{most}, one per sweep bucket of {bucket} s")

    def gemini(self) -> None:
        who, clock = self.learner("gemini"), self.clock
        started, _ = self.call(who, "(voice, Gemini)", "POST", "/api/session/start",
                               {"topic": "food", "provider": "gemini"})
        sid = started["sessionId"]
        self.heartbeats(who, sid, clock.now_ms())
        self.call(who, "(a Gemini reconnect)", "POST", "/api/session/access", {"sessionId": sid})
        self.call(who, "(Gemini -> OpenAI)", "POST", "/api/session/switch-provider",
                  {"sessionId": sid, "provider": "openai", "disconnectCode": 1006})
        clock.advance(self.settings.heartbeat_interval_seconds)
        messages = [{"role": "user" if i % 2 else "coach", "text": f"Câu số {i}: Tôi muốn ăn phở",
                     "timestamp": i} for i in range(MESSAGES)]
        corrections = [{"original": f"sai {i}", "correction": f"đúng {i}", "category": "grammar"}
                       for i in range(CORRECTIONS)]
        self.call(who, f"({MESSAGES} messages, {CORRECTIONS} corrections)", "POST", "/api/session/end",
                  {"sessionId": sid, "disconnectCode": 1000, "messages": messages, "corrections": corrections})
        listed, _ = who.call("GET", "/api/learning/corrections", query=f"limit={CORRECTIONS}")
        first = listed["corrections"][0]["id"]
        self.call(who, "(first review, keyed)", "PATCH", f"/api/learning/corrections/{first}",
                  {"confidenceLevel": 4}, route="/api/learning/corrections/{id}",
                  headers={"Idempotency-Key": "bench-wu-review"})
        self.call(who, "(page 1, 1 session)", "GET", "/api/learning/history", kind="read", query="limit=10")

    def openai(self) -> None:
        from bench.provider_bench import Browser, _connect

        who = self.learner("openai")
        started, _ = self.call(who, "(voice, OpenAI)", "POST", "/api/session/start",
                               {"topic": "travel", "provider": "openai"})
        browser = Browser()
        try:
            _, m = _connect(who, browser, started["sessionId"])
            self.rows.append(self.wm.row("POST /session/connect (a WebRTC offer)", m))
            self.consume(m, self.rows[-1].call)
            self.clock.advance(self.settings.heartbeat_interval_seconds)
            self.call(who, None, "POST", "/api/session/end", {"sessionId": started["sessionId"]})
        finally:
            browser.close()

    def text(self) -> None:
        """A text session holding STORY_BEFORE client events, then an events call of 1: it costs
        what the first call of 1 did (its batch), not the story's length."""
        who = self.learner("text")
        started, _ = self.call(who, "(text)", "POST", "/api/session/start", {"topic": "story", "channel": "text"})
        sid, t0 = started["sessionId"], self.clock.now_ms()
        self.clock.advance(self.settings.heartbeat_interval_seconds)
        held = 0
        while held < STORY_BEFORE:
            n = min(50, STORY_BEFORE - held)
            answer, _ = self.call(who, None, "POST", "/api/session/events", {"sessionId": sid, "events": _events(n, t0)})
            held, t0 = answer["eventCount"], t0 + n
        self.call(who, f"(1 new; the session holds {held} events)", "POST", "/api/session/events",
                  {"sessionId": sid, "events": _events(1, t0)}, kind="events")
        self.call(who, None, "POST", "/api/session/end", {"sessionId": sid})


def run(*, gateway, meter, clock, client, record, Caller, fail) -> None:
    """`make bench`'s WRITE UNITS table and its budgets (bench/write_units.py)."""
    import boto3

    from speakpho.config import get_settings

    settings = get_settings()
    own = boto3.client("dynamodb", endpoint_url=os.environ["DYNAMODB_ENDPOINT"],
                       region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    deviations = capacity_rules.probe(own)
    source = "engine" if not deviations else "documented"
    weigher = capacity_rules.Weigher(own) if source == "engine" else None
    scenario = Scenario(WriteMeter(meter, client, own, settings, weigher), gateway, clock, settings, Caller, fail)
    print("\nwrite units per call (the table follows)")
    for part in (scenario.gemini, scenario.openai, scenario.text):
        try:
            part()
        except Exception as exc:   # a call refused: the rows so far, and the failure
            fail(f"write units: {part.__name__} session stopped: {exc}")
    rows = scenario.rows + scenario.stream_rows
    if source == "documented":
        for row in rows + scenario.checked:
            row.units = dict(row.documented)
    ROWS[:] = rows
    print(render(rows, source, deviations))
    for failure in check(rows + scenario.checked):
        fail(failure)

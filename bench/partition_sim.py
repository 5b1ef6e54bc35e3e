"""The writes of simulated learners' sessions, per table/index partition, from the real code.

The domain code runs as deployed (speakpho.metering start/heartbeat/switch/end,
learning.review.review_correction, admin.health.apply_session_change for the stream) on
stand-in stores that apply each write to an in-memory image of the item. Keys come from the
table specs and key builders of speakpho.tables; every write is then costed on the table and
on each index whose key attributes the item carries, as DynamoDB does: write units by item
size (1 KB), x2 in a transaction, the larger of the images before and after an update; on
an index, a put, an in-place update (when a projected attribute changed) or, when the index
key changed, a delete plus a put.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field

from infra.catalog import ensure_import_paths

ensure_import_paths()
from speakpho import tables as T  # noqa: E402


def value_size(value) -> int:
    """DynamoDB's item-size rules, closely enough for write units."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode())
    if isinstance(value, (int, float)):
        return len(str(value).lstrip("-").replace(".", "")) // 2 + 2
    if isinstance(value, dict):
        return 3 + sum(len(str(k).encode()) + value_size(v) + 1 for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return 3 + sum(value_size(v) + 1 for v in value)
    return len(str(value))


def item_size(item: dict, names=None) -> int:
    if names is not None:
        return sum(len(k.encode()) + value_size(item[k]) for k in names if k in item)
    return sum(len(k.encode()) + value_size(v) for k, v in item.items())


def units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def key_names(pk: T.Key, sk: T.Key | None) -> tuple[str, ...]:
    return (pk.name, sk.name) if sk else (pk.name,)


def has_keys(item: dict | None, names: tuple[str, ...]) -> bool:
    return bool(item) and all(item.get(n) is not None for n in names)


@dataclass
class Write:
    target: str            # "table" or "table/index"
    partition: str
    units: int
    second: int            # when, in seconds of simulated time
    learner: str


@dataclass
class Sim:
    """Applies writes to item images and records what each costs where."""
    specs: tuple = T.TABLES
    writes: list = field(default_factory=list)
    images: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)
    creators: dict = field(default_factory=lambda: defaultdict(set))   # (table, key) -> sessions that put it
    stream: list = field(default_factory=list)
    second: int = 0
    learner: str = ""
    session: str = ""

    def spec(self, logical: str) -> T.TableSpec:
        if not hasattr(self, "_by_name"):
            self._by_name = {s.logical_name: s for s in self.specs}
        return self._by_name[logical]

    def key_of(self, spec: T.TableSpec, item: dict) -> tuple:
        return tuple(str(item.get(n)) for n in key_names(spec.partition_key, spec.sort_key))

    def put(self, logical: str, item: dict, tx: bool = False) -> None:
        spec = self.spec(logical)
        key = self.key_of(spec, item)
        self.creators[(logical, key)].add(self.session)
        self._apply(spec, key, dict(item), tx, item_size(item))

    def update(self, logical: str, key_item: dict, sets: dict | None = None, add: dict | None = None,
               remove: tuple = (), tx: bool = False) -> dict:
        spec = self.spec(logical)
        key = self.key_of(spec, key_item)
        before = self.images.get((logical, key))
        after = {**(before or key_item), **(sets or {})}
        for name, amount in (add or {}).items():
            after[name] = (after.get(name) or 0) + amount
        for name in remove:
            after.pop(name, None)
        if before is None:
            size = item_size(after)
        else:   # only the attributes this update touched change the size
            touched = set(sets or ()) | set(add or ()) | set(remove)
            size = self.sizes[(logical, key)] - item_size(before, touched) + item_size(after, touched)
        self._apply(spec, key, after, tx, size)
        return after

    def _apply(self, spec: T.TableSpec, key: tuple, after: dict, tx: bool, after_size: int) -> None:
        where = (spec.logical_name, key)
        before, before_size = self.images.get(where), self.sizes.get(where, 0)
        self.images[where], self.sizes[where] = after, after_size
        self._record(spec.logical_name, str(after.get(spec.partition_key.name)),
                     units(max(before_size, after_size)) * (2 if tx else 1))
        table_keys = key_names(spec.partition_key, spec.sort_key)
        for index in spec.indexes:
            self._index_write(spec, index, table_keys, before, after, (before_size, after_size))
        if spec.stream:
            self.stream.append((before, after))

    def _index_write(self, spec, index: T.Index, table_keys, before: dict | None, after: dict, sizes) -> None:
        names = key_names(index.partition_key, index.sort_key)
        shown = None if index.projected is None else set(index.projected) | set(names) | set(table_keys)
        target = f"{spec.logical_name}/{index.name}"
        was, now = has_keys(before, names), has_keys(after, names)
        old_key = tuple(before.get(n) for n in names) if was else None
        new_key = tuple(after.get(n) for n in names) if now else None
        if was and old_key != new_key:   # the entry leaves its old place (a delete)
            self._record(target, str(old_key[0]), units(sizes[0] if shown is None else item_size(before, shown)))
        if now:
            if shown is None:
                changed = old_key != new_key or before != after
            else:
                changed = old_key != new_key or any((before or {}).get(k) != after.get(k) for k in shown)
            if changed:
                self._record(target, str(new_key[0]), units(sizes[1] if shown is None else item_size(after, shown)))

    def _record(self, target: str, partition: str, cost: int) -> None:
        self.writes.append(Write(target, partition, cost, self.second, self.learner))


# --------------------------------------------------------------------------- stand-in stores
class Metering:
    """speakpho.metering_store.MeteringStore's writes, applied to the Sim with tables' keys."""

    def __init__(self, sim: Sim, settings) -> None:
        self.sim, self.settings, self.sessions = sim, settings, {}

    def _row(self, key: dict) -> dict | None:
        return self.sim.images.get(("usage_periods", self.sim.key_of(self.sim.spec("usage_periods"), key)))

    def get_period_and_profile(self, user_id, period):
        return self._row(T.period_key(user_id, period)), self._row(T.profile_key(user_id))

    def get_session(self, session_id):
        return self.sessions.get(session_id)

    def get_period(self, user_id, period):
        return self.get_period_and_profile(user_id, period)[0]

    def commit_start(self, *, user_id, period, period_row, profile, plan, seconds_limit, seconds_used_after,
                     session, stale_session):
        now = session["startedAt"]
        self.sim.update("usage_periods", T.period_key(user_id, period), sets={
            "plan": (period_row or {}).get("plan", plan), "secondsLimit": seconds_limit,
            "secondsUsed": seconds_used_after, "activeSessionId": session["sessionId"], "activeStartedAt": now,
            "activeLastHeartbeatAt": now, "activeRemainingAtStart": session["remainingAtStart"],
            "activeShard": T.active_shard(user_id)}, add={"version": 1}, tx=True)
        self.sim.put("sessions", session, tx=True)
        self.sim.update("usage_periods", T.profile_key(user_id), sets={"sessionCount": session["historySeq"]}, tx=True)
        self.sessions[session["sessionId"]] = dict(session)

    def touch_heartbeat(self, user_id, period, session_id, now):
        return self.sim.update("usage_periods", T.period_key(user_id, period),
                               sets={"activeLastHeartbeatAt": now}, add={"version": 1})

    def switch_provider(self, *, user_id, session_id, provider, now, disconnect_code, disconnect_reason):
        sets = {"provider": provider, "providerSwitchedAt": now, "lastSwitchDisconnectCode": disconnect_code}
        session = self.sim.update("sessions", self.sessions[session_id], sets=sets,
                                  add={"switchCount": 1, "version": 1})
        self.sessions[session_id] = session
        return session, None

    def store_content(self, messages, corrections) -> int:
        for item in messages:
            self.sim.put("session_messages", item)
        for item in corrections:
            self.sim.put("corrections", item)
        return 0

    def commit_end(self, *, session, ended, content, corrections, charge_period, period_used=0, period_limit=0):
        user_id = session["userId"]
        sets = {k: v for k, v in {**ended, **content}.items() if v is not None}
        self.sessions[session["sessionId"]] = self.sim.update("sessions", session, sets=sets, add={"version": 1},
                                                              tx=True)
        if charge_period:
            self.sim.update("usage_periods", T.period_key(user_id, session["period"]),
                            add={"secondsUsed": ended["secondsUsed"], "version": 1},
                            remove=("activeSessionId", "activeStartedAt", "activeLastHeartbeatAt",
                                    "activeRemainingAtStart", "activeShard"), tx=True)
        if corrections:
            counts = {"total": len(corrections)}
            for c in corrections:
                if c.get("category"):
                    counts[f"cat_{c['category']}"] = counts.get(f"cat_{c['category']}", 0) + 1
            self.sim.update("corrections", T.stats_key(user_id), add=counts, tx=True)


class Learning:
    """learning.learning_store.LearningStore's review write, applied to the Sim."""

    def __init__(self, sim: Sim) -> None:
        self.sim = sim

    def get_correction(self, user_id, correction_id):
        spec = self.sim.spec("corrections")
        return self.sim.images.get(("corrections", self.sim.key_of(spec, {"userId": user_id,
                                                                          "correctionId": correction_id})))

    def save_review(self, *, user_id, correction_id, version, sets, removes, reviewed_delta):
        tx = bool(reviewed_delta)
        self.sim.update("corrections", {"userId": user_id, "correctionId": correction_id}, sets=sets,
                        add={"version": 1}, remove=tuple(removes), tx=tx)
        if tx:
            self.sim.update("corrections", T.stats_key(user_id), add={"reviewed": reviewed_delta}, tx=True)


class Rollups:
    """admin.health_store's ledger and cells, applied to the Sim."""

    def __init__(self, sim: Sim) -> None:
        self.sim = sim

    def get_ledger(self, session_id):
        spec = self.sim.spec("session_rollups")
        return self.sim.images.get(("session_rollups", self.sim.key_of(spec, T.rollup_ledger_key(session_id))))

    def commit_rollup(self, *, session_id, seen_version, version, target, deltas) -> bool:
        for (pk, sk), values in sorted(deltas.items()):
            self.sim.update("session_rollups", {"pk": pk, "sk": sk}, add=values, tx=True)
        ledger = {**T.rollup_ledger_key(session_id), "appliedVersion": version}
        if target is not None:
            ledger.update({"cellPk": target.pk, "cellSk": target.sk, "values": target.values})
        self.sim.put("session_rollups", ledger, tx=True)
        return True


def idempotent(sim: Sim, function: str, key: str, answer: dict, now_ms: int) -> None:
    """Powertools Idempotency's two writes: the in-progress record, then the stored answer."""
    record = {"id": f"{function}#{hashlib.md5(key.encode()).hexdigest()}", "expiration": now_ms // 1000 + 3600,
              "in_progress_expiration": now_ms + 20_000, "status": "INPROGRESS",
              "validation": hashlib.md5(json.dumps(answer, default=str).encode()).hexdigest()}
    sim.put("idempotency", record)
    sim.update("idempotency", record, sets={"status": "COMPLETED", "data": json.dumps(answer, default=str)})

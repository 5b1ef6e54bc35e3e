"""The writes of sample learners' sessions, per table/index partition, as the real stores send them.

`sample_tables(sim)` puts moto behind the shared client (speakpho.aws.dynamodb_client(), which
every store uses) with a table for each spec of `sim.specs` (the specs
of speakpho.tables, or a test's variant of them), and records every item the client's writes
change (local.ddb_meter.WriteLog: the item's images before and after each request, read from
moto's backend by MotoImages). Sim.record then costs each item write as DynamoDB does, on the
table and on each index whose key attributes the item carries: write units by item size (1 KB,
speakpho/item_size.py), x2 in a transaction, the larger of the images before and after; on an
index, a put, an in-place update (when a projected attribute changed) or, when the index key
changed, a delete plus a put. A write that loses its condition changes nothing and is not costed
(DynamoDB charges it; one learner's sessions in sequence lose none). Changes of a streamed table
queue in Sim.stream as the stream carries them (NEW_AND_OLD_IMAGES), for the driver to hand to
the stream processor's code.
"""
from __future__ import annotations

import os
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock

from infra.catalog import ensure_import_paths

ensure_import_paths()
from local.ddb_meter import ItemWrite, WriteLog  # noqa: E402
from speakpho import ddb  # noqa: E402
from speakpho import tables as T  # noqa: E402
from speakpho.item_size import item_size, units  # noqa: E402
from speakpho.table_requests import create_table_request  # noqa: E402
from speakpho.table_setup import create_missing_tables  # noqa: E402


def key_names(pk: T.Key, sk: T.Key | None) -> tuple[str, ...]:
    return (pk.name, sk.name) if sk else (pk.name,)


def has_keys(item: dict | None, names: tuple[str, ...]) -> bool:
    return bool(item) and all(n in item for n in names)


def scalar(value: dict) -> str:
    """The value of a key attribute ({"S": "x"} -> "x")."""
    (_, v), = value.items()
    return str(v)


@dataclass
class Write:
    target: str            # "table" or "table/index"
    partition: str
    units: int
    second: int            # when, in seconds of simulated time
    learner: str


@dataclass
class Sim:
    """What the sample's writes cost where; the driver sets second, learner and session."""
    specs: tuple = T.TABLES
    writes: list = field(default_factory=list)
    creators: dict = field(default_factory=lambda: defaultdict(set))   # (table, key) -> sessions that put it
    stream: list = field(default_factory=list)                         # (old, new) images, plain dicts
    refused: list = field(default_factory=list)                        # requests DynamoDB refused
    by_table: dict = field(default_factory=dict)                       # deployed table name -> spec
    second: int = 0
    learner: str = ""
    session: str = ""

    def record(self, w: ItemWrite) -> None:
        spec = self.by_table[w.table]
        if w.after is not None and (w.action == "put" or w.before is None):
            key = tuple(scalar(w.key[n]) for n in key_names(spec.partition_key, spec.sort_key))
            self.creators[(spec.logical_name, key)].add(self.session)
        sizes = (item_size(w.before), item_size(w.after))
        self._add(spec.logical_name, scalar(w.key[spec.partition_key.name]),
                  units(max(sizes)) * (2 if w.transactional else 1))
        table_keys = key_names(spec.partition_key, spec.sort_key)
        for index in spec.indexes:
            self._index_write(spec, index, table_keys, w.before, w.after, sizes)
        if spec.stream:
            self.stream.append((spec.logical_name, ddb.deserialize(w.before), ddb.deserialize(w.after)))

    def _index_write(self, spec, index: T.Index, table_keys, before: dict | None, after: dict | None,
                     sizes) -> None:
        names = key_names(index.partition_key, index.sort_key)
        shown = None if index.projected is None else set(index.projected) | set(names) | set(table_keys)
        target = f"{spec.logical_name}/{index.name}"
        was, now = has_keys(before, names), has_keys(after, names)
        old_key = tuple(before[n] for n in names) if was else None
        new_key = tuple(after[n] for n in names) if now else None
        if was and old_key != new_key:   # the entry leaves its old place (a delete)
            self._add(target, scalar(old_key[0]), units(sizes[0] if shown is None else item_size(before, shown)))
        if now:
            if shown is None:
                changed = old_key != new_key or before != after
            else:
                changed = old_key != new_key or any((before or {}).get(k) != after.get(k) for k in shown)
            if changed:
                self._add(target, scalar(new_key[0]), units(sizes[1] if shown is None else item_size(after, shown)))

    def _add(self, target: str, partition: str, cost: int) -> None:
        self.writes.append(Write(target, partition, cost, self.second, self.learner))

    def take_stream(self, table: str = "sessions") -> list[tuple[dict | None, dict | None]]:
        """The `table`'s stream records since the last take (old, new), in order; other tables'
        stay queued for their own take."""
        records = [(old, new) for name, old, new in self.stream if name == table]
        self.stream = [entry for entry in self.stream if entry[0] != table]
        return records


@contextmanager
def sample_tables(sim: Sim):
    """moto with a table per spec of sim.specs, the shared client's writes recorded into `sim`;
    cached settings, clients and stores are forgotten before and after."""
    from moto import mock_aws

    from bench.moto_transactions import one_backup_per_table

    from speakpho import deps
    from speakpho.aws import dynamodb_client
    from speakpho.config import get_settings

    region = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": region}), mock_aws(), one_backup_per_table():
        os.environ.pop("DYNAMODB_ENDPOINT", None)   # moto, whatever the shell points at (restored after)
        deps.reset()
        try:
            client, names = dynamodb_client(), get_settings().table_names
            for spec in sim.specs:                   # a test's variant of a table first, then the others
                if spec not in T.TABLES:
                    client.create_table(**create_table_request(spec, names[spec.logical_name]))
            create_missing_tables(client)
            sim.by_table = {names[s.logical_name]: s for s in sim.specs}
            with WriteLog(client, MotoImages(region), sim.record) as log:
                sim.refused = log.refused
                yield client
        finally:
            deps.reset()


class MotoImages:
    """Items as moto holds them, read from its backend (no request): local.ddb_meter.WriteLog's images."""

    def __init__(self, region: str) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        self.backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]

    def key_names(self, table: str) -> tuple[str, ...]:
        found = self.backend.tables.get(table)
        return () if found is None else tuple(n for n in (found.hash_key_attr, found.range_key_attr) if n)

    def get(self, table: str, key: dict) -> dict | None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        found = self.backend.tables[table]
        hash_key, *range_key = (DynamoType(key[n]) for n in self.key_names(table))
        item = found.get_item(hash_key, range_key[0] if range_key else None)
        return None if item is None else item.to_json()["Attributes"]   # built anew: later writes leave it

"""The procedure against a live DynamoDB endpoint: read the tables (DescribeTable), measure the
attribute backfills, and, for an engine the stack does not manage (`make dev`'s dynoxide, a
test's), carry the steps out with UpdateTable. Against AWS the stack carries the adds and drops
(`cdk deploy -c indexStep=...`); this module only reads there, and runs the backfill.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Mapping

from botocore.exceptions import ClientError

from migrations import backfill
from migrations.plan import ABSENT, ADD, BACKFILL, DONE, DROP, WAIT, Action, LiveTable, live_table, plan
from speakpho.config import Settings
from speakpho.table_requests import create_table_request
from speakpho.tables import TABLES, TableSpec

SPECS = {spec.logical_name: spec for spec in TABLES}


def describe(client, table_name: str) -> LiveTable | None:
    try:
        return live_table(client.describe_table(TableName=table_name)["Table"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise


def describe_all(client, names: Mapping[str, str]) -> dict[str, LiveTable | None]:
    return {spec.logical_name: describe(client, names[spec.logical_name]) for spec in TABLES}


def measure_pending(client, names: Mapping[str, str], lives: Mapping[str, LiveTable | None],
                    settings: Settings) -> dict[str, int | None]:
    """Per new index with an attribute backfill here: the rows it still lacks, measured when it
    and its predecessor are both live and ACTIVE (None otherwise: not known)."""
    live = lives.get(backfill.TABLE)
    ready = live is not None and all(
        name in live.indexes and live.indexes[name].status == "ACTIVE" and not live.indexes[name].backfilling
        for name in (backfill.INDEX, backfill.RETIRED))
    return {backfill.INDEX: backfill.pending(client, names, settings) if ready else None}


def add_index(client, table_name: str, spec: TableSpec, index_name: str) -> None:
    """UpdateTable creating one index of `spec` (final or retired), with its key attributes'
    definitions: DynamoDB creates or deletes one index per UpdateTable."""
    index = next(i for i in (*spec.indexes, *spec.retired) if i.name == index_name)
    request = create_table_request(replace(spec, indexes=(index,), retired=()), table_name)
    keys = {key.name for key in (index.partition_key, index.sort_key) if key}
    client.update_table(
        TableName=table_name,
        AttributeDefinitions=[a for a in request["AttributeDefinitions"] if a["AttributeName"] in keys],
        GlobalSecondaryIndexUpdates=[{"Create": request["GlobalSecondaryIndexes"][0]}])


def drop_index(client, table_name: str, index_name: str) -> None:
    client.update_table(TableName=table_name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index_name}}])


def enable_missing_streams(client, names: Mapping[str, str]) -> list[str]:
    """Turns on the stream of each table whose spec has one and whose live table has none (a
    data file of `make dev` from before that stream existed; on AWS the stack manages streams).
    Returns the tables changed."""
    changed = []
    for spec in TABLES:
        if not spec.stream:
            continue
        described = client.describe_table(TableName=names[spec.logical_name])["Table"]
        if not described.get("StreamSpecification", {}).get("StreamEnabled"):
            client.update_table(TableName=names[spec.logical_name], StreamSpecification={
                "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
            changed.append(spec.logical_name)
    return changed


def migrate_in_place(client, names: Mapping[str, str], settings: Settings, *,
                     log: Callable[[str], None] = lambda line: None, poll_seconds: float = 2.0,
                     timeout_seconds: float = 600.0) -> list[Action]:
    """Every step of the procedure, one round at a time, until each table has its final indexes
    (tables absent are left to create_missing_tables). For an engine no reader uses meanwhile
    (the local runner calls it before it serves): the switch is then immediate, readers of this
    code being on the final indexes. Returns the actions taken; none on tables already final."""
    taken: list[Action] = []
    deadline = time.monotonic() + timeout_seconds
    while True:
        lives = describe_all(client, names)
        actions = plan(lives, pending=measure_pending(client, names, lives, settings))
        todo = [a for a in actions if a.kind not in (DONE, ABSENT)]
        if not todo:
            return taken
        if time.monotonic() > deadline:
            raise TimeoutError("index migration still not done: " + "; ".join(map(str, todo)))
        for action in todo:
            if action.kind == WAIT:
                continue
            log(f"index migration: {action}")
            _carry_out(client, names, settings, action)
            taken.append(action)
        if all(a.kind == WAIT for a in todo):
            time.sleep(poll_seconds)


def _carry_out(client, names: Mapping[str, str], settings: Settings, action: Action) -> None:
    table_name = names[action.table]
    if action.kind == ADD:
        add_index(client, table_name, SPECS[action.table], action.indexes[0])
    elif action.kind == DROP:
        drop_index(client, table_name, action.indexes[0])
    elif action.kind == BACKFILL:
        if action.indexes[0] not in backfill.JOBS:
            raise RuntimeError(f"{action.indexes[0]} keys on an attribute its predecessor lacks and "
                               "migrations/backfill.py has no job for it (docs/migrations.md)")
        progress = backfill.run(client, names, settings)
        if progress.missing and not progress.written and not progress.changed:
            raise RuntimeError(f"the backfill of {action.indexes[0]} made no progress: {progress}")

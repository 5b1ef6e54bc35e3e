"""The tables in the old shape on a dynoxide of the test's own (docs/migrations.md): the
release before's indexes, readers on them, and the live meters as that release wrote them."""
from __future__ import annotations

import pytest

from migrations.plan import previous_spec
from speakpho.table_env import RETIRED_READS_VARIABLE
from speakpho.table_requests import create_table_request
from speakpho.tables import TABLES

# Pinned: the sweeper's timing decides which meters are candidates and their activeSweepAt.
TIMING = {"HEARTBEAT_INTERVAL_SECONDS": "60", "STALE_AFTER_SECONDS": "180", "SWEEP_BUCKET_SECONDS": "300"}


@pytest.fixture
def old_shape(monkeypatch, clock, providers):
    """A dynoxide of this test's own with every table in the old shape, the app pointed at it,
    and the readers on the retired indexes (READ_RETIRED_INDEXES, as the stack sets it until the
    switch). Yields (client, table names)."""
    from local import dynoxide
    from speakpho import deps
    from speakpho.aws import dynamodb_client
    from speakpho.table_setup import table_name

    proc, endpoint = dynoxide.start()
    try:
        monkeypatch.setenv("DYNAMODB_ENDPOINT", endpoint)
        for name, value in TIMING.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv(RETIRED_READS_VARIABLE, ",".join(r.name for s in TABLES for r in s.retired))
        deps.reset()
        client = dynamodb_client()
        names = {spec.logical_name: table_name(spec) for spec in TABLES}
        for spec in TABLES:
            client.create_table(**create_table_request(previous_spec(spec), names[spec.logical_name]))
        yield client, names
    finally:
        deps.reset()
        proc.terminate()
        proc.wait(timeout=5)


@pytest.fixture
def old_release_meters():
    """`strip(client, names, learners)`: removes activeSweepAt from each learner's live meter of
    2026-11, as the release before (which never wrote it) left them; returns how many."""
    return _strip


def _strip(client, names, learners) -> int:
    """Removes activeSweepAt from the live meters (the release before never wrote it)."""
    stripped = 0
    for learner in learners:
        key = {"userId": {"S": learner}, "period": {"S": "2026-11"}}
        row = client.get_item(TableName=names["usage_periods"], Key=key, ConsistentRead=True).get("Item", {})
        if "activeSessionId" in row:
            assert "activeSweepAt" in row      # this release's start wrote it
            client.update_item(TableName=names["usage_periods"], Key=key, UpdateExpression="REMOVE activeSweepAt")
            stripped += 1
    return stripped

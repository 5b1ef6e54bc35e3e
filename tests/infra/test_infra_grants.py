"""Least privilege: each function's role allows exactly the DynamoDB actions of infra/access.py,
on exactly its tables and named indexes; no Scan, no wildcard; the billing tables are never
deleted from, and only put where an item is created whole."""
from __future__ import annotations

import pytest

from infra.access import ACCESS
from infra.catalog import ensure_import_paths
from infra.constructs.functions import function_specs
from infra_helpers import as_list, role_statements

ensure_import_paths()
from speakpho.tables import TABLES  # noqa: E402

KEYS = [spec.key for spec in function_specs()]
BILLING_TABLES = ("usage_periods", "sessions")
# The DynamoDB data-plane actions a grant may name (a typo would otherwise grant nothing).
ITEM_ACTIONS = {"GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
                "ConditionCheckItem"}
# What an event source mapping on a table's stream grants (CDK's grantStreamRead).
STREAM_READ = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}


def table_ids(synth) -> dict[str, str]:
    return {synth.logical_id(synth.stack.tables[spec.logical_name]): spec.logical_name for spec in TABLES}


def target_of(resource, ids: dict[str, str]) -> tuple[str, str | None]:
    """(logical table name, None | "index/<name>" | "stream") of a policy resource; ("*", None) for "*"."""
    if resource == "*":
        return "*", None
    if "Fn::GetAtt" in resource:
        logical_id, attribute = resource["Fn::GetAtt"]
        return ids[logical_id], {"Arn": None, "StreamArn": "stream"}[attribute]
    head, suffix = resource["Fn::Join"][1]
    assert resource["Fn::Join"][0] == "" and suffix.startswith("/index/"), resource
    return ids[head["Fn::GetAtt"][0]], suffix[1:]


def dynamodb_grants(synth, key: str) -> dict[tuple[str, str | None], set[str]]:
    """(table, None | "index/<name>" | "stream") -> the dynamodb: actions the function's role allows there."""
    ids = table_ids(synth)
    found: dict[tuple[str, str | None], set[str]] = {}
    for statement in role_statements(synth, synth.stack.functions.functions[key].role):
        actions = {a for a in as_list(statement["Action"]) if a.startswith("dynamodb:")}
        if not actions:
            continue
        assert statement["Effect"] == "Allow" and "Condition" not in statement, statement
        for resource in as_list(statement["Resource"]):
            found.setdefault(target_of(resource, ids), set()).update(actions)
    return found


def declared(key: str) -> dict[tuple[str, str | None], set[str]]:
    access = ACCESS[key]
    expected: dict[tuple[str, str | None], set[str]] = {}
    for table, grant in access.grants.items():
        if grant.actions:
            expected[(table, None)] = set(grant.iam_actions)
        for index in grant.indexes:
            expected[(table, f"index/{index}")] = {"dynamodb:Query"}
    for table in access.streams:
        expected[(table, "stream")] = set(STREAM_READ)
        expected[("*", None)] = {"dynamodb:ListStreams"}   # has no resource-level permission
    return expected


def test_every_function_has_declared_access():
    assert sorted(ACCESS) == sorted(KEYS)


@pytest.mark.parametrize("key", sorted(ACCESS))
def test_declared_grants_name_real_actions_and_indexes_and_say_why(key):
    indexes = {spec.logical_name: {i.name for i in spec.indexes} for spec in TABLES}
    for table, grant in ACCESS[key].grants.items():
        assert table in indexes, table
        assert set(grant.actions) <= ITEM_ACTIONS, (table, grant.actions)
        assert len(set(grant.actions)) == len(grant.actions), (table, grant.actions)
        assert set(grant.indexes) <= indexes[table], (table, grant.indexes)
        assert grant.actions or grant.indexes, table
        assert len(grant.why.split()) >= 4, f"{key}/{table}: say which code makes these calls"


@pytest.mark.parametrize("key", KEYS)
def test_role_allows_exactly_the_declared_dynamodb_actions(synth, key):
    assert dynamodb_grants(synth, key) == declared(key)


def test_no_scan_and_no_wildcard_anywhere(synth):
    for policy in synth.of_type("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = as_list(statement["Action"])
            assert "dynamodb:Scan" not in actions and "dynamodb:*" not in actions, statement
            if any(a.startswith("dynamodb:") for a in actions):
                assert "index/*" not in str(statement["Resource"]), statement


@pytest.mark.parametrize("key", KEYS)
def test_billing_tables_are_never_deleted_from(synth, key):
    grants = dynamodb_grants(synth, key)
    for table in BILLING_TABLES:
        allowed = grants.get((table, None), set())
        assert not allowed & {"dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}, f"{key} may delete from {table}"


def test_billing_rows_are_put_only_where_they_are_created(synth):
    """Sessions are created by start; usage rows by conditional updates, except the allowance
    audit row an admin puts. Every other writer only updates."""
    put = {(key, table) for key in KEYS for table in BILLING_TABLES
           if "dynamodb:PutItem" in dynamodb_grants(synth, key).get((table, None), set())}
    assert put == {("session", "sessions"), ("admin", "usage_periods")}


def test_learning_cannot_delete_or_replace_sessions_or_usage(synth):
    grants = dynamodb_grants(synth, "learning")
    assert grants[("sessions", None)] == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    assert grants[("usage_periods", None)] == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    assert grants[("sessions", "index/learning_history_view")] == {"dynamodb:Query"}


def test_readers_do_not_write(synth):
    admin, rollups, sweeper = (dynamodb_grants(synth, k) for k in ("admin", "rollups", "sweeper"))
    writes = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    for table in ("sessions", "session_events", "session_messages", "corrections", "session_rollups"):
        assert not admin.get((table, None), set()) & writes, f"admin may write {table}"
    assert ("corrections", None) not in admin          # a session's corrections come from one index
    # Lists read keys from the keys-only indexes, then the items (one BatchGetItem a page).
    assert {target: actions for target, actions in admin.items() if target[0] == "sessions"} == {
        ("sessions", None): {"dynamodb:GetItem", "dynamodb:BatchGetItem"},
        ("sessions", "index/sessions_by_day_keys"): {"dynamodb:Query"},
        ("sessions", "index/sessions_by_user_keys"): {"dynamodb:Query"},
    }
    assert {t for t, _ in sweeper} == {"usage_periods", "sessions", "session_events"}
    assert sweeper[("session_events", None)] == {"dynamodb:Query"}   # reads the batches it folds, writes none
    assert {target for target in rollups if target[0] == "sessions"} == {("sessions", "stream")}
    # Idempotency-Keys are taken by the session start and the learning review only.
    assert {k for k in KEYS if ("idempotency", None) in dynamodb_grants(synth, k)} == {"session", "learning"}


def test_the_fsrs_optimiser_reads_flagged_learners_and_writes_only_their_memory_rows(synth):
    """It queries the sparse index and a learner's partition, and updates (the #memory row):
    no Scan, no Put/Delete, no other table."""
    assert dynamodb_grants(synth, "optimizer") == {
        ("corrections", None): {"dynamodb:Query", "dynamodb:UpdateItem"},
        ("corrections", "index/memory_optimise_due"): {"dynamodb:Query"},
    }


def test_the_deploy_guide_lists_exactly_these_grants():
    """docs/deploy.md, "Table grants": one row per function and table, as infra/access.py says."""
    from pathlib import Path

    documented = {}
    for line in (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in ACCESS and "(stream)" not in cells[1]:
            documented[(cells[0], cells[1])] = (
                tuple(a.strip() for a in cells[2].split(",") if a.strip() != "-"),
                tuple(i.strip() for i in cells[3].split(",") if i.strip() != "-"))
    assert documented == {(key, table): (grant.actions, grant.indexes)
                          for key, access in ACCESS.items() for table, grant in access.grants.items()}

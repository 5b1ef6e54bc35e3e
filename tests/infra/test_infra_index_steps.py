"""A migration's steps as the stack deploys them (`cdk deploy -c indexStep=FILE`,
docs/migrations.md): a step with a retired and a new index synthesizes both, points the readers
of the new one at the retired one (their variable and their grant), and no step of this release
adds or drops more than one global secondary index per table (CloudFormation's limit)."""
from __future__ import annotations

import pytest

from infra.catalog import ensure_import_paths

ensure_import_paths()
from migrations.plan import LiveIndex, LiveTable, previous_indexes, release_steps, step_in_effect  # noqa: E402
from speakpho.tables import TABLES  # noqa: E402


def _gsis(doc: dict, logical_id: str) -> set[str]:
    return {g["IndexName"] for g in doc["Resources"][logical_id]["Properties"].get("GlobalSecondaryIndexes", [])}


def _tables_only(step_file) -> dict[str, set[str]]:
    """The GSIs per table of the tables construct alone, synthesized with `step_file` (None: no context)."""
    from aws_cdk import App, Stack, assertions

    from infra.constructs.tables import DataTables

    app = App(context={"indexStep": str(step_file)} if step_file else {})
    stack = Stack(app, "Steps")
    tables = DataTables(stack, "Tables")
    doc = assertions.Template.from_stack(stack).to_json()
    return {name: _gsis(doc, stack.resolve(table.node.default_child.logical_id))
            for name, table in tables.tables.items()}


def test_no_step_adds_or_drops_more_than_one_gsi_per_table(tmp_path):
    start = step_in_effect({s.logical_name: LiveTable(indexes={i.name: LiveIndex() for i in previous_indexes(s)})
                            for s in TABLES})
    steps = [start] + [step for _, step in release_steps()]
    synthesized = []
    for number, step in enumerate(steps):
        path = tmp_path / f"step{number}.json"
        path.write_text(step.to_json())
        synthesized.append(_tables_only(path))
    assert synthesized[0]["sessions"] == {"sessions_by_day", "sessions_by_user", "learning_history"}
    assert synthesized[0]["usage_periods"] == {"active_by_heartbeat"}
    assert synthesized[-1] == _tables_only(None)      # the last step is what no context deploys
    assert synthesized[-1]["sessions"] == {i.name for i in TABLES[1].indexes}
    for before, after in zip(synthesized, synthesized[1:]):
        for table in before:
            added, dropped = after[table] - before[table], before[table] - after[table]
            # one index created or deleted per table per update, never one of each
            assert len(added) + len(dropped) <= 1, (table, added, dropped)


def test_an_undeployable_step_stops_the_synth(tmp_path):
    path = tmp_path / "step.json"
    path.write_text('{"tables": {"sessions": ["sessions_by_day_keys"]}, "readRetired": []}')
    with pytest.raises(ValueError, match="readers of 'learning_history_view' would find no index on sessions"):
        _tables_only(path)


@pytest.fixture(scope="module")
def expanding(tmp_path_factory):
    """The whole app synthesized with the release's first step: usage_periods holds
    active_by_heartbeat and active_by_sweep, readers still on every retired index."""
    from aws_cdk import App, assertions

    import app as cdk_app
    from infra_helpers import cdk_json_context, role_statements

    path = tmp_path_factory.mktemp("step") / "step.json"
    path.write_text(release_steps()[0][1].to_json())
    context = {**cdk_json_context(), "layerDependencies": "none", "nag": "false", "indexStep": str(path)}
    app, stack = cdk_app.build_app(App(context=context, outdir=str(tmp_path_factory.mktemp("cdk.out"))))
    doc = assertions.Template.from_stack(stack).to_json()

    class Synth:   # what infra_helpers.role_statements reads
        def logical_id(self, construct):
            return stack.resolve((getattr(construct.node, "default_child", None) or construct).logical_id)

    synth = Synth()
    synth.resources, synth.of_type = doc["Resources"], lambda t: {k: r for k, r in doc["Resources"].items()
                                                                  if r["Type"] == t}
    return stack, doc, synth, role_statements


def test_a_step_with_a_retired_and_a_new_index_synthesizes_both(expanding):
    stack, doc, synth, _ = expanding
    usage = synth.logical_id(stack.tables["usage_periods"])
    assert _gsis(doc, usage) == {"active_by_heartbeat", "active_by_sweep"}
    keys = {a["AttributeName"] for a in doc["Resources"][usage]["Properties"]["AttributeDefinitions"]}
    assert {"activeLastHeartbeatAt", "activeSweepAt", "activeShard"} <= keys
    sessions = synth.logical_id(stack.tables["sessions"])
    assert _gsis(doc, sessions) == {"sessions_by_day", "sessions_by_user", "learning_history", "sessions_by_day_keys"}


@pytest.mark.parametrize("function, table, index", [
    ("sweeper", "usage_periods", "active_by_heartbeat"),
    ("admin", "sessions", "sessions_by_day"),
    ("admin", "sessions", "sessions_by_user"),
    ("learning", "sessions", "learning_history"),
    ("erasure", "sessions", "learning_history"),
])
def test_the_readers_query_the_retired_index_until_the_switch(expanding, function, table, index):
    stack, doc, synth, role_statements = expanding
    lambda_fn = stack.functions.functions[function]
    env = doc["Resources"][synth.logical_id(lambda_fn)]["Properties"]["Environment"]["Variables"]
    # the retired indexes of the function's tables (speakpho.table_env.index_to_query reads them)
    retired = {r.name for s in TABLES if s.env_name in env for r in s.retired}
    assert set(env["READ_RETIRED_INDEXES"].split(",")) == retired and index in retired
    table_id = synth.logical_id(stack.tables[table])
    granted = [r for s in role_statements(synth, lambda_fn.role) if s["Action"] == "dynamodb:Query"
               for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])]
    suffixes = {r["Fn::Join"][1][1] for r in granted
                if "Fn::Join" in r and r["Fn::Join"][1][0]["Fn::GetAtt"][0] == table_id}
    assert f"/index/{index}" in suffixes
    # the replacement too, once the step deploys it (a container with the previous variable may
    # still query the retired one during the deploy that switches)
    replacement = next(r.replaced_by for s in TABLES for r in s.retired if r.name == index)
    deployed = {g["IndexName"] for g in doc["Resources"][table_id]["Properties"]["GlobalSecondaryIndexes"]}
    assert (f"/index/{replacement}" in suffixes) == (replacement in deployed)


def test_without_a_step_no_function_reads_a_retired_index(synth):
    for resource in synth.of_type("AWS::Lambda::Function").values():
        assert "READ_RETIRED_INDEXES" not in resource["Properties"].get("Environment", {}).get("Variables", {})

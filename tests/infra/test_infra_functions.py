"""Lambdas: runtime, the one shared layer, handlers from the catalog, environment, code
assets, schedule, and least-privilege table grants."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from infra import bytecode
from infra.catalog import AREAS, FUNCTIONS_PATH, ROLLUPS, SWEEPER, ensure_import_paths
from infra.constructs.functions import ACCESS, function_specs
from infra_helpers import refs

ensure_import_paths()
from speakpho.tables import TABLES  # noqa: E402

KEYS = [spec.key for spec in function_specs()]
WRITE_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
READ_ACTIONS = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"}
STREAM_ACTIONS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                  "dynamodb:ListStreams"}


def function_props(synth, key: str) -> dict:
    return synth.resources[synth.logical_id(synth.stack.functions.functions[key])]["Properties"]


def statements_of(synth, key: str) -> list[dict]:
    role = synth.logical_id(synth.stack.functions.functions[key].role)
    found = []
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def table_access(synth, key: str) -> dict[str, set[str]]:
    """logical table name -> DynamoDB actions this function's role allows on it (or its indexes/stream)."""
    ids = {synth.logical_id(synth.stack.tables[spec.logical_name]): spec.logical_name for spec in TABLES}
    access: dict[str, set[str]] = {}
    for statement in statements_of(synth, key):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for table_id in refs(statement["Resource"]) & set(ids):
            access.setdefault(ids[table_id], set()).update(actions)
    return access


def test_every_area_sweeper_and_rollups_have_a_function():
    assert KEYS == [a.name for a in AREAS] + ["sweeper", "rollups"]


@pytest.mark.parametrize("key", KEYS)
def test_function_runtime_layer_tracing_and_handler(synth, key):
    props = function_props(synth, key)
    spec = next(s for s in function_specs() if s.key == key)
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["x86_64"]          # the layer's wheels are manylinux x86_64
    assert props["Handler"] == spec.area.handler
    assert props["Layers"] == [{"Ref": synth.logical_id(synth.stack.layer.layer)}]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert 512 <= props["MemorySize"] <= 1024
    assert 3 <= props["Timeout"] <= (29 if spec.http else 900)
    assert refs(props["LoggingConfig"]["LogGroup"]) == {synth.logical_id(synth.stack.functions.log_groups[key])}


def test_the_layer_is_built_once(synth):
    layers = [k for k, r in synth.of_type("AWS::Lambda::LayerVersion").items()
              if r["Properties"].get("Description", "").startswith("speakpho")]
    assert layers == [synth.logical_id(synth.stack.layer.layer)]
    props = synth.resources[layers[0]]["Properties"]
    assert props["CompatibleRuntimes"] == ["python3.12"]
    assert props["CompatibleArchitectures"] == ["x86_64"]


def assert_ships_runtime_bytecode(synth, root):
    """Every module has the runtime's .pyc beside it, and nothing compiled for another Python;
    or, on a machine without that interpreter, the stack says it ships source only."""
    other = [p for p in root.rglob("*.pyc") if f".{bytecode.CACHE_TAG}." not in p.name]
    assert not other, other[:5]
    if bytecode.interpreter():
        assert bytecode.missing_bytecode(root) == []
    else:
        from aws_cdk import assertions

        warnings = assertions.Annotations.from_stack(synth.stack).find_warning(
            "*", assertions.Match.string_like_regexp("no CPython"))
        assert warnings, "a layer without bytecode must be flagged"


def test_layer_asset_holds_our_package_compiled(synth):
    layer_dir = synth.asset_dir(synth.logical_id(synth.stack.layer.layer))
    assert (layer_dir / "python" / "speakpho" / "tables.py").is_file()
    assert (layer_dir / "python" / "speakpho" / "api.py").is_file()
    assert_ships_runtime_bytecode(synth, layer_dir)


def _module_file(module: str) -> Path | None:
    """functions/a/b.py or functions/a/b/__init__.py for "a.b"; None when not area code."""
    base = FUNCTIONS_PATH.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def production_modules(area: str) -> set[Path]:
    """The area's files its Lambdas' handlers import, directly or through each other (every
    import statement, those inside functions included), with their packages' __init__.py."""
    handlers = {a.handler.rsplit(".", 1)[0] for a in (*AREAS, SWEEPER, ROLLUPS) if a.name == area}
    found: dict[str, Path] = {}
    todo = list(handlers)
    while todo:
        module = todo.pop()
        path = _module_file(module)
        if module in found or path is None:
            continue
        found[module] = path
        parts = module.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                todo.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                todo.append(node.module)
                todo.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return {p for m, p in found.items() if m.split(".")[0] == area}


@pytest.mark.parametrize("key", KEYS)
def test_code_asset_holds_only_its_area_compiled(synth, key):
    """The asset is the area's production code: every module its handlers import, and
    nothing else (no bench or test helpers)."""
    spec = next(s for s in function_specs() if s.key == key)
    code = synth.asset_dir(synth.logical_id(synth.stack.functions.functions[key]))
    module = spec.area.handler.rsplit(".", 1)[0].replace(".", "/") + ".py"
    assert (code / module).is_file()
    assert sorted(p.name for p in code.iterdir()) == [spec.area.name]
    shipped = sorted(p.relative_to(code) for p in (code / spec.area.name).rglob("*.py"))
    assert shipped == sorted(p.relative_to(FUNCTIONS_PATH) for p in production_modules(spec.area.name))
    assert_ships_runtime_bytecode(synth, code)


@pytest.mark.parametrize("key", KEYS)
def test_environment(synth, key):
    env = function_props(synth, key)["Environment"]["Variables"]
    settings = synth.stack.settings
    assert env["POWERTOOLS_SERVICE_NAME"] == key
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "SpeakPho"
    assert env["LOG_LEVEL"] == settings.log_level
    assert env["STALE_AFTER_SECONDS"] == "120"
    assert env["PLAN_MINUTES"] == settings.plan_minutes
    assert env["PYDANTIC_DISABLE_PLUGINS"] == "__all__"    # no entry-point scan at cold start
    table_envs = {spec.env_name: spec.logical_name for spec in TABLES}
    named = {table_envs[k] for k in env if k in table_envs}
    assert named == set(ACCESS[key].tables)
    for var, table in table_envs.items():
        if var in env:
            assert env[var] == {"Ref": synth.logical_id(synth.stack.tables[table])}


@pytest.mark.parametrize("key", KEYS)
def test_table_grants_are_exactly_the_declared_access(synth, key):
    access = table_access(synth, key)
    declared = ACCESS[key]
    expected_tables = set(declared.tables) | ({"sessions"} if key == "rollups" else set())
    assert set(access) == expected_tables
    for table in declared.read_write:
        assert WRITE_ACTIONS <= access[table] and READ_ACTIONS <= access[table], table
    for table in declared.read:
        assert READ_ACTIONS <= access[table], table
        assert not access[table] & WRITE_ACTIONS, f"{key} may write {table}"
    for table in declared.read_update:
        assert READ_ACTIONS <= access[table], table
        assert access[table] & WRITE_ACTIONS == {"dynamodb:UpdateItem"}, f"{key} may put/delete {table}"


def test_least_privilege_examples(synth):
    learning, admin, rollups, sweeper = (table_access(synth, k) for k in ("learning", "admin", "rollups", "sweeper"))
    assert "session_rollups" not in learning
    # Idempotency-Keys are taken by the session start and the learning review only.
    assert "idempotency" not in admin and "idempotency" not in sweeper and "idempotency" not in rollups
    assert WRITE_ACTIONS <= learning["idempotency"]
    assert not admin["sessions"] & WRITE_ACTIONS, "admin must not write sessions"
    assert not admin["corrections"] & WRITE_ACTIONS
    assert WRITE_ACTIONS <= admin["usage_periods"]               # allowances
    # Erasure moves the profile row's historyErasedThrough: update in place, never put or delete.
    assert learning["usage_periods"] & WRITE_ACTIONS == {"dynamodb:UpdateItem"}
    assert set(sweeper) == {"usage_periods", "sessions"}
    # The rollups processor reads the sessions table only through its stream.
    assert rollups["sessions"] <= STREAM_ACTIONS
    sessions = synth.logical_id(synth.stack.tables["sessions"])
    for statement in statements_of(synth, "rollups"):
        if sessions in refs(statement["Resource"]):
            assert statement["Resource"] == {"Fn::GetAtt": [sessions, "StreamArn"]}


@pytest.mark.parametrize("key", KEYS)
def test_roles_have_no_managed_policies_and_log_only_to_their_group(synth, key):
    function = synth.stack.functions.functions[key]
    role = synth.resources[synth.logical_id(function.role)]["Properties"]
    assert "ManagedPolicyArns" not in role
    log_group = synth.logical_id(synth.stack.functions.log_groups[key])
    log_statements = [s for s in statements_of(synth, key)
                      if any(a.startswith("logs:") for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))]
    assert log_statements and all(refs(s["Resource"]) == {log_group} for s in log_statements)


def test_sweeper_runs_every_two_minutes(synth):
    rules = synth.of_type("AWS::Events::Rule")
    assert len(rules) == 1
    props = next(iter(rules.values()))["Properties"]
    assert props["ScheduleExpression"] == "rate(2 minutes)"
    assert props["State"] == "ENABLED"
    sweeper = synth.logical_id(synth.stack.functions.sweeper)
    assert [t["Arn"] for t in props["Targets"]] == [{"Fn::GetAtt": [sweeper, "Arn"]}]
    synth.template.has_resource_properties("AWS::Lambda::Permission", {
        "Principal": "events.amazonaws.com", "FunctionName": {"Fn::GetAtt": [sweeper, "Arn"]}})


def test_background_handlers_come_from_the_catalog(synth):
    assert function_props(synth, "sweeper")["Handler"] == SWEEPER.handler
    assert function_props(synth, "rollups")["Handler"] == ROLLUPS.handler


def test_session_function_uses_snapstart_behind_an_alias(synth):
    """The learner waits for /api/session/start: that function resumes from a SnapStart snapshot,
    and API Gateway calls its `live` alias (SnapStart serves published versions only)."""
    functions = synth.of_type("AWS::Lambda::Function")
    session_fn = synth.logical_id(synth.stack.functions.functions["session"])
    assert functions[session_fn]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    others = [lid for lid in functions if lid != session_fn and "SnapStart" in functions[lid]["Properties"]]
    assert others == []
    aliases = synth.of_type("AWS::Lambda::Alias")
    assert [a["Properties"]["Name"] for a in aliases.values()] == ["live"]
    assert synth.stack.functions.by_area["session"] is synth.stack.functions.session_alias

"""Lambdas: runtime, the one shared layer, handlers from the catalog, environment, code
assets, schedule and log groups (the table grants: test_infra_grants.py)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from infra import bytecode
from infra.catalog import (AREAS, CONVERSATION, ERASURE_WORKER, FUNCTIONS_PATH, HANGUP, MISTAKES, OPTIMIZER, ROLLUPS,
                           SIGNUP, SWEEPER, ensure_import_paths)
from infra.access import ACCESS
from infra.constructs.functions import function_specs
from infra_helpers import refs, role_statements

ensure_import_paths()
from speakpho.tables import TABLES  # noqa: E402

KEYS = [spec.key for spec in function_specs()]


def function_props(synth, key: str) -> dict:
    return synth.resources[synth.logical_id(synth.stack.functions.functions[key])]["Properties"]


def statements_of(synth, key: str) -> list[dict]:
    return role_statements(synth, synth.stack.functions.functions[key].role)


def test_every_area_sweeper_rollups_and_hangup_have_a_function():
    assert KEYS == [a.name for a in AREAS] + ["sweeper", "rollups", "hangup", "optimizer", "erasure", "conversation",
                                                 "mistakes", "signup"]


@pytest.mark.parametrize("key", KEYS)
def test_function_runtime_layer_tracing_and_handler(synth, key):
    props = function_props(synth, key)
    spec = next(s for s in function_specs() if s.key == key)
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["x86_64"]          # the layer's wheels are manylinux x86_64
    assert props["Handler"] == spec.area.handler
    assert props["Layers"] == [{"Ref": synth.logical_id(synth.stack.layer.layer)}]
    assert props["TracingConfig"] == {"Mode": "Active"}
    # The optimiser fits with fsrs-rs: one full vCPU (1769 MB) for its CPU-bound work.
    assert 512 <= props["MemorySize"] <= (1769 if key == "optimizer" else 1024)
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
    handlers = {a.handler.rsplit(".", 1)[0] for a in (*AREAS, SWEEPER, ROLLUPS, MISTAKES, HANGUP, OPTIMIZER, ERASURE_WORKER,
                                                           CONVERSATION, SIGNUP)
                if a.name == area}
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
    # The live meter's timing, the windows derived from the interval (docs/metering.md "Heartbeats and the sweeper")
    assert (env["HEARTBEAT_INTERVAL_SECONDS"], env["STALE_AFTER_SECONDS"], env["SWEEP_BUCKET_SECONDS"]) == \
        ("60", "180", "300")
    assert env["PLAN_MINUTES"] == settings.plan_minutes
    assert (env["STARTS_PER_HOUR"], env["SESSIONS_PER_DAY"], env["IMPORTED_CORRECTIONS_LIMIT"]) == ("20", "50", "5000")
    assert env["PYDANTIC_DISABLE_PLUGINS"] == "__all__"    # no entry-point scan at cold start
    table_envs = {spec.env_name: spec.logical_name for spec in TABLES}
    named = {table_envs[k] for k in env if k in table_envs}
    assert named == set(ACCESS[key].tables)
    for var, table in table_envs.items():
        if var in env:
            assert env[var] == {"Ref": synth.logical_id(synth.stack.tables[table])}
    spec = next(s for s in function_specs() if s.key == key)
    if spec.http:   # speakpho.auth.require_admin: admin routes take only the admin pool's tokens
        admin_pool = synth.logical_id(synth.stack.auth.admin_pool)
        assert env["ADMIN_TOKEN_ISSUER"] == {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [admin_pool, "ProviderURL"]}]]}
    else:
        assert "ADMIN_TOKEN_ISSUER" not in env


@pytest.mark.parametrize("key", KEYS)
def test_log_groups_keep_a_month_and_the_admin_audit_trail_a_year_after_the_stack(synth, key):
    """The admin function's log records are the audit trail of admin reads (docs/deploy.md)."""
    resource = synth.resources[synth.logical_id(synth.stack.functions.log_groups[key])]
    assert resource["Properties"]["RetentionInDays"] == (365 if key == "admin" else 30)
    # the audit trail outlives the stack, like the tables; the other logs go with it
    assert resource["DeletionPolicy"] == ("Retain" if key == "admin" else "Delete")


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
    assert len(rules) == 2
    props = synth.resources[synth.logical_id(synth.stack.schedule.rule)]["Properties"]
    assert props["ScheduleExpression"] == "rate(2 minutes)"
    assert props["State"] == "ENABLED"
    sweeper = synth.logical_id(synth.stack.functions.sweeper)
    assert [t["Arn"] for t in props["Targets"]] == [{"Fn::GetAtt": [sweeper, "Arn"]}]
    synth.template.has_resource_properties("AWS::Lambda::Permission", {
        "Principal": "events.amazonaws.com", "FunctionName": {"Fn::GetAtt": [sweeper, "Arn"]}})


def test_the_fsrs_optimiser_runs_every_fifteen_minutes_without_retries(synth):
    props = synth.resources[synth.logical_id(synth.stack.optimizer_schedule.rule)]["Properties"]
    assert props["ScheduleExpression"] == "rate(15 minutes)" and props["State"] == "ENABLED"
    optimizer = synth.logical_id(synth.stack.functions.optimizer)
    assert [t["Arn"] for t in props["Targets"]] == [{"Fn::GetAtt": [optimizer, "Arn"]}]
    assert props["Targets"][0]["RetryPolicy"]["MaximumRetryAttempts"] == 0
    function = function_props(synth, "optimizer")
    assert function["Handler"] == OPTIMIZER.handler and function["MemorySize"] == 1769
    assert function["Timeout"] == 300 and "SnapStart" not in function


def test_background_handlers_come_from_the_catalog(synth):
    assert function_props(synth, "sweeper")["Handler"] == SWEEPER.handler
    assert function_props(synth, "rollups")["Handler"] == ROLLUPS.handler
    assert function_props(synth, "hangup")["Handler"] == HANGUP.handler


def test_the_functions_learners_wait_on_use_snapstart_behind_an_alias(synth):
    """Learners wait on /api/session/* and /api/learning/*: those functions resume from a SnapStart
    snapshot, and API Gateway calls their `live` alias (SnapStart serves published versions only).
    Admin and the background functions stay without it."""
    functions = synth.of_type("AWS::Lambda::Function")
    snap = {synth.logical_id(synth.stack.functions.functions[k]) for k in ("session", "learning")}
    with_snapstart = {lid for lid, f in functions.items() if "SnapStart" in f["Properties"]}
    assert with_snapstart == snap
    assert all(functions[lid]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"} for lid in snap)
    aliases = synth.of_type("AWS::Lambda::Alias")
    assert sorted(a["Properties"]["Name"] for a in aliases.values()) == ["live", "live"]
    for key in ("session", "learning"):
        alias = synth.stack.functions.by_area[key]
        assert alias is synth.stack.functions.aliases[key]
        assert synth.logical_id(alias.version.lambda_) == synth.logical_id(synth.stack.functions.functions[key])

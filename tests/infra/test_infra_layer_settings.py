"""The common layer's Docker-free build (pip for the Lambda platform, cached offline), the
stack's context settings, and cdk-nag as the synth's validation plugin (on a one-queue app,
and in the report of the shared synthesis). No network."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra import bytecode, layer_build, runtime
from infra.settings import StackSettings


def fake_source(root: Path) -> Path:
    source = root / "src"
    (source / "speakpho").mkdir(parents=True)
    (source / "speakpho" / "__init__.py").write_text("")
    (source / "speakpho" / "tables.py").write_text("TABLES = ()\n")
    (source / "speakpho" / "__pycache__").mkdir()
    (source / "speakpho" / "__pycache__" / "tables.cpython-311.pyc").write_bytes(b"\0")
    return source


def test_pip_targets_the_lambda_runtime_not_this_machine(tmp_path):
    command = layer_build.pip_command(tmp_path / "python")
    joined = " ".join(command)
    assert "--platform manylinux2014_x86_64" in joined
    assert "--python-version 3.12" in joined
    assert "--implementation cp" in joined
    assert "--only-binary=:all:" in command        # pydantic-core must come as the manylinux wheel
    assert f"-r {layer_build.REQUIREMENTS}" in joined
    assert f"--target {tmp_path / 'python'}" in joined


def test_layer_runtime_matches_functions():
    from aws_cdk import aws_lambda as lambda_

    from infra.constructs.layer import ARCHITECTURE, RUNTIME

    assert RUNTIME.name == "python" + runtime.PYTHON_VERSION
    assert ARCHITECTURE.name == lambda_.Architecture.X86_64.name == "x86_64"
    assert ARCHITECTURE.name in runtime.PLATFORM


def test_cache_key_follows_requirements(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pydantic==2.14.4\n")
    first = layer_build.cache_key(requirements)
    requirements.write_text("pydantic==2.14.5\n")
    assert layer_build.cache_key(requirements) != first
    assert layer_build.deps_dir(requirements, tmp_path / "cache").parent.parent == tmp_path / "cache"


def test_prune_leaves_runtime_provided_packages_to_the_runtime(tmp_path):
    """boto3 and everything it brings (botocore's own dependencies included) come from the
    runtime: a copy in the layer would come first on sys.path and shadow the runtime's."""
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3",
                 "pydantic", "pydantic_core", "bin", "__pycache__"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.py").write_text("")
    for name in ("botocore-1.44.8.dist-info", "python_dateutil-2.9.0.post0.dist-info", "six-1.17.0.dist-info",
                 "urllib3-2.8.0.dist-info", "pydantic-2.14.4.dist-info"):
        (tmp_path / name).mkdir()
    (tmp_path / "pydantic" / "__pycache__").mkdir()
    (tmp_path / "six.py").write_text("")
    (tmp_path / "typing_extensions.py").write_text("")
    layer_build.prune(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "pydantic", "pydantic-2.14.4.dist-info", "pydantic_core", "typing_extensions.py"]
    assert not (tmp_path / "pydantic" / "__pycache__").exists()


def test_cached_dependencies_are_reused_without_pip(tmp_path, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("fsrs==6.3.2\n")
    cache = tmp_path / "cache"
    built = layer_build.deps_dir(requirements, cache)
    built.mkdir(parents=True)
    (built.parent / layer_build.COMPLETE_MARKER).write_text("done")

    def no_network(*args, **kwargs):
        raise AssertionError("pip must not run when the cache is complete")

    monkeypatch.setattr(subprocess, "run", no_network)
    assert layer_build.build_dependencies(requirements, cache) == built


def test_build_installs_prunes_compiles_and_marks_complete(tmp_path, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("fsrs==6.3.2\n")
    calls = []
    real_run = subprocess.run

    def fake_pip(command, **kwargs):
        if "pip" not in command:         # the bytecode compiler runs for real
            return real_run(command, **kwargs)
        calls.append(command)
        target = Path(command[command.index("--target") + 1])
        (target / "fsrs").mkdir(parents=True)
        (target / "fsrs" / "__init__.py").write_text("")
        (target / "botocore").mkdir()
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", fake_pip)
    monkeypatch.setattr(bytecode, "interpreter", lambda: sys.executable)
    built = layer_build.build_dependencies(requirements, tmp_path / "cache")
    assert len(calls) == 1
    assert sorted(p.name for p in built.iterdir()) == ["fsrs"]
    assert (built / "fsrs" / "__pycache__" / f"__init__.{sys.implementation.cache_tag}.pyc").is_file()
    assert (built.parent / layer_build.COMPLETE_MARKER).is_file()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [built.parent.name]   # no leftovers


def test_failed_pip_leaves_no_cache_and_says_why(tmp_path, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("fsrs==6.3.2\n")
    monkeypatch.setattr(subprocess, "run",
                        lambda command, **kw: subprocess.CompletedProcess(command, 1, "", "No matching distribution"))
    with pytest.raises(RuntimeError, match="No matching distribution"):
        layer_build.build_dependencies(requirements, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


@pytest.mark.parametrize("compiled", [True, False])
def test_assemble_without_dependencies_holds_only_our_code(tmp_path, monkeypatch, compiled):
    source = fake_source(tmp_path)
    monkeypatch.setattr(bytecode, "interpreter", lambda: sys.executable if compiled else None)
    out = layer_build.assemble(tmp_path / "out", "none", source=source)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    tag = sys.implementation.cache_tag
    pycs = [f"speakpho/__pycache__/__init__.{tag}.pyc", f"speakpho/__pycache__/tables.{tag}.pyc"]
    assert files == sorted(["speakpho/__init__.py", "speakpho/tables.py"] + (pycs if compiled else []))


def test_assemble_with_dependencies_adds_the_cached_tree(tmp_path):
    source = fake_source(tmp_path)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("fsrs==6.3.2\n")
    cache = tmp_path / "cache"
    deps = layer_build.deps_dir(requirements, cache)
    (deps / "fsrs").mkdir(parents=True)
    (deps / "fsrs" / "__init__.py").write_text("VERSION = 6\n")
    (deps.parent / layer_build.COMPLETE_MARKER).write_text("done")
    out = layer_build.assemble(tmp_path / "out", "pip", source=source, requirements=requirements, cache_root=cache)
    assert (out / "fsrs" / "__init__.py").read_text() == "VERSION = 6\n"
    assert (out / "speakpho" / "tables.py").is_file()


def test_asset_hash_follows_code_mode_and_requirements(tmp_path):
    source = fake_source(tmp_path)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("fsrs==6.3.2\n")
    base = layer_build.content_hash("pip", requirements, source)
    assert layer_build.content_hash("none", requirements, source) != base
    (source / "speakpho" / "tables.py").write_text("TABLES = (1,)\n")
    changed = layer_build.content_hash("pip", requirements, source)
    assert changed != base
    requirements.write_text("fsrs==6.3.3\n")
    assert layer_build.content_hash("pip", requirements, source) != changed
    (source / "speakpho" / "__pycache__" / "tables.cpython-311.pyc").write_bytes(b"\1")
    assert layer_build.content_hash("pip", requirements, source) == layer_build.content_hash("pip", requirements, source)


def test_built_cache_if_present_is_for_the_lambda_platform():
    built = layer_build.deps_dir()
    if not (built.parent / layer_build.COMPLETE_MARKER).is_file():
        pytest.skip("layer dependencies not built on this machine yet (npx cdk synth builds them)")
    compiled = [p.name for p in (built / "pydantic_core").glob("*.so")]
    assert compiled and all("cpython-312-x86_64-linux-gnu" in name for name in compiled)
    assert not (built / "botocore").exists() and not (built / "boto3").exists()
    assert (built / "aws_lambda_powertools").is_dir() and (built / "fsrs").is_dir()


def test_settings_from_context_parse_cli_strings():
    from aws_cdk import App

    app = App(context={"staleAfterSeconds": "300", "abnormalCloseSharePercent": "12.5",
                       "callbackUrls": "https://a.example/cb, https://b.example/cb", "alarmTopicArn": ""})
    settings = StackSettings.from_context(app)
    assert settings.stale_after_seconds == 300
    assert settings.abnormal_close_share_percent == 12.5
    assert settings.callback_urls == ("https://a.example/cb", "https://b.example/cb")
    assert settings.alarm_topic_arn == "" and settings.sweep_every_minutes == 2


@pytest.mark.parametrize("context, env", [
    ({}, ("60", "180", "300")),                                                   # speakpho.config's defaults
    ({"heartbeatIntervalSeconds": "30"}, ("30", "90", "150")),                    # the windows follow the interval
    ({"heartbeatIntervalSeconds": "30", "staleAfterSeconds": "120"}, ("30", "120", "150")),   # a given window wins
    ({"sweepBucketSeconds": "600"}, ("60", "180", "600")),
])
def test_the_heartbeat_timing_from_context_derives_as_the_functions_do(context, env):
    from aws_cdk import App

    timing = StackSettings.from_context(App(context=context)).timing_environment()
    assert (timing["HEARTBEAT_INTERVAL_SECONDS"], timing["STALE_AFTER_SECONDS"], timing["SWEEP_BUCKET_SECONDS"]) == env


def test_a_heartbeat_interval_out_of_range_is_refused_at_synth():
    from aws_cdk import App

    with pytest.raises(ValueError, match="heartbeat_interval_seconds"):
        StackSettings.from_context(App(context={"heartbeatIntervalSeconds": "0"}))


def test_lifetime_bounds_come_from_context_with_the_apps_defaults():
    """TRANSCRIPT_RETENTION_DAYS and CORRECTIONS_LIMIT (docs/learning.md "Lifetime bounds"):
    speakpho.config's defaults without context, the context's values from `-c key=value`."""
    from aws_cdk import App

    default = StackSettings.from_context(App())
    assert (default.transcript_retention_days, default.corrections_limit) == (365, 10_000)
    given = StackSettings.from_context(App(context={"transcriptRetentionDays": "30", "correctionsLimit": "500"}))
    assert (given.transcript_retention_days, given.corrections_limit) == (30, 500)


def test_the_synthesised_functions_get_the_lifetime_bounds(synth):
    """Every function's environment carries both (the end and the learning area read them)."""
    functions = synth.template.find_resources("AWS::Lambda::Function")
    envs = [f["Properties"]["Environment"]["Variables"] for f in functions.values()
            if "POWERTOOLS_SERVICE_NAME" in f["Properties"].get("Environment", {}).get("Variables", {})]
    assert envs and all((e["TRANSCRIPT_RETENTION_DAYS"], e["CORRECTIONS_LIMIT"]) == ("365", "10000") for e in envs)


@pytest.mark.parametrize("context,message", [
    ({"layerDependencies": "docker"}, "layerDependencies"),
    ({"iteratorAgeMs": "soon"}, "iteratorAgeMs"),
    ({"transcriptRetentionDays": "0"}, "transcript_retention_days"),
    ({"correctionsLimit": "-1"}, "corrections_limit"),
])
def test_settings_reject_bad_context(context, message):
    from aws_cdk import App

    with pytest.raises(ValueError, match=message):
        StackSettings.from_context(App(context=context))


def _app_with_an_open_queue(monkeypatch, outdir: Path, nag, acknowledged: tuple[str, ...] = ()):
    """app.build_app as `cdk synth` runs it (cdk-nag registered by build_app itself), around a
    one-queue stack instead of the real one: a queue without DLQ or SSL policy carries the
    findings AwsSolutions-SQS3 and AwsSolutions-SQS4. A synth of it takes about a second."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_sqs as sqs

    import app as cdk_app
    from infra.nag import acknowledge

    def stack_with_an_open_queue(scope, name, **kwargs):
        stack = Stack(scope, name)
        queue = sqs.Queue(stack, "Open")
        for rule in acknowledged:
            acknowledge(queue, rule, "acknowledged by this test to show an acknowledgment lets the synth through")
        return stack

    monkeypatch.setattr(cdk_app, "SpeakPhoStack", stack_with_an_open_queue)
    app, stack = cdk_app.build_app(App(context={"nag": nag}, outdir=str(outdir)))
    assert stack.stack_name == "SpeakPho"
    return app


def validation_reports(outdir: Path) -> dict[str, dict]:
    """The synth's policy-validation report (written next to the template), by plugin name."""
    report = outdir / "validation-report.json"
    if not report.is_file():
        return {}
    return {r["pluginName"]: r for r in json.loads(report.read_text())["pluginReports"]}


def test_an_unacknowledged_cdk_nag_finding_stops_the_synth(monkeypatch, tmp_path):
    """cdk-nag 3 runs as a policy-validation plugin that app.build_app registers: its
    findings fail the synthesis itself, not only a separate check."""
    app = _app_with_an_open_queue(monkeypatch, tmp_path, nag=True)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    nag = validation_reports(tmp_path)["AwsSolutions"]
    assert nag["conclusion"] == "failure"
    assert {v["ruleName"] for v in nag["violations"]} == {"AwsSolutions-SQS3", "AwsSolutions-SQS4"}
    assert {c["constructPath"] for v in nag["violations"] for c in v["violatingConstructs"]} == \
        {"SpeakPho/Open/Resource"}


def test_acknowledged_findings_let_the_synth_through(monkeypatch, tmp_path):
    app = _app_with_an_open_queue(monkeypatch, tmp_path, nag=True,
                                  acknowledged=("AwsSolutions-SQS3", "AwsSolutions-SQS4"))
    app.synth()
    assert "AwsSolutions" not in validation_reports(tmp_path)


def test_nag_false_skips_cdk_nag(monkeypatch, tmp_path):
    app = _app_with_an_open_queue(monkeypatch, tmp_path, nag="false")
    app.synth()
    assert "AwsSolutions" not in validation_reports(tmp_path)


def test_the_real_synth_passed_every_validation_plugin(synth):
    """The shared synthesis (cdk.json context, nag on) wrote its validation report: no plugin
    failed, and the only finding left is the test-only layer warning."""
    reports = validation_reports(synth.outdir)
    assert reports, "the synthesis wrote no validation report"
    assert {name: r["conclusion"] for name, r in reports.items() if r["conclusion"] != "success"} == {}
    rules = {v["ruleName"] for r in reports.values() for v in r["violations"]}
    assert rules == {"Annotation::speakpho:layer-without-dependencies"}

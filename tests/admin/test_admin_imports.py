"""What each admin Lambda loads at init, in a fresh interpreter: the stream processor loads
the rollup cells, the ledger and its own small store, nothing of the admin API; both
handlers refuse to start in Lambda without the table variables they use; and the domain
package reaches its stores through admin.health.ports only."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHONPATH = os.pathsep.join(str(p) for p in (ROOT, ROOT / "layers" / "common" / "python", ROOT / "functions"))
# Records which module first imports pydantic (the frame that is not importlib's own).
PROBE = """
import json, sys
importers = []
class Probe:
    def find_spec(self, name, path=None, target=None):
        if name == "pydantic":
            frame = sys._getframe(1)
            while frame and frame.f_globals.get("__name__", "").startswith(("importlib", "_frozen_importlib")):
                frame = frame.f_back
            importers.append(frame.f_globals.get("__name__") if frame else None)
        return None
sys.meta_path.insert(0, Probe())
import {module}
print(json.dumps({{"modules": sorted(sys.modules), "pydantic_importers": importers}}))
"""
TABLE_VARIABLES = {"USAGE_PERIODS_TABLE": "up", "SESSIONS_TABLE": "s", "SESSION_EVENTS_TABLE": "e",
                   "SESSION_MESSAGES_TABLE": "m", "CORRECTIONS_TABLE": "c", "SESSION_ROLLUPS_TABLE": "r"}


def run(module: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.endswith("_TABLE") and k != "AWS_LAMBDA_FUNCTION_NAME"}
    return subprocess.run([sys.executable, "-c", PROBE.format(module=module)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60,
                          env={**base, "PYTHONPATH": PYTHONPATH, "AWS_DEFAULT_REGION": "us-east-1",
                               "POWERTOOLS_TRACE_DISABLED": "true", **env})


def loaded(module: str) -> dict:
    """Imported as in Lambda, with every table variable set."""
    result = run(module, AWS_LAMBDA_FUNCTION_NAME="fn", **TABLE_VARIABLES)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_stream_lambda_loads_only_cells_reliability_the_ledger_and_its_store():
    found = loaded("admin.rollups")
    admin = {m for m in found["modules"] if m == "admin" or m.startswith("admin.")}
    assert admin == {"admin", "admin.rollups", "admin.rollup_store", "admin.health", "admin.health.cells",
                     "admin.health.reliability", "admin.health.latency", "admin.health.ledger"}
    # Not the API's models and views, nor the listing store or the routes.
    assert not {"speakpho.models", "speakpho.views", "speakpho.api"} & set(found["modules"])
    # Nor pydantic: the settings (speakpho.config) load with the first record, not at init.
    assert not found["pydantic_importers"], found["pydantic_importers"]
    assert "speakpho.config" not in found["modules"]


def test_the_admin_api_loads_its_routes_and_the_health_modules():
    found = loaded("admin.handler")
    assert {"admin.health_routes", "admin.health_store", "admin.health.listing", "admin.health.stats",
            "admin.health.export", "admin.health.detail"} <= set(found["modules"])
    assert "admin.rollup_store" not in found["modules"]


@pytest.mark.parametrize("module, variable", [
    ("admin.rollups", "SESSION_ROLLUPS_TABLE"),
    ("admin.handler", "SESSION_MESSAGES_TABLE"),
])
def test_in_lambda_a_missing_table_variable_fails_the_init_naming_it(module, variable):
    tables = {k: v for k, v in TABLE_VARIABLES.items() if k != variable}
    refused = run(module, AWS_LAMBDA_FUNCTION_NAME="fn", **tables)
    assert refused.returncode != 0
    assert f"{variable} is not set" in refused.stderr


def test_the_domain_package_imports_no_store_and_no_botocore():
    """admin.health speaks to stores through admin.health.ports only."""
    import ast

    forbidden = ("botocore", "boto3", "admin.health_store", "admin.rollup_store", "speakpho.ddb")
    for path in sorted((ROOT / "functions" / "admin" / "health").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not [n for n in names if n.startswith(forbidden)], (path.name, names)


@pytest.mark.parametrize("port, store", [
    ("SessionPages", "admin.health_store.HealthStore"),
    ("SessionDetails", "admin.health_store.HealthStore"),
    ("RollupLedger", "admin.rollup_store.RollupStore"),
])
def test_the_stores_implement_their_ports(port, store):
    import importlib
    import inspect

    from admin.health import ports

    module, _, name = store.rpartition(".")
    implementation = getattr(importlib.import_module(module), name)
    interface = getattr(ports, port)
    methods = {m for c in interface.__mro__ if c.__module__ == ports.__name__
               for m, v in vars(c).items() if callable(v) and not m.startswith("_")}
    assert methods
    for method in methods:
        expected = list(inspect.signature(getattr(interface, method)).parameters.values())
        actual = list(inspect.signature(getattr(implementation, method)).parameters.values())
        # The same parameters; an implementation may add optional ones after them.
        assert [(p.name, p.kind) for p in actual[:len(expected)]] == [(p.name, p.kind) for p in expected], method
        assert all(p.default is not p.empty for p in actual[len(expected):]), method

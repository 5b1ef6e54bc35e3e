"""A Lambda's init, in a fresh interpreter as Lambda starts one: a table variable missing
fails the import naming it; with exactly the handler's tables set it imports; SnapStart's
warm-up builds what the first request would otherwise build."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from apitest import ROOT
from speakpho.tables import TABLES

ENV_NAMES = {spec.logical_name: spec.env_name for spec in TABLES}
# The tables each function names at init (infra/constructs/functions.py grants it the same).
USES = {
    "session.handler": ("usage_periods", "sessions", "session_events", "session_messages", "corrections",
                        "idempotency"),
    "learning.handler": ("corrections", "session_messages", "sessions", "idempotency", "usage_periods"),
    "session.sweeper": ("usage_periods", "sessions", "session_events"),
}


def _run(code: str, tables: set[str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_TABLE")}
    env.update({ENV_NAMES[t]: f"deployed-{t}" for t in tables})
    env["AWS_LAMBDA_FUNCTION_NAME"] = "speakpho-test"
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (ROOT, ROOT / "layers" / "common" / "python",
                                                         ROOT / "functions"))
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("module, missing", [
    ("session.handler", "idempotency"),
    ("learning.handler", "usage_periods"),
    ("session.sweeper", "sessions"),
])
def test_init_fails_naming_a_missing_table_variable(module, missing):
    result = _run(f"import {module}", set(USES[module]) - {missing})
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("speakpho.table_env.MissingTableVariable") and ENV_NAMES[missing] in last, last


@pytest.mark.parametrize("module", sorted(USES))
def test_init_succeeds_with_exactly_its_tables(module):
    code = (f"import {module}\n"
            "from speakpho.config import get_settings\n"
            "print(sorted(get_settings().table_names.items()))")
    result = _run(code, set(USES[module]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(sorted((t, f"deployed-{t}") for t in USES[module]))


def test_snapshot_warm_up_builds_the_client_and_the_validators():
    """What SnapStart runs before its snapshot: after it, the first request has nothing left to build."""
    code = """
from speakpho.aws import dynamodb_client
from speakpho.deps import metering_store
from speakpho.models import EndSessionRequest, SessionRef, StartSessionRequest, SwitchProviderRequest
import session.handler

models = (StartSessionRequest, SessionRef, SwitchProviderRequest, EndSessionRequest)
assert not any(m.__pydantic_complete__ for m in models)
assert dynamodb_client.cache_info().currsize == metering_store.cache_info().currsize == 0
session.handler.warm_before_snapshot()
assert all(m.__pydantic_complete__ for m in models)
assert dynamodb_client.cache_info().currsize == metering_store.cache_info().currsize == 1
"""
    result = _run(code, set(USES["session.handler"]))
    assert result.returncode == 0, result.stderr


def test_no_secret_goes_into_the_snapshot_and_a_restore_forgets_cached_ones():
    """The runtime's hooks, as Lambda calls them: the warm-up reads no provider key (Powertools
    Parameters is not even imported), and the after-restore hook clears Parameters' cache."""
    code = """
import sys, types
hooks = {}
runtime = types.ModuleType("snapshot_restore_py")
runtime.register_before_snapshot = lambda f: hooks.setdefault("before", f)
runtime.register_after_restore = lambda f: hooks.setdefault("after", f)
sys.modules["snapshot_restore_py"] = runtime
import session.handler
hooks["before"]()
assert "aws_lambda_powertools.utilities.parameters" not in sys.modules
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.base import DEFAULT_PROVIDERS
provider = parameters.SecretsProvider()   # holding a value, as a secret read before a snapshot would
DEFAULT_PROVIDERS["secrets"] = provider
provider.store[("k", "text", False)] = type("C", (), {"value": "cached", "ttl": 10**12})()
hooks["after"]()
assert "secrets" not in DEFAULT_PROVIDERS or not DEFAULT_PROVIDERS["secrets"].store
"""
    result = _run(code, set(USES["session.handler"]))
    assert result.returncode == 0, result.stderr


def test_the_learning_warm_up_builds_its_client_validators_and_scheduler():
    code = """
import sys
from speakpho.aws import dynamodb_client
from learning.learning_store import learning_store
from learning.requests import CorrectionReview, CorrectionsImport
import learning.handler

models = (CorrectionReview, CorrectionsImport)
assert not any(m.__pydantic_complete__ for m in models)
assert dynamodb_client.cache_info().currsize == learning_store.cache_info().currsize == 0
assert "fsrs" not in sys.modules
learning.handler.warm_before_snapshot()
assert all(m.__pydantic_complete__ for m in models)
assert dynamodb_client.cache_info().currsize == learning_store.cache_info().currsize == 1
assert "fsrs" in sys.modules
"""
    result = _run(code, set(USES["learning.handler"]))
    assert result.returncode == 0, result.stderr

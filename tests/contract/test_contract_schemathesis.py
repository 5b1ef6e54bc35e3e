"""Schemathesis against the local runner, from docs/openapi.json (the document clients are
generated from; test_contract_openapi.py keeps it equal to what the routes generate).

Two runs, every check (`--checks all`), a fixed seed: a learner's token on every route outside
/api/admin, an admin's on the admin routes (a learner there only ever gets 403, which the admin
tests hold). Zero failures: no server error, no undocumented status, no answer that breaks its
schema, no schema-valid request refused and no invalid one accepted. Settings in
schemathesis.toml, hooks in schemathesis_hooks.py. To replay a run by hand:

    make dev   # then, with TOKEN=$(make -s token SUB=alice):
    CONTRACT_TOKEN=$TOKEN SCHEMATHESIS_HOOKS=tests/contract/schemathesis_hooks.py \\
      .venv/bin/schemathesis --config-file tests/contract/schemathesis.toml run docs/openapi.json \\
      --url http://127.0.0.1:3000 --checks all --seed 20261130 --max-examples 15 --workers 1 \\
      --exclude-path-regex '^/api/admin/'
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from local import tokens

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# Fixed; CONTRACT_SEED and CONTRACT_EXAMPLES explore further (e.g. before changing the contract).
SEED = int(os.environ.get("CONTRACT_SEED", "20261130"))
MAX_EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "15"))   # per operation; both runs: about a minute
ADMIN_PATHS = "^/api/admin/"


def schemathesis(base: str, token: str, *selection: str, cwd: Path) -> subprocess.CompletedProcess:
    # One worker: schemathesis' workers are threads, and CPython 3.11 can fail parsing in
    # threads ("AST constructor recursion depth mismatch"); the runner serves one request at a time.
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(HERE / "schemathesis.toml"),
               "run", str(ROOT / "docs" / "openapi.json"), "--url", base, "--checks", "all",
               "--seed", str(SEED), "--max-examples", str(MAX_EXAMPLES), "--workers", "1", "--no-color",
               *selection]
    env = {**os.environ, "CONTRACT_TOKEN": token, "SCHEMATHESIS_HOOKS": str(HERE / "schemathesis_hooks.py"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers/common/python"), str(ROOT / "functions")])}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("role, selection", [
    ("learner", ("--exclude-path-regex", ADMIN_PATHS)),
    ("admin", ("--include-path-regex", ADMIN_PATHS)),
])
def test_schemathesis_finds_nothing(contract_runner, tmp_path, role, selection):
    sub = f"contract-{role}-{uuid.uuid4().hex[:8]}"
    token = tokens.mint(sub, groups=["admin"] if role == "admin" else [])
    started = time.monotonic()
    run = schemathesis(contract_runner, token, *selection, cwd=tmp_path)
    took = time.monotonic() - started
    summary = run.stdout[run.stdout.find("=== SUMMARY"):] if "=== SUMMARY" in run.stdout else run.stdout[-3000:]
    print(f"schemathesis as {role}, seed {SEED}, {MAX_EXAMPLES} examples: {took:.0f} s\n{summary}")
    assert run.returncode == 0, (f"schemathesis found failures as {role} (seed {SEED}):\n"
                                 f"{run.stdout}\n{run.stderr[-3000:]}")
    assert " passed" in run.stdout and "generated" in run.stdout, run.stdout

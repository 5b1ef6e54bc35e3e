"""The contract tests' local runner: `python -m local.server` on a free port, on a dynoxide of
its own (so that no other test's sessions, nor a sweep, meet the schemathesis runs)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from local import dynoxide

ROOT = Path(__file__).resolve().parents[2]
PYTHONPATH = os.pathsep.join([str(ROOT), str(ROOT / "layers/common/python"), str(ROOT / "functions")])


@pytest.fixture(scope="session")
def contract_runner(tmp_path_factory):
    try:
        engine, endpoint = dynoxide.start()
    except dynoxide.DynoxideUnavailable as exc:
        pytest.fail(str(exc))
    port = dynoxide.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")}
    env.update({"PORT": str(port), "DYNAMODB_ENDPOINT": endpoint, "LOCAL_QUIET": "1", "PYTHONPATH": PYTHONPATH})
    log = tmp_path_factory.mktemp("runner") / "runner.log"   # a pipe nobody reads could fill up
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "local.server"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/config.json", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None:
                engine.terminate()
                pytest.fail("local runner exited: " + log.read_text())
            time.sleep(0.2)
    else:
        proc.kill()
        engine.terminate()
        pytest.fail("local runner did not start")
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    engine.terminate()
    engine.wait(timeout=5)

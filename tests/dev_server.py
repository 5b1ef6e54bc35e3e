"""The one way a test runs `python -m local.server` (what `make dev` runs) in its own process.

Its output goes to a file, never to a pipe: a pipe nobody reads fills up (64 KB of logs) and
the server then hangs inside a write, which a test sees as a request timing out. The file is
what a failure shows.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from local import dynoxide

ROOT = Path(__file__).resolve().parents[1]
PYTHONPATH = os.pathsep.join([str(ROOT), str(ROOT / "layers/common/python"), str(ROOT / "functions")])
# What the test process's environment may hold that would change which store the server uses.
NOT_INHERITED = ("DYNAMODB_ENDPOINT", "DEV_DB_PATH", "FAULTS", "FAULT_SEED")


class DevServer:
    """The local runner on a free port. `env` adds variables (None leaves one out); by default
    it keeps its data in memory on its own engine, like `MEMORY=1 make dev`."""

    def __init__(self, log: Path, **env: str | None) -> None:
        self.port = dynoxide.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        environment = {k: v for k, v in os.environ.items()
                       if not k.startswith("POWERTOOLS_") and k not in NOT_INHERITED}
        environment.update({"PORT": str(self.port), "LOCAL_QUIET": "1", "PYTHONPATH": PYTHONPATH})
        environment.update({k: str(v) for k, v in env.items() if v is not None})
        with open(log, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "local.server"], cwd=ROOT, env=environment,
                                         stdout=out, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def _wait(self, ready, what: str, timeout: float) -> "DevServer":
        deadline = time.monotonic() + timeout
        while not ready():
            if self.proc.poll() is not None:
                pytest.fail(f"local runner exited ({self.proc.returncode}):\n{self.output()}")
            if time.monotonic() > deadline:
                self.proc.kill()
                pytest.fail(f"local runner: no {what} within {timeout:.0f} s:\n{self.output()}")
            time.sleep(0.1)
        return self

    def wait_ready(self, timeout: float = 60) -> "DevServer":
        """Until it serves a page (/config.json)."""
        def serving() -> bool:
            try:
                with urllib.request.urlopen(self.base + "/config.json", timeout=2) as answer:
                    return answer.status == 200
            except OSError:
                return False
        return self._wait(serving, "answer", timeout)

    def wait_for_output(self, text: str, timeout: float = 60) -> "DevServer":
        return self._wait(lambda: text in self.output(), repr(text), timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "DevServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def own_dynoxide():
    """A dynoxide of the caller's own (its endpoint): no other test's sessions in its tables,
    nor a backlog of their stream records for the runner's stream pump to get through."""
    try:
        engine, endpoint = dynoxide.start()
    except dynoxide.DynoxideUnavailable as exc:
        pytest.fail(str(exc))
    try:
        yield endpoint
    finally:
        engine.terminate()
        engine.wait(timeout=5)

"""Browser-test fixtures: the local runner in a subprocess on a free port, seeded through
its HTTP API, and headless Chromium from Debian's `chromium` package driven by Playwright
(executable_path set: Playwright's own browser download is never used)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_env import CHROMIUM, LAUNCH_ARGS, ROOT  # noqa: E402
from browser_seed import ADMIN, Http, seed, wait_for_rollups  # noqa: E402

IGNORED_CONSOLE = ("Failed to load resource",)  # HTTP error statuses are asserted by the tests themselves


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Runner:
    base: str
    process: subprocess.Popen
    log: Path


@pytest.fixture(scope="session")
def runner(tmp_path_factory):
    """`python -m local.server` on a free port, as `make dev` runs it (own process: own moto, own clock)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("runner") / "server.log"
    env = {**os.environ, "PORT": str(port), "LOCAL_QUIET": "1", "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "common" / "python"),
                                          str(ROOT / "functions")])}
    env.pop("DYNAMODB_ENDPOINT", None)
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "local.server"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"local runner exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base + "/config.json", timeout=2) as res:
                if res.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"local runner did not answer within 60 s:\n{log.read_text()}")
        time.sleep(0.1)
    # Warm up: the first call of each area imports its handler; do it before any page waits on it.
    http = Http(base)
    for client, path in ((http.as_user("warmup"), "/api/usage"), (http.as_user("warmup"), "/api/learning/review"),
                         (http.as_user("warmup", admin=True), "/api/admin/sessions")):
        reply = client.call("GET", path)
        assert reply.status == 200, (path, reply.status, reply.body[:300])
    yield Runner(base, process, log)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def seeded(runner):
    data = seed(runner.base)
    stats = wait_for_rollups(Http(runner.base).as_user(ADMIN, admin=True), data.total_sessions)
    assert stats["totalSessions"] == data.total_sessions, stats
    return data


@pytest.fixture(scope="session")
def browser_context():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser-deps` "
                    "(apt-get install chromium) or set CHROMIUM_PATH")
    from playwright.sync_api import sync_playwright

    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # generous: `make test` runs other tests on the other core
    profile = tempfile.mkdtemp(prefix="speakpho-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS,
            viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="UTC",
            accept_downloads=True)
        context.set_default_timeout(15_000)
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context):
    """A fresh tab (its own sessionStorage, so its own sign-in). Fails the test on any
    script error or console error (a CSP violation, an uncaught exception)."""
    tab = browser_context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    tab.on("console", lambda msg: msg.type == "error" and not msg.text.startswith(IGNORED_CONSOLE)
           and problems.append(f"console error: {msg.text}"))
    yield tab
    tab.close()
    assert not problems, problems


@pytest.fixture
def fresh_month(runner):
    """The runner's clock moved forward to the 10th of a month no test has used (ahead of this
    machine's clock too): the test's periods start empty, none of its sessions crosses a month,
    and the browser's times are never ahead of the server's. (The seed moves the clock back to
    its fixed dates; sessions made here are then in the future, outside the admin's default range.)"""
    from browser_helpers import fresh_month_ms, move_clock_to

    http = Http(runner.base)
    before = http.advance(0)
    yield move_clock_to(http, fresh_month_ms(before))
    # Back to where the other tests of this runner left it (the admin pages' default range is
    # the seven days before the runner's "now": a month ahead they would show none of the seed).
    move_clock_to(http, before)

"""Browser-test fixtures: the local runner in a subprocess on a free port, seeded through
its HTTP API, and headless Chromium from Debian's `chromium` package driven by Playwright
(executable_path set: Playwright's own browser download is never used)."""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from dev_server import DevServer

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_env import CHROMIUM, LAUNCH_ARGS  # noqa: E402
from browser_seed import ADMIN, Http, seed, seeded_corrections, wait_for_mistakes, wait_for_rollups  # noqa: E402

IGNORED_CONSOLE = ("Failed to load resource",)  # HTTP error statuses are asserted by the tests themselves


@pytest.fixture(scope="session")
def runner(tmp_path_factory):
    """`python -m local.server` on a free port, as `make dev` runs it (own process: own moto, own clock)."""
    # No sweep by itself: the tests move the dev clock by months (fresh_month) and the seed keeps a
    # live session for the admin page; the sweeper's own runs are tested in tests/local.
    server = DevServer(tmp_path_factory.mktemp("runner") / "server.log", PYTHONDONTWRITEBYTECODE="1",
                       SWEEP_EVERY_MINUTES="0")
    base = server.wait_ready().base
    # Warm up: the first call of each area imports its handler; do it before any page waits on it.
    http = Http(base)
    for client, path in ((http.as_user("warmup"), "/api/usage"), (http.as_user("warmup"), "/api/learning/review"),
                         (http.as_user("warmup", admin=True), "/api/admin/sessions")):
        reply = client.call("GET", path)
        assert reply.status == 200, (path, reply.status, reply.body[:300])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seeded(runner):
    data = seed(runner.base)
    admin = Http(runner.base).as_user(ADMIN, admin=True)
    stats = wait_for_rollups(admin, data.total_sessions)
    assert stats["totalSessions"] == data.total_sessions, stats
    mistakes = wait_for_mistakes(admin, seeded_corrections(data))   # the corrections stream's pump delivered
    assert sum(mistakes["byCategory"].values()) == seeded_corrections(data), mistakes
    return data


@pytest.fixture(scope="session")
def playwright():
    """One Playwright driver for the run (a second sync one may not start while one runs): the
    shared Chromium below and the voice tests' own (voice_helpers.py) both launch from it."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser-deps` "
                    "(apt-get install chromium) or set CHROMIUM_PATH")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser_context(playwright):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # generous: `make test` runs other tests on the other core
    profile = tempfile.mkdtemp(prefix="speakpho-chromium-")
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS,
        viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="UTC",
        accept_downloads=True)
    context.set_default_timeout(15_000)
    yield context
    context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def clean_local_storage(browser_context, runner):
    """The browser profile is shared by the whole run: a test that leaves something in the
    origin's localStorage (a queued end, old-page corrections) clears it when done."""
    yield
    tab = browser_context.new_page()
    tab.goto(runner.base + "/config.json")
    tab.evaluate("localStorage.clear()")
    tab.close()


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

"""Shared fixtures: in-memory DynamoDB (moto) built from the stack's own table
definitions, a frozen clock, and an HTTP-like client that goes through the local
API Gateway to the deployed handlers."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "layers" / "common" / "python", ROOT / "functions", ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "SpeakPho")

from apitest import T0, ApiClient, fresh_tables  # noqa: E402  (tests/ is on sys.path from here on)


@pytest.fixture
def clock():
    from speakpho.clock import clock as shared_clock

    shared_clock.set(T0)
    yield shared_clock
    shared_clock.set(None)


@pytest.fixture
def settings_env(monkeypatch):
    """Sets settings from their environment variables (speakpho.config.ENV_NAMES) for one test,
    e.g. `settings_env(STARTS_PER_HOUR=30)`; the cached settings are forgotten before and after."""
    from speakpho.config import reset_settings

    def apply(**env) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, str(value))
        reset_settings()

    yield apply
    reset_settings()


@pytest.fixture
def dynamodb(monkeypatch):
    """Moto DynamoDB with every table created from speakpho.tables."""
    from moto import mock_aws

    monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    with mock_aws(), fresh_tables() as client:
        yield client


@pytest.fixture
def providers():
    """In-memory provider ports (tests/provider_fakes.py) behind every handler for this test:
    both providers available; what each was asked is recorded."""
    from provider_fakes import fake_ports
    from speakpho import deps

    ports = fake_ports()
    deps.use_provider_ports(ports)
    yield ports
    deps.use_provider_ports(None)


@pytest.fixture
def api(dynamodb, clock, providers):
    from local.gateway import Gateway

    return ApiClient(Gateway())


@pytest.fixture
def lambda_logs(api):
    """What the HTTP Lambdas log during the test: `lambda_logs()` is the list of their JSON log
    records so far, parsed. Each area handler is loaded (creating its Powertools Logger) and the
    stream of every Powertools handler is swapped for a buffer until the test ends."""
    import io
    import json
    import logging

    from infra.catalog import AREAS

    for area in AREAS:
        api.gateway.handler_for(area.handler)
    buffer = io.StringIO()
    loggers = [lg for lg in list(logging.Logger.manager.loggerDict.values()) if isinstance(lg, logging.Logger)]
    handlers = {getattr(lg, "powertools_handler") for lg in loggers if getattr(lg, "powertools_handler", None)}
    previous = {handler: handler.stream for handler in handlers}
    for handler in handlers:
        handler.setStream(buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]
    finally:
        for handler, stream in previous.items():
            handler.setStream(stream)


@pytest.fixture(scope="session")
def dynoxide_endpoint():
    """A dynoxide server (real conditional writes, DynamoDB's limits) for this test run."""
    from local import dynoxide

    try:
        proc, endpoint = dynoxide.start()
    except dynoxide.DynoxideUnavailable as exc:
        pytest.fail(str(exc))
    yield endpoint
    proc.terminate()
    proc.wait(timeout=5)


# --------------------------------------------------------------------------- fault suite figures
# tests/faults writes its figures to bench/results/faults.json; shown here (this conftest is the
# one the xdist controller loads) when the suite ran in this session.
_SESSION_STARTED = [0.0]


def pytest_sessionstart(session):
    import time

    _SESSION_STARTED[0] = time.time()


def pytest_terminal_summary(terminalreporter):
    import json

    results = ROOT / "bench" / "results" / "faults.json"
    if not results.exists() or results.stat().st_mtime < _SESSION_STARTED[0]:
        return
    for row in json.loads(results.read_text()).get("seeds", []):
        terminalreporter.write_line(
            f"faults seed {row['seed']}: {row['lockedOut']}/{row['learners']} learners locked out, "
            f"{row['client']['conflicts409']} x 409 {row['client']['conflictsByCode']}, {row['client']['retries']} "
            f"client retries, {row['faults']['injected']} faults in {row['faults']['faultableRequests']} requests")

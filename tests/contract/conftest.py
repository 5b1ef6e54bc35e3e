"""The contract tests' local runner: `python -m local.server` on a free port, on a dynoxide of
its own (so that no other test's sessions, nor a sweep, meet the schemathesis runs).

The fuzzed learner starts hundreds of sessions and ends few: past the first few such sessions a
month each is charged the Gemini token it held (docs/metering.md), so a free plan's minutes
would run out within a run and every later start would only test the 402. A plan as large as
the fuzzing needs keeps the starts reaching the rest of the route."""
from __future__ import annotations

import pytest
from dev_server import DevServer, own_dynoxide


@pytest.fixture(scope="session")
def contract_runner(tmp_path_factory):
    with own_dynoxide() as endpoint, \
            DevServer(tmp_path_factory.mktemp("runner") / "runner.log", DYNAMODB_ENDPOINT=endpoint,
                      PLAN_MINUTES="free=100000,pro=100000") as server:
        yield server.wait_ready(30).base

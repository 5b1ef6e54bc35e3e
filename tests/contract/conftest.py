"""The contract tests' local runner: `python -m local.server` on a free port, on a dynoxide of
its own (so that no other test's sessions, nor a sweep, meet the schemathesis runs)."""
from __future__ import annotations

import pytest
from dev_server import DevServer, own_dynoxide


@pytest.fixture(scope="session")
def contract_runner(tmp_path_factory):
    with own_dynoxide() as endpoint, \
            DevServer(tmp_path_factory.mktemp("runner") / "runner.log", DYNAMODB_ENDPOINT=endpoint) as server:
        yield server.wait_ready(30).base

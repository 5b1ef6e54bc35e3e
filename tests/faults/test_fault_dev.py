"""`FAULTS=0.3 make dev`: the settings, the /local/faults route, and the runner itself started
as `make dev` starts it (dynoxide behind the proxy, the seed printed, stopped cleanly)."""
from __future__ import annotations

import re
import time

import pytest

from apitest import http_call, listening
from dev_server import DevServer
from local import dev_routes, tokens
from local.backend import fault_settings
from local.fault_proxy import FaultProxy

pytestmark = pytest.mark.faults


def test_fault_settings_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("FAULTS", raising=False)
    monkeypatch.delenv("FAULT_SEED", raising=False)
    assert fault_settings() is None
    monkeypatch.setenv("FAULTS", "0.3")
    rate, seed = fault_settings()
    assert rate == 0.3 and isinstance(seed, int)
    monkeypatch.setenv("FAULT_SEED", "7")
    assert fault_settings() == (0.3, 7)
    for bad_rate, bad_seed in (("lots", "7"), ("1.5", "7"), ("0.3", "seven")):
        monkeypatch.setenv("FAULTS", bad_rate)
        monkeypatch.setenv("FAULT_SEED", bad_seed)
        with pytest.raises(ValueError):
            fault_settings()


class Backend:
    def __init__(self, faults=None) -> None:
        self.faults = faults


def test_the_faults_route_answers_the_counts_and_changes_rate_and_seed():
    status, body = dev_routes.handle(Backend(), "GET", "/local/faults", b"")
    assert status == 404 and "FAULTS=0.3" in body["error"]["message"]
    proxy = FaultProxy("http://127.0.0.1:9", rate=0.3, seed=5)
    proxy.decide("GetItem")
    status, body = dev_routes.handle(Backend(proxy), "GET", "/local/faults", b"")
    assert status == 200 and body["data"]["seed"] == 5 and body["data"]["faultableRequests"] == 1
    status, body = dev_routes.handle(Backend(proxy), "POST", "/local/faults", b'{"rate": 0.5}')
    assert body["data"]["rate"] == 0.5 and body["data"]["faultableRequests"] == 1
    status, body = dev_routes.handle(Backend(proxy), "POST", "/local/faults", b'{"seed": 9}')
    assert body["data"]["seed"] == 9 and body["data"]["rate"] == 0.5 and body["data"]["faultableRequests"] == 0
    for raw in (b'{"rate": 2}', b'{"rate": true}', b'{"seed": "x"}'):
        assert dev_routes.handle(Backend(proxy), "POST", "/local/faults", raw)[0] == 400
    assert dev_routes.handle(Backend(proxy), "GET", "/local/clock", b"")[0] == 405






def test_make_dev_with_faults_runs_on_dynoxide_behind_the_proxy_and_stops_it(tmp_path):
    with DevServer(tmp_path / "server.log", FAULTS="0.3", FAULT_SEED="1234") as server:
        server.wait_for_output("/local/faults")
        output = server.output()
        proxied = re.search(r"DynamoDB: (http://\S+) through the fault proxy", output)
        assert proxied, output
        engine = proxied.group(1)
        seeded = next(line for line in output.splitlines() if "/local/faults" in line)
        assert "seed 1234" in seeded and f"{server.base}/local/faults" in seeded, seeded
        server.wait_ready(30)
        token = tokens.mint("faulty")
        answers = [http_call(server.base, "GET", "/api/usage", token=token)[0] for _ in range(6)]
        assert set(answers) <= {200, 500}, answers     # botocore's retries absorb nearly every fault
        status, counts = http_call(server.base, "GET", "/local/faults")
        assert status == 200 and counts["data"]["seed"] == 1234 and counts["data"]["faultableRequests"] >= 6
        assert counts["data"]["upstream"] == engine
    deadline = time.monotonic() + 5
    while listening(engine) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not listening(engine), "the dynoxide started for the proxy outlived the runner"

"""The dev backend behind `make dev`: DynamoDB (embedded moto, or DYNAMODB_ENDPOINT with any
missing tables created there), the local API Gateway calling the deployed handlers, and the
background jobs the stack runs in AWS (the sessions stream feeding the rollups).

With FAULTS=<rate> (and optionally FAULT_SEED=<n>) the handlers reach DynamoDB through
local/fault_proxy.py, on DYNAMODB_ENDPOINT or else on a dynoxide started here (moto runs
in-process, so there is nothing to put a proxy in front of). See docs/reliability.md.
"""
from __future__ import annotations

import os
import random

LOCAL_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
    "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "SpeakPho", "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def prepare_environment() -> None:
    """Credentials and Powertools settings for a local process (what is already set wins),
    and the layer and functions on sys.path."""
    for key, value in LOCAL_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    from infra.catalog import ensure_import_paths

    ensure_import_paths()


def fault_settings() -> tuple[float, int] | None:
    """(rate, seed) from FAULTS and FAULT_SEED; None when FAULTS is unset. A missing seed is drawn."""
    raw = os.environ.get("FAULTS", "").strip()
    if not raw:
        return None
    try:
        rate = float(raw)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"FAULTS must be a fault rate between 0 and 1 (e.g. 0.3), not {raw!r}")
    seed = os.environ.get("FAULT_SEED", "").strip()
    if seed and not seed.lstrip("-").isdigit():
        raise ValueError(f"FAULT_SEED must be an integer, not {seed!r}")
    return rate, int(seed) if seed else random.SystemRandom().randrange(1_000_000)


class DevBackend:
    """The embedded backend: DynamoDB (moto or an endpoint), the gateway, background jobs."""

    def __init__(self) -> None:
        prepare_environment()
        self._mock = None
        self._engine = None     # a dynoxide started for the fault proxy
        self.faults = None      # the FaultProxy, when FAULTS is set
        faults = fault_settings()
        if faults:
            self._start_fault_proxy(*faults)
        if not os.environ.get("DYNAMODB_ENDPOINT"):
            from moto import mock_aws

            self._mock = mock_aws()
            self._mock.start()
        from local.gateway import Gateway
        from local.streams import StreamPump
        from speakpho import deps, idempotency
        from speakpho.aws import dynamodb_client
        from speakpho.tables import create_missing_tables

        deps.reset()
        idempotency.reset()
        self.client = dynamodb_client()
        self.created_tables = create_missing_tables(self.client)
        self.gateway = Gateway()
        # The sessions table's stream feeds the rollup processor, as the deployed event source
        # mapping does.
        self.stream_pump = StreamPump(self.gateway, self.client)
        self.jobs = [self.stream_pump]
        self.stream_pump.start()

    def _start_fault_proxy(self, rate: float, seed: int) -> None:
        from local import dynoxide
        from local.fault_proxy import FaultProxy

        upstream = os.environ.get("DYNAMODB_ENDPOINT")
        if not upstream:
            self._engine, upstream = dynoxide.start()
        self.faults = FaultProxy(upstream, rate=rate, seed=seed).start()
        os.environ["DYNAMODB_ENDPOINT"] = self.faults.url   # what the handlers' settings read

    def sweep(self) -> dict:
        """Runs the stale-session sweeper now, as its schedule does when deployed."""
        from infra.catalog import SWEEPER

        return self.gateway.invoke(SWEEPER.handler, {"source": "local", "detail-type": "Scheduled Event"},
                                   name="sweeper")

    def stop(self) -> None:
        for job in self.jobs:
            job.stop()
        if self._mock:
            self._mock.stop()
        if self.faults:
            self.faults.stop()
        if self._engine:
            self._engine.terminate()
            self._engine.wait(timeout=5)

"""The dev backend behind `make dev`: DynamoDB (embedded moto, or DYNAMODB_ENDPOINT with any
missing tables created there), the local API Gateway calling the deployed handlers, and the
background jobs the stack runs in AWS (the sessions stream feeding the rollups)."""
from __future__ import annotations

import os

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


class DevBackend:
    """The embedded backend: DynamoDB (moto or an endpoint), the gateway, background jobs."""

    def __init__(self) -> None:
        prepare_environment()
        self._mock = None
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

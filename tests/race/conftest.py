"""Race and limit tests run against dynoxide, a DynamoDB-compatible engine that applies
conditions and transactions atomically and enforces DynamoDB's request limits
(moto is not thread-safe and accepts requests real DynamoDB refuses)."""
from __future__ import annotations

import pytest



@pytest.fixture
def real_dynamodb(dynoxide_endpoint, monkeypatch):
    """Every table from speakpho.tables on dynoxide; the handlers use it via DYNAMODB_ENDPOINT."""
    monkeypatch.setenv("DYNAMODB_ENDPOINT", dynoxide_endpoint)
    from speakpho import deps, idempotency
    from speakpho.aws import dynamodb_client
    from speakpho.tables import create_missing_tables

    deps.reset()
    idempotency.reset()
    client = dynamodb_client()
    create_missing_tables(client)
    yield client
    deps.reset()
    idempotency.reset()

"""Race and limit tests run against dynoxide, a DynamoDB-compatible engine that applies
conditions and transactions atomically and enforces DynamoDB's request limits
(moto is not thread-safe and accepts requests real DynamoDB refuses)."""
from __future__ import annotations

import pytest

from apitest import fresh_tables


@pytest.fixture
def real_dynamodb(dynoxide_endpoint, monkeypatch):
    """Every table from speakpho.tables on dynoxide; the handlers use it via DYNAMODB_ENDPOINT."""
    monkeypatch.setenv("DYNAMODB_ENDPOINT", dynoxide_endpoint)
    with fresh_tables() as client:
        yield client

"""Shared fixtures: in-memory DynamoDB (moto) built from the stack's own table
definitions, a frozen clock, and an HTTP-like client that goes through the local
API Gateway to the deployed handlers."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "layers" / "common" / "python", ROOT / "functions"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "SpeakPho")

# 2026-11-10T12:00:00Z: mid-month, so tests that move the clock by hours stay in one period.
T0 = 1_794_312_000_000


@pytest.fixture
def clock():
    from speakpho.clock import clock as shared_clock

    shared_clock.set(T0)
    yield shared_clock
    shared_clock.set(None)


@pytest.fixture
def dynamodb(monkeypatch):
    """Moto DynamoDB with every table created from speakpho.tables."""
    from moto import mock_aws

    monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    with mock_aws():
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


class ApiClient:
    def __init__(self, gateway, token: str | None = None):
        self.gateway = gateway
        self.token = token

    def as_user(self, sub: str, *, admin: bool = False, email: str | None = None, groups=None) -> "ApiClient":
        from local import tokens

        return ApiClient(self.gateway, tokens.mint(sub, email=email, groups=groups or (["admin"] if admin else [])))

    def call(self, method: str, path: str, body=None, *, query: str = "", headers: dict | None = None,
             raw: str | None = None):
        h = {"Content-Type": "application/json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body, ensure_ascii=False) if body is not None else None)
        if "?" in path:
            path, query = path.split("?", 1)
        return self.gateway.request(method, path, query=query, headers=h, body=payload)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture
def api(dynamodb, clock):
    from local.gateway import Gateway

    return ApiClient(Gateway())


def data(response, status: int = 200):
    """The `data` of a success envelope, asserting the status first."""
    assert response.status == status, (response.status, response.body)
    body = response.json()
    assert body["success"] is True, body
    return body["data"]

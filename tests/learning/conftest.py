"""Fixtures of the learning tests (the root fixtures api, clock and dynamodb come from
tests/conftest.py): two learners, and the DynamoDB requests each call makes."""
from __future__ import annotations

import pytest

from apitest import count_requests


@pytest.fixture
def alice(api):
    return api.as_user("alice", email="alice@example.com")


@pytest.fixture
def bob(api):
    return api.as_user("bob", email="bob@example.com")


@pytest.fixture
def ddb_requests(dynamodb):
    """Counts every request the handlers send (local.ddb_meter.RequestMeter); reset() between calls."""
    with count_requests(dynamodb) as meter:
        yield meter


@pytest.fixture
def erasures(api, monkeypatch):
    """The erasure queue on moto and its runner (local/queue_runner.py), drained by the tests:
    `erasures.drain()` runs the erasure worker until the queue is empty."""
    from local.queue_runner import QueueRunner, provision_erasure_queue

    return QueueRunner(api.gateway, provision_erasure_queue(monkeypatch.setenv))

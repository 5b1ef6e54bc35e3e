"""Fixtures of the admin tests (plain helpers are in admin_helpers.py)."""
from __future__ import annotations

import pytest


@pytest.fixture
def pump(api, dynamodb):
    """The local stream pump feeding the rollups (drained by hand: pump.drain())."""
    from local.streams import StreamPump

    return StreamPump(api.gateway, dynamodb)


@pytest.fixture
def admin(api):
    return api.as_user("root", admin=True, email="root@example.com")

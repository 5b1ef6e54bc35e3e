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


# --------------------------------------------------------------------------- the known dataset
# admin_helpers.build_dataset's sessions, built once per module (they take seconds in moto):
# for tests that only read them.
@pytest.fixture(scope="module")
def dataset():
    from admin_helpers import dataset_environment

    yield from dataset_environment()


@pytest.fixture
def ids(dataset):
    return dataset.ids


@pytest.fixture
def dataset_admin(dataset):
    """The admin of the dataset's gateway, at the dataset's clock (T0)."""
    from apitest import T0

    from speakpho.clock import clock

    clock.set(T0)
    return dataset.api.as_user("root", admin=True, email="root@example.com")

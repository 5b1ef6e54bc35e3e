"""Every /api/admin route: 401 without a token, 403 without the admin group, and nothing
read or changed for a refused caller."""
from __future__ import annotations

import re

import pytest

from apitest import data

HEALTH_ROUTES = {
    ("GET", "/api/admin/sessions"),
    ("GET", "/api/admin/sessions/timeseries"),
    ("GET", "/api/admin/sessions/export.csv"),
    ("GET", "/api/admin/sessions/{id}"),
}


def admin_routes() -> list[tuple[str, str]]:
    from infra import catalog

    return [(r.method, r.path) for r in catalog.routes() if r.area == "admin"]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "someone", path)


def test_the_health_routes_are_admin_routes():
    routes = set(admin_routes())
    assert HEALTH_ROUTES <= routes
    assert all(path.startswith("/api/admin/") for _, path in routes)


@pytest.mark.parametrize("method, path", admin_routes())
def test_admin_route_without_a_token_is_401(api, method, path):
    response = api.call(method, concrete(path), {"secondsLimit": 60, "reason": "x"} if method == "PUT" else None)
    assert response.status == 401
    assert response.json()["success"] is False


@pytest.mark.parametrize("method, path", admin_routes())
def test_admin_route_with_a_bad_token_is_401(api, method, path):
    response = api.call(method, concrete(path), headers={"Authorization": "Bearer not.a.token"})
    assert response.status == 401


@pytest.mark.parametrize("method, path", admin_routes())
def test_admin_route_without_the_admin_group_is_403(api, method, path):
    learner = api.as_user("alice", email="alice@example.com", groups=["learners", "not-admin"])
    body = {"secondsLimit": 60, "reason": "x"} if method == "PUT" else None
    response = learner.call(method, concrete(path), body)
    assert response.status == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_a_refused_learner_sees_no_session_data(api, clock):
    alice = api.as_user("alice", email="alice@example.com")
    sid = data(alice.post("/api/session/start", {}), 201)["sessionId"]
    for path in ("/api/admin/sessions", f"/api/admin/sessions/{sid}", "/api/admin/sessions/export.csv",
                 "/api/admin/sessions/timeseries"):
        response = alice.get(path)
        assert response.status == 403
        assert sid not in response.body and "alice@example.com" not in response.body
    admin = api.as_user("root", admin=True)
    assert data(admin.get(f"/api/admin/sessions/{sid}"))["session"]["userId"] == "alice"

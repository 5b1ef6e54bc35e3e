"""Routing of the health routes: the literal paths (export.csv, timeseries) win over
/api/admin/sessions/{id} locally as when deployed, and an unknown id is 404."""
from __future__ import annotations

import pytest


def test_export_route_is_matched_before_the_session_id_route(admin):
    response = admin.get("/api/admin/sessions/export.csv")
    assert response.status == 200
    assert response.headers.get("Content-Type", "").startswith("text/csv")
    timeseries = admin.get("/api/admin/sessions/timeseries")
    assert timeseries.status == 200 and "series" in timeseries.json()["data"]


def test_deployed_routing_prefers_the_literal_resources():
    """API Gateway picks a literal resource over {id}; the local gateway must agree."""
    from infra import catalog

    for path in ("/api/admin/sessions/export.csv", "/api/admin/sessions/timeseries"):
        route, params = catalog.match("GET", path)
        assert route.path == path and params == {}
    route, params = catalog.match("GET", "/api/admin/sessions/abc.def")
    assert route.path == "/api/admin/sessions/{id}" and params == {"id": "abc.def"}


def test_detail_of_an_unknown_session_is_404(admin):
    response = admin.get("/api/admin/sessions/no-such-session")
    assert response.status == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", ["to=0001-01-03", "to=9999-12-31", "from=1999-12-31&to=2000-01-02"])
def test_a_day_outside_the_years_we_serve_is_refused_not_a_500(admin, query):
    response = admin.get("/api/admin/sessions", query=query)
    assert response.status == 422 and response.json()["error"]["code"] == "validation_error", response.body

"""`make dev` as a newcomer uses it: a real HTTP server, started here, against an external
DynamoDB-compatible endpoint (dynoxide) whose tables it creates itself."""
from __future__ import annotations

import time

import pytest

from apitest import http_call, listening
from dev_server import DevServer, own_dynoxide
from local import tokens


@pytest.fixture(scope="module")
def endpoint():
    """Its own: the shared one's stream holds other tests' records, a backlog the runner's
    stream pump would first get through (minutes after the race tests)."""
    with own_dynoxide() as url:
        yield url


@pytest.fixture(scope="module")
def runner(endpoint, tmp_path_factory):
    with DevServer(tmp_path_factory.mktemp("runner") / "server.log", DYNAMODB_ENDPOINT=endpoint) as server:
        yield server.wait_ready(30).base


def test_runner_creates_the_tables_on_the_endpoint(runner, endpoint):
    import botocore.session

    from speakpho.tables import TABLES

    client = botocore.session.get_session().create_client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x")
    names = set(client.list_tables()["TableNames"])
    assert {spec.logical_name for spec in TABLES} <= names


def test_auth_clock_sweep_and_stats_over_http(runner):
    user = f"http-{time.monotonic_ns()}"
    token = tokens.mint(user)
    admin = tokens.mint("root", groups=["admin"])
    assert http_call(runner, "GET", "/api/usage")[0] == 401
    assert http_call(runner, "GET", "/api/usage", token=token + "x")[0] == 401
    assert http_call(runner, "GET", "/api/usage", token=tokens.mint(user, ttl_seconds=-1))[0] == 401

    def stale_count():  # the sweeper ends a session as "timeout" (endedBy client_vanished)
        status, listed = http_call(runner, "GET", "/api/admin/sessions", token=admin)
        assert status == 200
        return listed["data"]["stats"]["endReasonBreakdown"].get("timeout", 0)

    stale_before = stale_count()
    status, started = http_call(runner, "POST", "/api/session/start", {"topic": "food"}, token=token)
    assert status == 201
    sid = started["data"]["sessionId"]
    status, moved = http_call(runner, "POST", "/local/clock", {"advanceSeconds": 60})
    assert status == 200
    status, hb = http_call(runner, "POST", "/api/session/heartbeat", {"sessionId": sid}, token=token)
    assert status == 200 and hb["data"]["sessionSeconds"] == 60
    assert http_call(runner, "POST", "/local/clock", {"advanceSeconds": "soon"})[0] == 400
    # Past its sweep deadline: the 180 s stale window after the heartbeat, rounded up to the 300 s bucket.
    http_call(runner, "POST", "/local/clock", {"advanceSeconds": 480})
    status, swept = http_call(runner, "POST", "/local/jobs/sweep")
    assert status == 200 and sid in swept["data"]["closed"]
    status, usage = http_call(runner, "GET", "/api/usage", token=token)
    assert usage["data"]["secondsUsed"] == 60 and usage["data"]["activeSessionId"] is None

    # The stream pump feeds the rollups (stats without a user filter come only from them):
    # the admin stats count the swept session within about a second.
    deadline = time.monotonic() + 5
    while stale_count() != stale_before + 1:
        assert time.monotonic() < deadline, "rollups did not count the swept session"
        time.sleep(0.2)
    assert http_call(runner, "GET", "/api/admin/sessions", token=token)[0] == 403


def test_dev_token_route_and_json_errors(runner):
    status, minted = http_call(runner, "POST", "/local/token", {"sub": "lan", "admin": True})
    assert status == 200 and tokens.verify(minted["data"]["token"])["cognito:groups"] == ["admin"]
    assert http_call(runner, "POST", "/local/token", {})[0] == 400
    status, body = http_call(runner, "POST", "/api/session/start", raw=b"{oops", token=tokens.mint("lan"))
    assert status == 422 and body["error"]["code"] == "validation_error"


@pytest.mark.parametrize("method, path", [
    ("TRACE", "/api/usage"), ("OPTIONS", "/api/session/start"), ("GET", "/api/session/start"),
    ("FOO", "/api/learning/history"), ("TRACE", "/api/nothing-here")])
def test_a_method_the_gateway_does_not_route_answers_as_the_gateway_does(runner, method, path):
    """Deployed, API Gateway answers its MISSING_AUTHENTICATION_TOKEN response, which the stack
    maps to 404 in our envelope; locally the same, never the standard library's 501 page."""
    status, body = http_call(runner, method, path, token=tokens.mint("alice"))
    assert (status, body) == (404, {"success": False, "error": {"code": "not_found", "message": "no such route"}})

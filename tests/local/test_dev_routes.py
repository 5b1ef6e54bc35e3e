"""The local runner's pieces without a server: the dev routes' answers (in the API's one
envelope) and the static files, as local.httpd sends them."""
from __future__ import annotations

import json

import pytest

from local import dev_routes, static, tokens
from speakpho.envelope import error_body, ok_body


class StubBackend:
    def __init__(self) -> None:
        from local.dev_clock import DevClockOffset

        self.sweeps = 0
        self.dev_clock = DevClockOffset(None)    # MEMORY=1: the offset is not kept

    def sweep(self) -> dict:
        self.sweeps += 1
        return {"closed": ["s1"]}


def post(path: str, body=None, *, raw: bytes | None = None, method: str = "POST", backend=None):
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    return dev_routes.handle(backend or StubBackend(), method, path, payload)


@pytest.mark.parametrize("method,path,raw,status,code", [
    ("GET", "/local/clock", b"", 405, "method_not_allowed"),
    ("POST", "/local/clock", b"{oops", 400, "bad_request"),
    ("POST", "/local/clock", b"[1, 2]", 400, "bad_request"),
    ("POST", "/local/clock", b'{"advanceSeconds": "soon"}', 400, "validation_error"),
    ("POST", "/local/clock", b'{"advanceSeconds": true}', 400, "validation_error"),
    ("POST", "/local/token", b"{}", 400, "validation_error"),
    ("POST", "/local/token", json.dumps({"sub": "x" * 129}).encode(), 400, "validation_error"),
    ("POST", "/local/nothing", b"", 404, "not_found"),
])
def test_refusals_use_the_error_envelope(method, path, raw, status, code):
    answer_status, body = post(path, raw=raw, method=method)
    assert answer_status == status
    assert body == error_body(code, body["error"]["message"], body["error"].get("details"))
    assert body["error"]["code"] == code


def test_clock_moves_the_shared_clock(clock):
    before = clock.now_ms()
    status, body = post("/local/clock", {"advanceSeconds": 90})
    assert status == 200 and body == ok_body({"now": before + 90_000}) and clock.now_ms() == before + 90_000


def test_sweep_runs_the_backends_sweeper():
    backend = StubBackend()
    assert post("/local/jobs/sweep", backend=backend) == (200, ok_body({"closed": ["s1"]}))
    assert backend.sweeps == 1


def test_optimise_runs_the_fsrs_optimiser_job_now():
    backend = StubBackend()
    backend.scheduled = type("Jobs", (), {"optimise": lambda self: {"optimised": 2, "failed": 0}})()
    assert post("/local/jobs/optimise", backend=backend) == (200, ok_body({"optimised": 2, "failed": 0}))


def test_token_mints_a_local_token():
    status, body = post("/local/token", {"sub": " lan ", "admin": True, "email": "lan@example.com"})
    assert status == 200 and body["success"] is True
    claims = tokens.verify(body["data"]["token"])
    assert (claims["sub"], claims["email"], claims["cognito:groups"]) == ("lan", "lan@example.com", ["admin"])
    assert body["data"]["groups"] == ["admin"] and body["data"]["sub"] == "lan"
    # The pages' dev sign-in: an admin token comes from the admin pool, verified by default.
    assert (claims["iss"], claims["email_verified"]) == (tokens.ADMIN_ISSUER, True)


def test_token_for_a_learner_with_an_unverified_email():
    status, body = post("/local/token", {"sub": "lan", "emailVerified": False})
    claims = tokens.verify(body["data"]["token"])
    assert status == 200 and body["data"]["groups"] == []
    assert (claims["iss"], claims["email_verified"]) == (tokens.LEARNER_ISSUER, False)


@pytest.mark.parametrize("path,status,content_type", [
    ("/config.json", 200, "application/json"),
    ("/", 200, "text/html; charset=utf-8"),
    ("/learning", 200, "text/html; charset=utf-8"),
    ("/practice", 200, "text/html; charset=utf-8"),
    ("/admin", 200, "text/html; charset=utf-8"),
    ("/../README.md", 404, "text/plain; charset=utf-8"),
    ("/nothing-here", 404, "text/plain; charset=utf-8"),
])
def test_static_files(path, status, content_type):
    answer_status, body, answer_type = static.static_response(path)
    assert (answer_status, answer_type) == (status, content_type)
    if path == "/config.json":
        assert json.loads(body) == {"apiBase": "", "auth": {"mode": "local"}}


class GoAwayProviders:
    def __init__(self, running: bool = True) -> None:
        self.running, self.calls = running, []

    def go_away(self, time_left_ms: int) -> bool:
        self.calls.append(time_left_ms)
        return self.running


@pytest.mark.parametrize("body,status,calls", [
    ({"timeLeftMs": 5000}, 200, [5000]),
    ({"timeLeftMs": 0}, 200, [0]),
    ({"timeLeftMs": "soon"}, 400, []),
    ({"timeLeftMs": True}, 400, []),
    ({"timeLeftMs": -1}, 400, []),
    ({"timeLeftMs": 600_001}, 400, []),
    ({}, 400, []),
])
def test_go_away_asks_the_fake_gemini(body, status, calls):
    backend = StubBackend()
    backend.providers = GoAwayProviders()
    answer_status, answer = post("/local/providers/go-away", body, backend=backend)
    assert (answer_status, backend.providers.calls) == (status, calls)
    if status == 200:
        assert answer == ok_body({"provider": "gemini", "timeLeftMs": body["timeLeftMs"]})


def test_go_away_without_a_fake_is_not_found():
    backend = StubBackend()
    backend.providers = GoAwayProviders(running=False)
    assert post("/local/providers/go-away", {"timeLeftMs": 1000}, backend=backend)[0] == 404


@pytest.mark.parametrize("live_url,expected", [
    ("ws://127.0.0.1:4567/ws/x", b"connect-src 'self' https: ws://127.0.0.1:4567; object-src"),
    ("wss://generativelanguage.googleapis.com/ws/x", b"connect-src 'self' https:; object-src"),
    ("", b"connect-src 'self' https:; object-src"),
])
def test_pages_allow_only_the_local_fake_geminis_websocket(monkeypatch, live_url, expected):
    monkeypatch.setenv("GEMINI_LIVE_URL", live_url)
    status, body, _ = static.static_response("/practice")
    assert status == 200 and expected in body
    assert static.static_response("/js/practice.js")[1] == (static.WEB_ROOT / "js" / "practice.js").read_bytes()

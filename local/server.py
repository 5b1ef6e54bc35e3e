"""`make dev`: the whole API on http://127.0.0.1:$PORT, backed by an in-memory DynamoDB.

The same handlers as deployed are called through a local API Gateway (local.gateway).
With DYNAMODB_ENDPOINT set, that DynamoDB-compatible endpoint is used instead of the
embedded moto, and any missing tables are created there.

Dev-only routes (never in the stack):
  POST /local/clock {"advanceSeconds": N}  moves the clock every handler sees
  POST /local/jobs/sweep                   runs the stale-session sweeper now
  POST /local/token {"sub", "admin"?, "email"?}  mints a local token (dev sign-in)
"""
from __future__ import annotations

import json
import mimetypes
import os
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
WEB_ROOT = ROOT / "web"
MAX_REQUEST_BYTES = 8 * 1024 * 1024  # API Gateway's own ceiling is 10 MB; the handlers refuse > 1 MB


def _prepare_environment() -> None:
    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "SpeakPho", "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        os.environ.setdefault(key, value)
    from infra.catalog import ensure_import_paths

    ensure_import_paths()


class LocalStack:
    """The embedded backend: DynamoDB (moto or an endpoint), the gateway, background jobs."""

    def __init__(self) -> None:
        _prepare_environment()
        self._mock = None
        if not os.environ.get("DYNAMODB_ENDPOINT"):
            from moto import mock_aws

            self._mock = mock_aws()
            self._mock.start()
        from speakpho import deps, idempotency
        from speakpho.aws import dynamodb_client
        from speakpho.tables import create_missing_tables

        deps.reset()
        idempotency.reset()
        self.client = dynamodb_client()
        self.created_tables = create_missing_tables(self.client)
        from local.gateway import Gateway

        self.gateway = Gateway()
        self.jobs = []
        self._start_stream_pump()

    def _start_stream_pump(self) -> None:
        """Feeds the sessions table's stream to the rollup processor, as the deployed
        event source mapping does (local.streams, when present)."""
        try:
            from local import streams
        except ImportError:
            return
        pump = streams.StreamPump(self.gateway, self.client)
        self.jobs.append(pump)
        pump.start()

    def sweep(self) -> dict:
        from infra.catalog import SWEEPER

        return self.gateway.invoke(SWEEPER.handler, {"source": "local", "detail-type": "Scheduled Event"},
                                   name="sweeper")

    def stop(self) -> None:
        for job in self.jobs:
            job.stop()
        if self._mock:
            self._mock.stop()


def _read_json(handler: BaseHTTPRequestHandler) -> dict:
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return {"__invalid__": True}
    return value if isinstance(value, dict) else {"__invalid__": True}


def make_handler(stack: LocalStack):
    from speakpho.clock import clock

    class Handler(BaseHTTPRequestHandler):
        server_version = "speakpho-local"
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # one line per request on stderr
            if os.environ.get("LOCAL_QUIET") != "1":
                sys.stderr.write("%s %s\n" % (self.command, fmt % args))

        def _send(self, status: int, body: bytes, content_type: str = "application/json",
                  headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for k, v in (headers or {}).items():
                if k.lower() not in ("content-length", "content-type"):
                    self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, payload: dict) -> None:
            self._send(status, json.dumps(payload).encode())

        def _dispatch(self) -> None:
            url = urlsplit(self.path)
            if url.path.startswith("/api/"):
                return self._api(url)
            if url.path.startswith("/local/"):
                return self._local(url.path)
            if self.command in ("GET", "HEAD"):
                return self._static(url.path)
            self._json(404, {"success": False, "error": {"code": "not_found", "message": "no such route"}})

        def _api(self, url) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_REQUEST_BYTES:
                self._json(413, {"success": False, "error": {"code": "payload_too_large",
                                                             "message": "request body too large"}})
                return
            body = self.rfile.read(length) if length else None
            response = stack.gateway.request(self.command, url.path, query=url.query,
                                             headers={k: v for k, v in self.headers.items()}, body=body)
            content_type = next((v for k, v in response.headers.items() if k.lower() == "content-type"),
                                "application/json")
            self._send(response.status, response.body.encode(), content_type, response.headers)

        def _local(self, path: str) -> None:
            if self.command != "POST":
                return self._json(405, {"success": False, "error": {"code": "method_not_allowed",
                                                                    "message": "use POST"}})
            body = _read_json(self)
            if body.get("__invalid__"):
                return self._json(400, {"success": False, "error": {"code": "bad_request",
                                                                    "message": "body must be a JSON object"}})
            if path == "/local/clock":
                seconds = body.get("advanceSeconds")
                if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
                    return self._json(400, {"success": False, "error": {
                        "code": "validation_error", "message": "advanceSeconds must be a number",
                        "details": [{"field": "advanceSeconds"}]}})
                now = clock.advance(seconds)
                return self._json(200, {"success": True, "data": {"now": now}})
            if path == "/local/jobs/sweep":
                return self._json(200, {"success": True, "data": stack.sweep()})
            if path == "/local/token":
                from local import tokens

                sub = str(body.get("sub") or "").strip()
                if not sub or len(sub) > 128:
                    return self._json(400, {"success": False, "error": {
                        "code": "validation_error", "message": "sub is required (1-128 characters)",
                        "details": [{"field": "sub"}]}})
                groups = ["admin"] if body.get("admin") else []
                token = tokens.mint(sub, email=body.get("email") or None, groups=groups)
                return self._json(200, {"success": True, "data": {"token": token, "sub": sub, "groups": groups}})
            return self._json(404, {"success": False, "error": {"code": "not_found", "message": "no such route"}})

        def _static(self, path: str) -> None:
            target = static_file(path)
            if target is None:
                return self._send(404, b"not found", "text/plain; charset=utf-8")
            if isinstance(target, bytes):
                return self._send(200, target, "application/json")
            content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type in ("application/javascript",):
                content_type += "; charset=utf-8"
            self._send(200, target.read_bytes(), content_type)

        def do_GET(self):
            self._dispatch()

        def do_HEAD(self):
            self._dispatch()

        def do_POST(self):
            self._dispatch()

        def do_PUT(self):
            self._dispatch()

        def do_PATCH(self):
            self._dispatch()

        def do_DELETE(self):
            self._dispatch()

    return Handler


def static_file(path: str):
    """The web app's files (web/), with the config the deployed stack would write."""
    if path == "/config.json":
        # Deployed, the stack writes this file with the API URL and Cognito settings.
        return json.dumps({"apiBase": "", "auth": {"mode": "local"}}).encode()
    if path in ("", "/"):
        path = "/index.html"
    if path.startswith("/vendor/chart.umd.js"):
        candidate = ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.js"
        return candidate if candidate.is_file() else None
    relative = path.lstrip("/")
    candidates = [WEB_ROOT / relative, WEB_ROOT / relative / "index.html", WEB_ROOT / f"{relative}.html"]
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
        except OSError:
            continue
        if resolved.is_file() and WEB_ROOT.resolve() in resolved.parents:
            return resolved
    return None


def serve(port: int, host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, LocalStack]:
    stack = LocalStack()
    server = ThreadingHTTPServer((host, port), make_handler(stack))
    server.daemon_threads = True
    return server, stack


def main() -> None:
    port = int(os.environ.get("PORT", "3000"))
    server, stack = serve(port)
    backend = os.environ.get("DYNAMODB_ENDPOINT") or "embedded moto (in memory)"
    print(f"Speak Pho Real API on http://127.0.0.1:{port}  (DynamoDB: {backend})", flush=True)
    if stack.created_tables:
        print("tables created: " + ", ".join(stack.created_tables), flush=True)
    print("token: make token SUB=alice [ADMIN=1]   pages: /learning /admin", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        stack.stop()


if __name__ == "__main__":
    main()

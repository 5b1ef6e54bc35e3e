"""The local runner's HTTP plumbing: one request handler class that sends /api/* to the local
API Gateway, /local/* to the dev routes, GET /api/docs* to the API's documentation page
(local/api_docs.py, dev only) and any other GET to the web app's files.

(Named httpd, not http, so that it can never shadow the standard library's `http`.)
"""
from __future__ import annotations

import json
import os
import sys
from http.server import BaseHTTPRequestHandler
from urllib.parse import SplitResult, urlsplit

from infra.catalog import ensure_import_paths
from local import api_docs, dev_routes, static
from local.backend import DevBackend

ensure_import_paths()
from speakpho.envelope import error_body  # noqa: E402

MAX_REQUEST_BYTES = 8 * 1024 * 1024  # API Gateway's own ceiling is 10 MB; the handlers refuse > 1 MB


def make_handler(backend: DevBackend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "speakpho-local"
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle's algorithm the body waited for the
        # client's delayed ACK of the headers (about 40 ms on every keep-alive request).
        disable_nagle_algorithm = True

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

        def _content_length(self) -> int:
            return int(self.headers.get("Content-Length") or 0)

        def _dispatch(self) -> None:
            url = urlsplit(self.path)
            if self.command in ("GET", "HEAD") and api_docs.is_docs_path(url.path):
                return self._docs(url.path)
            if url.path.startswith("/api/"):
                return self._api(url)
            if url.path.startswith(dev_routes.PREFIX):
                return self._dev_route(url.path)
            if self.command in ("GET", "HEAD"):
                return self._send(*static.static_response(url.path))
            self._json(404, error_body("not_found", "no such route"))

        def _api(self, url: SplitResult) -> None:
            length = self._content_length()
            if length > MAX_REQUEST_BYTES:
                return self._json(413, error_body("payload_too_large", "request body too large"))
            body = self.rfile.read(length) if length else None
            response = backend.gateway.request(self.command, url.path, query=url.query,
                                               headers={k: v for k, v in self.headers.items()}, body=body)
            content_type = next((v for k, v in response.headers.items() if k.lower() == "content-type"),
                                "application/json")
            self._send(response.status, response.body.encode(), content_type, response.headers)

        def _docs(self, path: str) -> None:
            with backend.gateway.lock:   # generating the document reads the handlers' routers
                status, body, content_type, headers = api_docs.response(path)
            self._send(status, body, content_type, headers)

        def _dev_route(self, path: str) -> None:
            raw = b""
            if self.command == "POST":   # other methods answer 405 without reading the body
                length = self._content_length()
                raw = self.rfile.read(length) if length else b""
            self._json(*dev_routes.handle(backend, self.command, path, raw))

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

        def __getattr__(self, name: str):
            # Any other method (TRACE, OPTIONS, CONNECT, made-up ones) goes where API Gateway
            # would send it: an /api path answers what the gateway answers a method it does not
            # route (404 in our envelope, as its MISSING_AUTHENTICATION_TOKEN response is mapped),
            # never the standard library's bare 501 page.
            if name.startswith("do_"):
                return self._dispatch
            raise AttributeError(name)

    return Handler

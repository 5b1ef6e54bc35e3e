"""A local API Gateway: turns an HTTP request into the REST proxy event the deployed
Lambda receives (Cognito authorizer claims included) and calls that same handler.

Used by the local runner and by the tests, so both exercise the deployed code path.
"""
from __future__ import annotations

import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from infra import catalog
from local import tokens

catalog.ensure_import_paths()
from speakpho.envelope import error_body  # noqa: E402

STAGE = "local"


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timeout_ms: int = 30_000
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:local:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.timeout_ms - int((time.monotonic() - self.started) * 1000))


@dataclass
class HttpResponse:
    status: int
    headers: dict
    body: str

    def json(self):
        return json.loads(self.body) if self.body else None


def _envelope(status: int, code: str, message: str) -> HttpResponse:
    # Same bodies as the stack's API Gateway "gateway responses".
    return HttpResponse(status, {"Content-Type": "application/json"}, json.dumps(error_body(code, message)))


class Gateway:
    """Routes /api requests to the area handlers. Calls are serialised: moto is not thread-safe.

    `lock` is that serialisation: whatever else touches the in-memory DynamoDB from another
    thread (the stream pump) holds it too."""

    def __init__(self) -> None:
        # The environment the stack gives the HTTP functions beyond their tables: the admin
        # pool's issuer, here the local admin issuer (what is already set wins).
        for key, value in tokens.LAMBDA_ENVIRONMENT.items():
            os.environ.setdefault(key, value)
        self.lock = threading.RLock()
        self._handlers: dict[str, object] = {}

    def handler_for(self, dotted: str):
        if dotted not in self._handlers:
            self._handlers[dotted] = catalog.load_handler(dotted)
        return self._handlers[dotted]

    def build_event(self, method: str, path: str, route: catalog.RouteSpec, path_params: dict,
                    query: str, headers: dict, body: str | None, claims: dict) -> dict:
        multi_query = parse_qs(query, keep_blank_values=True) if query else {}
        return {
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": dict(headers),
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_params or None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": route.path,
                "httpMethod": method,
                "path": f"/{STAGE}{path}",
                "stage": STAGE,
                "requestId": str(uuid.uuid4()),
                "requestTimeEpoch": int(time.time() * 1000),
                "identity": {"sourceIp": "127.0.0.1"},
                "authorizer": {"claims": claims},
            },
            "body": body,
            "isBase64Encoded": False,
        }

    def request(self, method: str, path: str, *, query: str = "", headers: dict | None = None,
                body: str | bytes | None = None) -> HttpResponse:
        method = method.upper()
        headers = {k: v for k, v in (headers or {}).items()}
        found = catalog.match(method, path)
        if found is None:
            # As API Gateway: a method it does not route, on a known path or not (TRACE, a GET on
            # a POST route, a made-up method), is its MISSING_AUTHENTICATION_TOKEN response, which
            # the stack maps to 404 in our envelope (infra/constructs/api.py).
            return _envelope(404, "not_found", "no such route")
        route, path_params = found
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not auth.lower().startswith("bearer "):
            return _envelope(401, "unauthorized", "missing bearer token")
        try:
            claims = tokens.verify(auth.split(" ", 1)[1].strip())
        except tokens.TokenError as exc:
            return _envelope(401, "unauthorized", str(exc))
        if isinstance(body, bytes):
            body = body.decode("utf-8", errors="replace")
        area = next(a for a in catalog.AREAS if a.name == route.area)
        event = self.build_event(method, path, route, path_params, query, headers, body or None,
                                 tokens.authorizer_claims(claims))
        with self.lock:
            result = self.handler_for(area.handler)(event, LambdaContext(function_name=f"speakpho-{area.name}"))
        response_headers = dict(result.get("headers") or {})
        for k, v in (result.get("multiValueHeaders") or {}).items():
            response_headers[k] = ", ".join(v)
        return HttpResponse(result["statusCode"], response_headers, result.get("body") or "")

    def invoke(self, dotted: str, event: dict, name: str = "job"):
        """Calls a non-HTTP Lambda (sweeper, stream processor) the way its trigger would."""
        with self.lock:
            return self.handler_for(dotted)(event, LambdaContext(function_name=f"speakpho-{name}"))

"""What every HTTP Lambda shares: the resolver, the response envelope, and the one
place where exceptions become HTTP answers.

The envelope itself (success and error bodies) and the CORS header lists are defined
once in speakpho.envelope.
"""
from __future__ import annotations

import json
import os
from typing import Annotated, Any, Optional

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header

from speakpho.auth import Caller, caller_from_event, require_admin
from speakpho.envelope import CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_SECONDS, error_body, ok_body
from speakpho.errors import AppError, PayloadTooLarge
from speakpho.json_guard import check_body

# The optional header that makes a retried write return its first answer (speakpho.idempotency).
IdempotencyKey = Annotated[Optional[str], Header(alias="Idempotency-Key", max_length=128)]

RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before sending the same request again",
                               "schema": {"type": "integer", "minimum": 0}}}


def keyed_responses(status: int, success: str, conflict: str) -> dict:
    """OpenAPI responses of a route taking an Idempotency-Key (the 422 of validation, which also
    answers `idempotency_key_reused`, is Powertools' own): its success, and its 409 that a
    retry may turn into a success, with Retry-After."""
    return {
        status: {"description": f"{success}; a repeat with the same Idempotency-Key and body answers the "
                                "first answer again (the same body; another body: 422 idempotency_key_reused)",
                 "content": {"application/json": {}}},
        409: {"description": f"{conflict}: the same request may be sent again after Retry-After seconds",
              "headers": RETRY_AFTER, "content": {"application/json": {}}},
    }


def refusal(description: str, *, retry_after: bool = False) -> dict:
    """The OpenAPI response of an error answer (the envelope), with Retry-After when waiting helps."""
    response: dict = {"description": description, "content": {"application/json": {}}}
    if retry_after:
        response["headers"] = RETRY_AFTER
    return response


MAX_BODY_BYTES = 1_000_000
logger = Logger(service="speakpho")


def json_response(status: int, payload: dict, headers: dict | None = None) -> Response:
    return Response(status_code=status, content_type="application/json",
                    body=json.dumps(payload, ensure_ascii=False, default=_json_default), headers=headers or {})


def _json_default(value: Any):
    # String and number sets come back from DynamoDB as Python sets.
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def ok(data: Any, status: int = 200) -> Response:
    return json_response(status, ok_body(data))


def _field_name(loc: Any) -> str:
    parts = [str(p) for p in (loc or ())]
    return ".".join(parts)


def validation_details(errors: list[dict]) -> list[dict]:
    return [{"field": _field_name(e.get("loc")), "message": e.get("msg", "invalid"), "type": e.get("type")}
            for e in errors]


def _error_response(status: int, code: str, message: str, details: Any | None = None) -> Response:
    return json_response(status, error_body(code, message, details))


def create_app(*, admin_only: bool = False) -> APIGatewayRestResolver:
    """A resolver with validation, OpenAPI and our error mapping registered.

    `admin_only` makes `gate` refuse callers outside the admin group (403) before routing.
    """
    # Deployed, the web app is served from CloudFront, another origin than the API: the
    # stack sets CORS_ALLOW_ORIGIN and the handlers answer the CORS headers themselves.
    origin = os.environ.get("CORS_ALLOW_ORIGIN")
    cors = CORSConfig(allow_origin=origin, allow_headers=list(CORS_ALLOW_HEADERS),
                      expose_headers=list(CORS_EXPOSE_HEADERS), max_age=CORS_MAX_AGE_SECONDS) if origin else None
    app = APIGatewayRestResolver(enable_validation=True, cors=cors)
    app.admin_only = admin_only  # read by gate()

    @app.exception_handler(AppError)
    def _app_error(exc: AppError):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return json_response(exc.status, error_body(exc.code, exc.message, exc.details), headers)

    @app.exception_handler(RequestValidationError)
    def _validation_error(exc: RequestValidationError):
        details = validation_details(list(exc.errors()))
        fields = ", ".join(sorted({d["field"] for d in details})) or "request"
        return _error_response(422, "validation_error", f"invalid input: {fields}", details)

    @app.exception_handler(NotFoundError)
    def _route_not_found(exc: NotFoundError):
        return _error_response(404, "not_found", "no such route")

    @app.exception_handler(Exception)
    def _other(exc: Exception):
        logger.exception("unhandled error")
        return _error_response(500, "internal_error", "something went wrong; it has been logged")

    return app


def caller(app: APIGatewayRestResolver) -> Caller:
    return caller_from_event(app.current_event.raw_event)


def gate(app: APIGatewayRestResolver, event: dict, context: Any) -> dict:
    """Checks that must run before the body is parsed, then resolves the route.

    Powertools' validation runs before any middleware, so the body-size limit and the
    authentication check live here: an oversized or anonymous request is refused
    without being parsed.
    """
    try:
        body = event.get("body") or ""
        if len(body.encode("utf-8") if isinstance(body, str) else body) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"request body over {MAX_BODY_BYTES} bytes", {"field": "body"})
        who = caller_from_event(event)
        if getattr(app, "admin_only", False):
            require_admin(who)
        check_body(body)
    except AppError as exc:
        return {
            "statusCode": exc.status,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(error_body(exc.code, exc.message, exc.details)),
            "isBase64Encoded": False,
        }
    _as_json_body(event)
    return app.resolve(event, context)


def _as_json_body(event: dict) -> None:
    """This API takes JSON only: a body sent as form data (curl -d without a header)
    is read as the JSON it is, and anything else then fails as invalid JSON."""
    if not event.get("body"):
        return
    headers = event.get("headers") or {}
    for name in [k for k in headers if k.lower() == "content-type"]:
        del headers[name]
    headers["content-type"] = "application/json"
    event["headers"] = headers
    multi = event.get("multiValueHeaders") or {}
    for name in [k for k in multi if k.lower() == "content-type"]:
        del multi[name]
    if event.get("multiValueHeaders") is not None:
        multi["content-type"] = ["application/json"]


"""The API contract: what each route answers, as docs/openapi.json states it.

Powertools generates the document from the routes (paths, parameters, request bodies);
local/openapi.py completes it from here, so the route files stay as they are:
  ROUTES         (method, path) -> Route: the success status and the model of its `data`, every
                 error status it can answer (and its codes), the Idempotency-Key, links
  the models     each success's `data`, derived from speakpho/views.py and the domain's answers
                 (tests/contract/test_contract_views.py holds them against the views), by area:
                 contract_session.py, contract_learning.py, contract_admin.py (contract_access,
                 contract_latency, contract_mistakes: their parts), shared shapes in contract_types.py
  ErrorResponse  the one error envelope {success: false, error: {code, message, details?}}
  REQUEST_RULES  what the request models' validators check beyond their generated schemas
The models allow properties they do not list (a new field does not break a generated client),
but the view tests fail until it is documented here. A route listed here and missing from the
generated document (not written yet) is left out of it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from infra import catalog

catalog.ensure_import_paths()
from speakpho import story  # noqa: E402
from local.contract_access import AccessGranted, CallPlaced, Providers  # noqa: E402
from local.contract_admin import (AdminSessionDetail, AdminSessionsPage, Allowance, AllowanceSet,  # noqa: E402
                                  Timeseries)
from local.contract_learning import (CorrectionsPage, ErasureJob, ErasureStarted, HistoryPage,  # noqa: E402
                                     ImportResult, MemoryState, ReviewQueue, ReviewResult, SessionDeleted,
                                     SessionDetail)
from local.contract_mistakes import MistakeStats  # noqa: E402
from local.contract_session import (EndedSession, EventsRecorded, Heartbeat, ProviderSwitched,  # noqa: E402
                                    StartedSession, Usage)
from speakpho.metering.live import MAX_SWITCHES_PER_SESSION  # noqa: E402


# --------------------------------------------------------------------------- errors
class ErrorBody(BaseModel):
    code: str = Field(description="stable, machine-readable: not_found, session_not_active, ...")
    message: str
    details: Any = Field(default=None, description="what the code needs, e.g. the fields refused")


class ErrorResponse(BaseModel):
    """Every error: the handlers', and API Gateway's own answers (401, 403, 404, 413, 429)."""
    success: Literal[False]
    error: ErrorBody


# --------------------------------------------------------------------------- request rules
# What JSON Schema can say of the request models' own validators (merged into the generated
# components; tests/contract/test_contract_requests.py holds each against the API's verdicts).
NULL = {"type": "null"}
REQUEST_RULES: dict[str, dict] = {
    # learning.review._check_review: something to do; a confidenceLevel is a review (not with
    # reviewed=false), and a dispute is not a review (not with a confidenceLevel).
    "CorrectionReview": {
        "anyOf": [{"required": [name], "properties": {name: {"not": NULL}}}
                  for name in ("reviewed", "confidenceLevel", "disputed", "leech", "explanation")],
        "allOf": [
            {"not": {"required": ["reviewed", "confidenceLevel"],
                     "properties": {"reviewed": {"const": False}, "confidenceLevel": {"type": "integer"}}}},
            {"not": {"required": ["disputed", "confidenceLevel"],
                     "properties": {"disputed": {"type": "boolean"}, "confidenceLevel": {"type": "integer"}}}},
            {"not": {"required": ["leech", "confidenceLevel"],
                     "properties": {"leech": {"type": "boolean"}, "confidenceLevel": {"type": "integer"}}}}]},
    # speakpho.models.ClientEvent: code and reason belong to provider_disconnected, connectMs to
    # provider_connected.
    "ClientEvent": {"allOf": [
        {"if": {"required": ["type"], "properties": {"type": {"const": "provider_disconnected"}}},
         "else": {"properties": {"code": NULL, "reason": NULL}}},
        {"if": {"required": ["type"], "properties": {"type": {"const": "provider_connected"}}},
         "else": {"properties": {"connectMs": NULL}}}]},
    # learning.review.import_corrections: a createdAt more than a day ahead is refused (422).
    "ImportedCorrection": {"properties": {"createdAt": {
        "description": "epoch ms; at most 24 hours ahead of the server's clock"}}},
    # speakpho.metering.events.check_call_size: more events in a call is 413 payload_too_large.
    **{name: {"properties": {"events": {"maxItems": story.MAX_EVENTS_PER_CALL}}}
       for name in ("SessionEventsRequest", "EndSessionRequest")},
    # speakpho.latency.histogram_problem: the counts add up to turns (JSON Schema cannot say it).
    "ProviderLatency": {"properties": {"histogram": {
        "description": "turns per bucket of speakpho.latency.LATENCY_BUCKETS_MS (100, 200, 300, 400, 500, 700, "
                       "1000, 1500, 2000, 3000, 5000 ms: <= each bound, and one above the last); they add up "
                       "to turns (else 422)"}}},
}


# --------------------------------------------------------------------------- routes
ERRORS = {
    400: "invalid_body: a body no handler may see (a number DynamoDB cannot store, nesting deeper than "
         "64, a lone surrogate), naming the field",
    401: "unauthorized: no bearer token, or an expired or badly signed one",
    402: "limit_reached: no voice minutes left in this period (details.usage)",
    403: "forbidden: needs the admin group and a token of the admin user pool",
    404: "not_found: none of the caller's (another learner's is not found either)",
    409: "conflict",
    413: "payload_too_large: a body over 1 MB",
    422: "validation_error: a field of the body, query or path (details: field, message, type each)",
    429: "too_many_requests: a WAF rate rule or the stage's throttling (deployed only)",
}
AUTH = (401, 429)        # every route: the authorizer; WAF and throttling
BODY = (400, 413, 422)   # a JSON body: json_guard, the 1 MB limit, validation
KEYED_409 = "request_in_progress: a request with this Idempotency-Key is still running; retry"
KEYED_422 = "validation_error; idempotency_key_reused: this Idempotency-Key came with another body"
RANGE_422 = ("validation_error: an unknown parameter, a day that is not YYYY-MM-DD, from after to, "
             "or more than 366 days")
CURSOR_400 = "invalid_cursor: a cursor this route did not make (for these filters)"
PROVIDER_502 = "provider_error: the provider refused or did not answer (details.provider, details.status)"
PROVIDER_503 = "provider_unavailable: the server holds no key for it (details.available: those it has)"
# Every id in a path: what the API hands out (UUIDs, Cognito subs) is made of URL-unreserved
# characters, the same sent encoded or not (API Gateway passes a path on percent-encoded).
PATH_ID = {"pattern": "^[A-Za-z0-9._~-]+$"}
# admin.health_routes.resolve_filter: a UTC day from 2000-01-01 to 2999-12-31, or empty (the default).
DAYS = {name: {"anyOf": [{"format": "date", "pattern": "^2[0-9]{3}-"}, {"maxLength": 0}], "description":
               f"UTC day YYYY-MM-DD (2000-01-01 to 2999-12-31), inclusive; absent or empty: {default}"}
        for name, default in (("from", "to - 6 days"), ("to", "today"))}


@dataclass(frozen=True)
class Route:
    data: type[BaseModel] | None          # the success's `data`; None: not a JSON answer (media)
    statuses: tuple[int, ...]             # every error status it can answer
    codes: dict[int, str] = field(default_factory=dict)   # status -> its error codes, when not ERRORS'
    success: int = 200
    idempotency_key: bool = False         # takes an Idempotency-Key header
    media: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)  # success response headers, always sent
    optional_headers: dict[str, str] = field(default_factory=dict)  # success response headers, sometimes sent
    params: dict[str, dict] = field(default_factory=dict)  # parameter -> what its schema adds
    links: dict[str, tuple[str, dict]] = field(default_factory=dict)  # name -> ("METHOD /path", values)

    def describe(self, status: int) -> str:
        return self.codes.get(status) or ERRORS[status]


SESSION_ID = "$response.body#/data/sessionId"
LIVE_SESSION = {name: (f"POST /api/session/{name}", {"body": {"sessionId": SESSION_ID}})
                for name in ("heartbeat", "switch-provider", "events", "end")}
REVIEW = {"review": ("PATCH /api/learning/corrections/{id}", {"id": "$response.body#/data/corrections/0/id"})}
CSV_HEADERS = {"Content-Disposition": "attachment; filename=\"sessions_<from>_<to>.csv\"",
               "X-Export-Rows": "rows in the file", "X-Export-Truncated": "true when the export stopped early"}
CSV_NOTE = {"X-Export-Note": "when truncated: where it stopped and why (the row or byte cap)"}

ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/api/session/start"): Route(
        StartedSession, (*AUTH, *BODY, 402, 403, 409, 502, 503), success=201, idempotency_key=True, codes={
            502: PROVIDER_502 + "; nothing started", 503: PROVIDER_503 + "; nothing started",
            403: "email_unverified: the learner's email address is not verified",
            409: "start_contended: too many starts at once; " + KEYED_409, 422: KEYED_422,
            429: "start_rate_limited: no token left in the learner's bucket of starts an hour; "
                 "daily_session_limit: nor in that of sessions a day (details: limit, window, resetsAt: when "
                 "the next token admits a start, as Retry-After; nothing started); " + ERRORS[429]}, links={
            **LIVE_SESSION, "detail": ("GET /api/learning/session/{id}", {"id": SESSION_ID})}),
    ("POST", "/api/session/heartbeat"): Route(Heartbeat, (*AUTH, *BODY, 404, 409), codes={
        409: "session_not_active: the session has ended (details.endReason)"}),
    ("POST", "/api/session/switch-provider"): Route(ProviderSwitched, (*AUTH, *BODY, 402, 404, 409, 502, 503), codes={
        402: "limit_reached: the session has no minutes left for a new token (the switch is recorded)",
        409: "session_not_active; provider_unchanged: it already uses this provider; switch_contended: retry",
        429: f"switch_limit: the session made its {MAX_SWITCHES_PER_SESSION} switches (details.limit; nothing "
             "switched); access_limit: the session had its grants; " + ERRORS[429],
        502: PROVIDER_502 + " (the switch is recorded: POST /api/session/access retries)",
        503: PROVIDER_503 + "; nothing switched"}),
    ("GET", "/api/session/providers"): Route(Providers, AUTH),
    ("POST", "/api/session/access"): Route(AccessGranted, (*AUTH, *BODY, 402, 404, 409, 502, 503), codes={
        402: "limit_reached: the session has no minutes left",
        409: "session_not_active; wrong_transport: not a Gemini session; access_contended: retry",
        429: "access_limit: the session had its grants; " + ERRORS[429],
        502: PROVIDER_502, 503: PROVIDER_503}),
    ("POST", "/api/session/connect"): Route(
        CallPlaced, (*AUTH, *BODY, 402, 404, 409, 502, 503), idempotency_key=True, codes={
            402: "limit_reached: the session has no minutes left",
            409: "session_not_active; wrong_transport: not an OpenAI session; connect_contended: retry; "
                 + KEYED_409, 422: KEYED_422,
            429: "access_limit: the session had its grants; " + ERRORS[429],
            502: PROVIDER_502, 503: PROVIDER_503}),
    ("POST", "/api/session/events"): Route(EventsRecorded, (*AUTH, *BODY, 404, 409), codes={
        409: "session_ended: it ended more than 5 minutes ago; events_contended: retry",
        413: "payload_too_large: a body over 1 MB, over 50 events in a call or 500 in a session"}),
    ("POST", "/api/session/end"): Route(EndedSession, (*AUTH, *BODY, 404, 409), codes={
        409: "end_contended: retry", 413: "payload_too_large: a body over 1 MB, or too many events"}),
    ("GET", "/api/usage"): Route(Usage, AUTH),
    ("GET", "/api/learning/history"): Route(HistoryPage, (*AUTH, 400, 422), codes={400: CURSOR_400}, links={
        "detail": ("GET /api/learning/session/{id}", {"id": "$response.body#/data/sessions/0/id"}),
        "next": ("GET /api/learning/history", {"cursor": "$response.body#/data/nextCursor"})}),
    ("DELETE", "/api/learning/history"): Route(ErasureStarted, AUTH, success=202, links={
        "status": ("GET /api/learning/erasure/{erasureId}", {"erasureId": "$response.body#/data/erasureId"})}),
    ("GET", "/api/learning/erasure/{erasureId}"): Route(ErasureJob, (*AUTH, 404, 422)),
    ("GET", "/api/learning/session/{id}"): Route(SessionDetail, (*AUTH, 404, 422)),
    ("DELETE", "/api/learning/session/{id}"): Route(SessionDeleted, (*AUTH, 404, 409, 422), codes={
        409: "session_active: the session is still in progress"}),
    ("GET", "/api/learning/corrections"): Route(CorrectionsPage, (*AUTH, 400, 422), codes={400: CURSOR_400},
                                                links=REVIEW),
    ("PATCH", "/api/learning/corrections/{id}"): Route(
        ReviewResult, (*AUTH, *BODY, 404, 409), idempotency_key=True, codes={
            409: "review_contended: retry; card_schema_unknown: retry; correction_disputed, correction_leech: "
                 "a rating on a correction flagged as wrong or suspended as a leech; " + KEYED_409,
            422: KEYED_422}),
    ("GET", "/api/learning/review"): Route(ReviewQueue, (*AUTH, 422), links=REVIEW),
    ("POST", "/api/learning/corrections/import"): Route(ImportResult, (*AUTH, *BODY), codes={
        413: "payload_too_large: a body over 1 MB; import_limit_reached: the learner's imported corrections "
             "would exceed the limit (details; nothing imported)"}),
    ("GET", "/api/learning/memory"): Route(MemoryState, AUTH),
    ("PUT", "/api/learning/memory"): Route(MemoryState, (*AUTH, *BODY), codes={
        422: "validation_error: desiredRetention outside 0.80-0.95, or an unknown field"}),
    ("PUT", "/api/admin/users/{userId}/allowance"): Route(AllowanceSet, (*AUTH, *BODY, 403)),
    ("GET", "/api/admin/users/{userId}/allowance"): Route(Allowance, (*AUTH, 403, 422)),
    ("GET", "/api/admin/sessions"): Route(AdminSessionsPage, (*AUTH, 400, 403, 422), codes={
        400: CURSOR_400, 422: RANGE_422}, params=DAYS, links={
            "detail": ("GET /api/admin/sessions/{id}", {"id": "$response.body#/data/sessions/0/id"})}),
    ("GET", "/api/admin/sessions/timeseries"): Route(Timeseries, (*AUTH, 403, 422), codes={422: RANGE_422},
                                                     params=DAYS),
    ("GET", "/api/admin/sessions/export.csv"): Route(
        None, (*AUTH, 403, 422), codes={422: RANGE_422}, media="text/csv", headers=CSV_HEADERS,
        optional_headers=CSV_NOTE, params=DAYS),
    ("GET", "/api/admin/sessions/{id}"): Route(AdminSessionDetail, (*AUTH, 403, 404, 422)),
    ("GET", "/api/admin/corrections/stats"): Route(MistakeStats, (*AUTH, 403, 422), codes={
        422: RANGE_422 + ", an unknown topic or difficulty parameter"}, params=DAYS),
    ("GET", "/api/admin/corrections/export.csv"): Route(
        None, (*AUTH, 403, 422), codes={422: RANGE_422}, media="text/csv", headers={
            "Content-Disposition": "attachment; filename=\"corrections-<from>-<to>.csv\"",
            "X-Export-Rows": "rows in the file"}, params=DAYS),
}
MODELS: tuple[type[BaseModel], ...] = (ErrorResponse, *dict.fromkeys(r.data for r in ROUTES.values() if r.data))

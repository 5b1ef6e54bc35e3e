"""Helpers for API tests: the frozen start time, an HTTP-like client through the local
API Gateway, and `data()` to unwrap a success envelope. Import as `from apitest import ...`
(a uniquely named module: `from conftest import` is ambiguous once folders have their own conftest)."""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the repository

# 2026-11-10T12:00:00Z: mid-month, so tests that move the clock by hours stay in one period.
T0 = 1_794_312_000_000


class ApiClient:
    def __init__(self, gateway, token: str | None = None):
        self.gateway = gateway
        self.token = token

    def as_user(self, sub: str, *, admin: bool = False, email: str | None = None, groups=None,
                email_verified: bool | None = True) -> "ApiClient":
        """A client with a local token for `sub` (email_verified=None: a token without that claim)."""
        from local import tokens

        return ApiClient(self.gateway, tokens.mint(sub, email=email, groups=groups or (["admin"] if admin else []),
                                                   email_verified=email_verified))

    def call(self, method: str, path: str, body=None, *, query: str = "", headers: dict | None = None,
             raw: str | None = None):
        h = {"Content-Type": "application/json"}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(headers or {})
        payload = raw if raw is not None else (json.dumps(body, ensure_ascii=False) if body is not None else None)
        if "?" in path:
            path, query = path.split("?", 1)
        return self.gateway.request(method, path, query=query, headers=h, body=payload)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


def data(response, status: int = 200):
    """The `data` of a success envelope, asserting the status first."""
    assert response.status == status, (response.status, response.body)
    body = response.json()
    assert body["success"] is True, body
    return body["data"]


def error(response, status: int) -> dict:
    """The `error` of a failure envelope, asserting the status first."""
    assert response.status == status, (response.status, response.body)
    body = response.json()
    assert body["success"] is False, body
    return body["error"]


@contextmanager
def fresh_tables():
    """Every table from speakpho.tables on the DynamoDB the environment points at (moto when
    mocked, DYNAMODB_ENDPOINT otherwise), with cached settings and clients forgotten before
    and after, so that each test sees its own environment."""
    from speakpho import deps
    from speakpho.aws import dynamodb_client
    from speakpho.table_setup import create_missing_tables

    deps.reset()
    client = dynamodb_client()
    create_missing_tables(client)
    try:
        yield client
    finally:
        deps.reset()


# --------------------------------------------------------------------------- session helpers
# The one set of start/end helpers every API test uses (a user client from ApiClient.as_user).
def start_session(user: ApiClient, body: dict | None = None, *, status: int = 201, **kw) -> dict:
    """POST /api/session/start; the answer's data (asserting `status`)."""
    return data(user.post("/api/session/start", body if body is not None else {}, **kw), status)


def end_session(user: ApiClient, session_id: str, *, status: int | None = 200, **payload):
    """POST /api/session/end; the answer's data, or the raw response with status=None."""
    response = user.post("/api/session/end", {"sessionId": session_id, **payload})
    return response if status is None else data(response, status)


def switch_provider(user: ApiClient, session_id: str, provider: str, code: int | None = None, **extra) -> dict:
    """POST /api/session/switch-provider; the answer's data (`extra`: e.g. disconnectReason)."""
    body = {"sessionId": session_id, "provider": provider, **extra}
    if code is not None:
        body["disconnectCode"] = code
    return data(user.post("/api/session/switch-provider", body))


def client_event(kind: str, at: int, provider: str = "gemini", event_id: str | None = None, **fields) -> dict:
    """One client event of POST /api/session/events (speakpho.story), with a fresh UUID
    unless `event_id` is given; `fields`: code, reason, connectMs."""
    import uuid

    return {"eventId": event_id or str(uuid.uuid4()), "type": kind, "at": at, "provider": provider, **fields}


def send_events(user: ApiClient, session_id: str, events: list[dict], *, status: int | None = 200, **extra):
    """POST /api/session/events; the answer's data, or the raw response with status=None
    (`extra`: e.g. sentAt)."""
    response = user.post("/api/session/events", {"sessionId": session_id, "events": events, **extra})
    return response if status is None else data(response, status)


def grant_access_again(user_id: str, session_id: str, at: int) -> None:
    """The access_granted entry the server writes when it gives a dropped client access again
    (POST /api/session/access), the server's corroboration of an outage (speakpho.story):
    written here through the store's append of one server entry to a live story."""
    from speakpho import story
    from speakpho.deps import metering_store

    entry = story.server_entry("access_granted", at, provider="gemini", expiresAt=at + 600_000)
    metering_store().append_to_live_story(user_id=user_id, session_id=session_id, entry=entry)


def stored_session(session_id: str) -> dict | None:
    """The session item as stored (a consistent read through the handlers' store)."""
    from speakpho.deps import metering_store

    return metering_store().get_session(session_id, consistent=True)


def stored_story(session_id: str) -> list[dict]:
    """The session's story as its readers see it: the item's, and while the session is live
    the events still in their batches (speakpho.metering.fold folds them in at the close)."""
    from speakpho import story
    from speakpho.deps import metering_store

    session = stored_session(session_id) or {}
    entries = list(session.get("story") or [])
    if session.get("status") == "active":
        entries += story.batched_entries(metering_store().event_batches(session_id), session.get("eventIds"))
    return entries


def user_sessions(client, user_id: str) -> list[dict]:
    """The learner's whole session items, oldest first: the keys from the user index (keys
    only, speakpho.reader_indexes), then the items from the table."""
    from speakpho import ddb, reader_indexes

    keys = ddb.query_all(client, TableName="sessions", IndexName=reader_indexes.SESSIONS_BY_USER,
                         KeyConditionExpression="userId = :u", ExpressionAttributeValues=ddb.values({":u": user_id}))
    return ddb.batch_get(client, "sessions", [{"sessionId": k["sessionId"]} for k in keys])


def stored_period(user_id: str, period: str = "2026-11") -> dict:
    """The learner's period row as stored (its live meter: activeLastHeartbeatAt,
    activeAccessUntil, activeCallId, ...); {} when there is none. T0's period by default."""
    from speakpho.deps import metering_store

    return metering_store().get_period(user_id, period) or {}


def set_allowance(api: ApiClient, user_id: str, seconds: int) -> None:
    """PUT /api/admin/users/{id}/allowance as an admin: the learner's seconds this period."""
    data(api.as_user("root", admin=True).put(f"/api/admin/users/{user_id}/allowance",
                                             {"secondsLimit": seconds, "reason": "test"}))


def count_requests(client, *, capacity: bool = False):
    """The one DynamoDB request counter (local.ddb_meter.RequestMeter), as a context manager:
    `with count_requests(client) as meter: ...`, then meter.total, meter.ops, meter.names()."""
    from local.ddb_meter import RequestMeter

    return RequestMeter(client, capacity=capacity)


# --------------------------------------------------------------------------- a real HTTP server
def http_call(base: str, method: str, path: str, body=None, token: str | None = None, raw: bytes | None = None,
              timeout: float = 30):
    """(status, parsed JSON) of one request to a server a test started (urllib: no session state)."""
    import urllib.error
    import urllib.request

    data_bytes = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(base + path, data=data_bytes, method=method,
                                     headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def listening(url: str) -> bool:
    """Whether something accepts connections at http://host:port."""
    import socket

    host, port = url.rsplit("//", 1)[1].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
        return True
    except OSError:
        return False

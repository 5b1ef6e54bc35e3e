"""A fault-injecting HTTP proxy in front of a DynamoDB endpoint (DynamoDB's JSON protocol:
POST / with an X-Amz-Target header), for `FAULTS=0.3 make dev` and tests/faults.

    proxy = FaultProxy("http://127.0.0.1:8000", rate=0.3, seed=7).start()
    client = ...create_client("dynamodb", endpoint_url=proxy.url)
    proxy.counts()      # what was injected, by kind and by operation
    proxy.stop()

With probability `rate` a request on items (FAULTABLE) gets one fault, chosen evenly among:

  refuse     500 InternalServerError, nothing forwarded
  throttle   400 ThrottlingException, nothing forwarded
  apply_500  forwarded and applied by the engine, then answered 500 InternalServerError
             (the caller cannot tell it from `refuse`: an ambiguous failure)
  delay      forwarded after a pause of DELAY_SECONDS (drawn from the same generator)

Control-plane requests (CreateTable, DescribeTable, ListTables, UpdateTimeToLive, ...) and
the streams API always pass through untouched.

Replay: decisions come from random.Random(seed), drawn under one lock in the order requests
arrive (a fixed number of draws per faultable request). The same seed therefore gives the
same sequence of faults; which request gets which fault is the same again only as far as
concurrent callers arrive in the same order, which threads and processes do not guarantee.
"""
from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

KINDS = ("refuse", "throttle", "apply_500", "delay")
DELAY_SECONDS = (0.05, 0.3)
FAULTABLE = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchWriteItem", "BatchGetItem",
    "TransactWriteItems", "TransactGetItems",
})
TARGET_PREFIX = "DynamoDB_20120810."   # the streams API is "DynamoDBStreams_20120810.*"
CONTENT_TYPE = "application/x-amz-json-1.0"
INTERNAL_ERROR = {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                  "message": "Internal server error (injected by local/fault_proxy.py)"}
THROTTLED = {"__type": "com.amazon.coral.availability#ThrottlingException", "message": "Rate exceeded"}
HISTORY_LIMIT = 100_000
# Hop-by-hop headers are not forwarded either way.
HOP_HEADERS = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
                         "upgrade", "content-length"})


def operation_of(target: str | None) -> str | None:
    """'DynamoDB_20120810.GetItem' -> 'GetItem'; the streams API ('DynamoDBStreams_20120810.GetRecords')
    -> 'streams:GetRecords'; None without a target."""
    if not target:
        return None
    if target.startswith(TARGET_PREFIX):
        return target[len(TARGET_PREFIX):]
    service, _, name = target.partition(".")
    return f"streams:{name}" if service.startswith("DynamoDBStreams") else target


def tables_of(body: bytes) -> frozenset[str]:
    """The tables a request names: its TableName, each action's of a transaction, a batch's."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return frozenset()
    if not isinstance(request, dict):
        return frozenset()
    names = {request.get("TableName"), *(request.get("RequestItems") or {})}
    for action in request.get("TransactItems") or []:
        names.update(part.get("TableName") for part in (action or {}).values() if isinstance(part, dict))
    return frozenset(n for n in names if isinstance(n, str))


class FaultProxy:
    def __init__(self, upstream: str, *, rate: float = 0.0, seed: int = 0, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be within 0..1, not {rate}")
        url = urlsplit(upstream)
        self.upstream = upstream
        self._upstream_host, self._upstream_port = url.hostname or "127.0.0.1", url.port or 80
        self._lock = threading.Lock()
        self._host, self._port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reseed(seed, rate)

    # settings and counts ------------------------------------------------------
    def reseed(self, seed: int, rate: float | None = None) -> None:
        """A fresh generator for `seed` (and optionally a new rate); the counts start again."""
        with self._lock:
            self.seed = seed
            if rate is not None:
                if not 0.0 <= rate <= 1.0:
                    raise ValueError(f"fault rate must be within 0..1, not {rate}")
                self.rate = rate
            self._random = random.Random(seed)
            self._requests = 0
            self._by_kind: Counter = Counter()
            self._by_operation: dict[str, Counter] = {}
            self._passed: Counter = Counter()
            self._upstream_errors = 0
            self._slowest_upstream = 0.0     # the engine's slowest answer, seconds (a stall shows here)
            self._forced: list[tuple[str, frozenset[str], str, tuple[str, ...]]] = []
            self._resends: dict[bytes, list[str]] = {}   # body of a forced request -> kinds for its resends
            self._forced_count = 0
            self.history: list[tuple[int, str, str | None]] = []   # (n, operation, kind) per faultable request

    def set_rate(self, rate: float) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate must be within 0..1, not {rate}")
        with self._lock:
            self.rate = rate

    def force_next(self, kind: str, operation: str, table: str | tuple[str, ...] | None = None, *,
                   then: tuple[str, ...] = ()) -> None:
        """The next `operation` request naming `table` (each of them, for a tuple; the tables of
        a transaction's actions and of a batch count) gets `kind` whatever the rate: a scripted
        fault on top of the seeded ones (tests). Its resends, the identical body as botocore's
        retries send it (a transaction keeps its ClientRequestToken), then get the kinds of
        `then`, one each: ("apply_500", then=("refuse",) * 4) is a write applied whose caller
        never learns it, through all five attempts of the handlers' client. The generator still
        makes its draws for each such request, so the seeded sequence is not shifted."""
        if kind not in KINDS or operation not in FAULTABLE or any(k not in KINDS for k in then):
            raise ValueError(f"cannot force {kind!r} (then {then!r}) on {operation!r}")
        tables = frozenset((table,) if isinstance(table, str) else table or ())
        with self._lock:
            self._forced.append((operation, tables, kind, tuple(then)))

    def counts(self) -> dict:
        with self._lock:
            return {
                "seed": self.seed, "rate": self.rate, "upstream": self.upstream,
                "faultableRequests": self._requests,
                "injected": sum(self._by_kind.values()),
                "byKind": {k: self._by_kind.get(k, 0) for k in KINDS},
                "byOperation": {op: dict(c) for op, c in sorted(self._by_operation.items())},
                "passedThrough": dict(self._passed),
                "upstreamErrors": self._upstream_errors,
                "slowestUpstreamSeconds": round(self._slowest_upstream, 3),
                "forced": self._forced_count,
            }

    # decisions ----------------------------------------------------------------
    def decide(self, operation: str | None, body: bytes = b"") -> tuple[str | None, float]:
        """(fault kind or None, delay in seconds) for one request; counts it. Two draws per
        faultable request (a third for a delay), so the sequence depends on the order only."""
        if operation not in FAULTABLE:
            with self._lock:
                self._passed[operation or "other"] += 1
            return None, 0.0
        with self._lock:
            self._requests += 1
            hit = self._random.random() < self.rate
            kind = self._random.choice(KINDS)
            forced = self._take_forced(operation, body)
            if forced:
                hit, kind = True, forced
                self._forced_count += 1
            delay = self._random.uniform(*DELAY_SECONDS) if hit and kind == "delay" else 0.0
            kind = kind if hit else None
            if kind:
                self._by_kind[kind] += 1
                self._by_operation.setdefault(operation, Counter())[kind] += 1
            if len(self.history) < HISTORY_LIMIT:
                self.history.append((self._requests, operation, kind))
            return kind, delay

    def _take_forced(self, operation: str, body: bytes) -> str | None:
        resend = self._resends.get(body)
        if resend:
            return resend.pop(0)
        for i, (op, tables, kind, then) in enumerate(self._forced):
            if op == operation and tables <= tables_of(body):
                del self._forced[i]
                if then:
                    self._resends[body] = list(then)
                return kind
        return None

    # forwarding ---------------------------------------------------------------
    def forward(self, headers: dict, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self._upstream_host, self._upstream_port, timeout=30)
        began = time.monotonic()
        try:
            conn.request("POST", "/", body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()
            took = time.monotonic() - began
            with self._lock:
                self._slowest_upstream = max(self._slowest_upstream, took)

    def upstream_failed(self) -> None:
        with self._lock:
            self._upstream_errors += 1

    # lifecycle ----------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the proxy is not running: call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FaultProxy":
        self._server = ThreadingHTTPServer((self._host, self._port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True   # headers and body go out in two writes: no 40 ms stall

        def log_message(self, fmt, *args):  # quiet: the counts say what happened
            pass

        def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None) -> None:
            self.send_response(status)
            sent = set()
            for name, value in headers or [("Content-Type", CONTENT_TYPE)]:
                if name.lower() not in HOP_HEADERS:
                    self.send_header(name, value)
                    sent.add(name.lower())
            if "x-amzn-requestid" not in sent:
                self.send_header("x-amzn-RequestId", "fault-proxy")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, payload: dict) -> None:
            self._answer(status, json.dumps(payload).encode())

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            kind, delay = proxy.decide(operation_of(self.headers.get("X-Amz-Target")), body)
            if kind == "refuse":
                return self._error(500, INTERNAL_ERROR)
            if kind == "throttle":
                return self._error(400, THROTTLED)
            if delay:
                time.sleep(delay)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            try:
                status, response_headers, response_body = proxy.forward(headers, body)
            except OSError as exc:
                proxy.upstream_failed()
                return self._error(502, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                         "message": f"fault proxy: upstream unreachable ({exc})"})
            if kind == "apply_500":
                return self._error(500, INTERNAL_ERROR)
            self._answer(status, response_body, response_headers)

        def do_GET(self):   # a health check, e.g. curl the proxy by hand
            self._answer(200, json.dumps(proxy.counts()).encode(), [("Content-Type", "application/json")])

    return Handler

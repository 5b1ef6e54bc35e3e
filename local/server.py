"""`make dev`: the whole API on http://127.0.0.1:$PORT, backed by an in-memory DynamoDB.

    python -m local.server        (PORT, DYNAMODB_ENDPOINT, LOCAL_QUIET, FAULTS, FAULT_SEED
                                   from the environment)

The entry point only; the pieces:
  local/backend.py     DevBackend: DynamoDB (embedded moto, or DYNAMODB_ENDPOINT with its
                       missing tables created), the local API Gateway, the stream pump
  local/httpd.py       the HTTP request handler: /api/* -> gateway, /local/* -> dev routes,
                       other GETs -> static files
  local/dev_routes.py  POST /local/clock, /local/jobs/sweep, /local/token, GET/POST /local/faults
                       (never in the stack)
  local/fault_proxy.py with FAULTS=0.3: injected DynamoDB faults (docs/reliability.md)
  local/static.py      web/ and the local config.json
  local/gateway.py     the local API Gateway: REST proxy events for the deployed handlers
"""
from __future__ import annotations

import os
import signal
from http.server import ThreadingHTTPServer

from local.backend import DevBackend, fault_settings


def serve(port: int, host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, DevBackend]:
    backend = DevBackend()
    from local.httpd import make_handler

    server = ThreadingHTTPServer((host, port), make_handler(backend))
    server.daemon_threads = True
    return server, backend


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def main() -> None:
    port = int(os.environ.get("PORT", "3000"))
    try:
        fault_settings()
    except ValueError as exc:
        raise SystemExit(f"make dev: {exc}") from None
    server, backend = serve(port)
    engine = os.environ.get("DYNAMODB_ENDPOINT") or "embedded moto (in memory)"
    proxy = backend.faults
    if proxy:
        engine = f"{proxy.upstream} through the fault proxy {proxy.url}"
    print(f"Speak Pho Real API on http://127.0.0.1:{port}  (DynamoDB: {engine})", flush=True)
    if proxy:   # a dynoxide started for the proxy must stop with the server, on SIGTERM too
        signal.signal(signal.SIGTERM, _interrupt)
        print(f"faults: {proxy.rate:.0%} of table requests (seed {proxy.seed}; replay with FAULT_SEED={proxy.seed})"
              f"  counts: curl http://127.0.0.1:{port}/local/faults", flush=True)
    if backend.created_tables:
        print("tables created: " + ", ".join(backend.created_tables), flush=True)
    print("token: make token SUB=alice [ADMIN=1]   pages: /practice /learning /admin", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        backend.stop()


if __name__ == "__main__":
    main()

"""`make dev`: the whole API on http://127.0.0.1:$PORT, backed by an in-memory DynamoDB.

    python -m local.server        (PORT, DYNAMODB_ENDPOINT, LOCAL_QUIET from the environment)

The entry point only; the pieces:
  local/backend.py     DevBackend: DynamoDB (embedded moto, or DYNAMODB_ENDPOINT with its
                       missing tables created), the local API Gateway, the stream pump
  local/httpd.py       the HTTP request handler: /api/* -> gateway, /local/* -> dev routes,
                       other GETs -> static files
  local/dev_routes.py  POST /local/clock, /local/jobs/sweep, /local/token (never in the stack)
  local/static.py      web/ and the local config.json
  local/gateway.py     the local API Gateway: REST proxy events for the deployed handlers
"""
from __future__ import annotations

import os
from http.server import ThreadingHTTPServer

from local.backend import DevBackend


def serve(port: int, host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, DevBackend]:
    backend = DevBackend()
    from local.httpd import make_handler

    server = ThreadingHTTPServer((host, port), make_handler(backend))
    server.daemon_threads = True
    return server, backend


def main() -> None:
    port = int(os.environ.get("PORT", "3000"))
    server, backend = serve(port)
    engine = os.environ.get("DYNAMODB_ENDPOINT") or "embedded moto (in memory)"
    print(f"Speak Pho Real API on http://127.0.0.1:{port}  (DynamoDB: {engine})", flush=True)
    if backend.created_tables:
        print("tables created: " + ", ".join(backend.created_tables), flush=True)
    print("token: make token SUB=alice [ADMIN=1]   pages: /learning /admin", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        backend.stop()


if __name__ == "__main__":
    main()

"""`make dev`: the whole API on http://127.0.0.1:$PORT. `make dev` keeps its data in
.data/dynamodb.db (a dynoxide on that file); `make dev MEMORY=1` uses an in-memory moto.

    python -m local.server        (PORT, DEV_DB_PATH, DYNAMODB_ENDPOINT, LOCAL_QUIET, FAULTS,
                                   FAULT_SEED from the environment; without DEV_DB_PATH,
                                   DYNAMODB_ENDPOINT or FAULTS: embedded moto, in memory)

The entry point only; the pieces:
  local/backend.py     DevBackend: DynamoDB (DYNAMODB_ENDPOINT with its missing tables
                       created, a dynoxide on DEV_DB_PATH, or embedded moto), the local API
                       Gateway, the stream pump
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

from local.backend import DataInUse, DevBackend, fault_settings


def serve(port: int, host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, DevBackend]:
    backend = DevBackend()
    from local.httpd import make_handler

    server = ThreadingHTTPServer((host, port), make_handler(backend))
    server.daemon_threads = True
    return server, backend


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def _engine_line(backend: DevBackend) -> str:
    engine = backend.upstream or "embedded moto (in memory)"
    if backend.faults:
        engine += f" through the fault proxy {backend.faults.url}"
    if backend.db_path:
        engine += f" (dynoxide on {_shown(backend.db_path)})"
    return f"DynamoDB: {engine}"


def _shown(path) -> str:
    try:
        return str(path.relative_to(os.getcwd()))
    except ValueError:
        return str(path)


def _ahead(offset_ms: int) -> str:
    seconds = offset_ms / 1000
    return f"{seconds / 86400:.1f} days" if abs(seconds) >= 86400 else f"{seconds / 60:.1f} min"


def main() -> None:
    port = int(os.environ.get("PORT", "3000"))
    try:
        fault_settings()
    except ValueError as exc:
        raise SystemExit(f"make dev: {exc}") from None
    try:
        server, backend = serve(port)
    except DataInUse as exc:
        raise SystemExit(f"make dev: {exc}") from None
    print(f"Speak Pho Real API on http://127.0.0.1:{port}  ({_engine_line(backend)})", flush=True)
    # A dynoxide started here must stop with the server, on SIGTERM too.
    signal.signal(signal.SIGTERM, _interrupt)
    proxy = backend.faults
    if proxy:
        print(f"faults: {proxy.rate:.0%} of table requests (seed {proxy.seed}; replay with FAULT_SEED={proxy.seed})"
              f"  counts: curl http://127.0.0.1:{port}/local/faults", flush=True)
    if backend.created_tables:
        print("tables created: " + ", ".join(backend.created_tables), flush=True)
    if backend.migrated:
        print(f"tables migrated in place: {len(backend.migrated)} steps (docs/migrations.md)", flush=True)
    if backend.db_path:
        print(f"data kept in {_shown(backend.db_path)} across restarts (make dev-reset starts empty; "
              "MEMORY=1 keeps nothing)", flush=True)
    if backend.dev_clock.offset_ms:
        print(f"dev clock: {_ahead(backend.dev_clock.offset_ms)} ahead of the real time, as moved before the restart "
              "(make dev-reset starts at the real time)", flush=True)
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

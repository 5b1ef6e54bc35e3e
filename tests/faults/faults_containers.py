"""Stand-ins for N Lambda containers of the HTTP areas, for the fault suite.

    python tests/faults/faults_containers.py N     (DYNAMODB_ENDPOINT etc. from the environment)

One process imports every handler and warms what the first requests would otherwise pay
for (one cold start: the suite is about faults, not cold starts), binds N ports, then forks
N children; each child serves the API on its port with the local runner's request handler,
its own local.gateway.Gateway and its own copy of the DynamoDB client (no connection is
opened before the fork). Prints {"ports": [...]} on one line once ready (the handlers' logs
follow on stdout: the caller must keep reading it)
and serves until its stdin closes or it gets SIGTERM, then stops its children: a test run
that dies leaves no container behind.

Why processes: a Gateway runs one request at a time (a Powertools resolver keeps the request
on a module-level app, as one Lambda container serves one request at a time), and botocore's
retry back-off sleeps inside the handler. With every learner behind one Gateway, the suite's
wall time would be the sum of every learner's back-offs (about a minute per seed).
"""
from __future__ import annotations

import json
import os
import signal
import sys
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "layers" / "common" / "python", ROOT / "functions", ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def main(count: int) -> None:
    from local.backend import prepare_environment

    prepare_environment()
    os.environ.setdefault("LOCAL_QUIET", "1")
    from infra import catalog
    from local.gateway import Gateway
    from local.httpd import make_handler

    # The voice providers are not what this suite is about: in-memory ones, always available.
    from provider_fakes import fake_ports
    from speakpho import deps

    deps.use_provider_ports(fake_ports())
    catalog.routes()                       # imports every HTTP area
    for area in catalog.AREAS:
        Gateway().handler_for(area.handler)
    _warm()
    servers = []
    for _ in range(count):
        handler = make_handler(SimpleNamespace(gateway=Gateway()))
        handler.disable_nagle_algorithm = True   # the local runner writes headers and body apart
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        servers.append(server)
    children = []
    for server in servers:
        pid = os.fork()
        if pid == 0:
            _serve(server, [s for s in servers if s is not server])
        children.append(pid)
    for server in servers:
        server.server_close()

    def stop(*_):
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(json.dumps({"ports": [s.server_address[1] for s in servers]}), flush=True)
    sys.stdin.read()      # until the test closes the pipe (or exits)
    stop()


def _warm() -> None:
    from learning import review
    from session.handler import warm_before_snapshot

    warm_before_snapshot()       # settings, the DynamoDB client, the session models (as SnapStart does)
    review.scheduler()           # fsrs, else imported by the first review


def _serve(server: ThreadingHTTPServer, others: list) -> None:
    for other in others:
        other.server_close()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    try:
        server.serve_forever()
    finally:
        os._exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)

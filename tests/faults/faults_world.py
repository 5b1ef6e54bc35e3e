"""The world the fault suite runs in, and one seeded run in it.

    dynoxide (this suite's own)  <-  FaultProxy  <-  N container processes (the HTTP areas)
                                                 <-  this process: the sweeper, every SWEEP_EVERY
                                                     seconds, and the stream pump's rollup handler
    the stream itself is read through the proxy (the streams API always passes through);
    the invariants read dynoxide directly.

Time is real time (a shared frozen clock cannot span processes); STALE_AFTER_SECONDS and
SWEEP_BUCKET_SECONDS are 1, so a learner whose heartbeats are held up by retries, or who goes
quiet (faults_learner.SILENT), may be closed by the sweeper meanwhile (1 to 2 s after its last
sign of life: speakpho.metering.usage.sweep_at).
"""
from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from apitest import ApiClient, fresh_tables
from local.gateway import HttpResponse
from faults_invariants import scan
from faults_learner import LearnerReport, run_learner

HERE = Path(__file__).resolve().parent
RATE = 0.3
STALE_AFTER_SECONDS = 1
SWEEP_BUCKET_SECONDS = 1
SWEEP_EVERY = 0.3
IDEMPOTENCY_TABLE = "idempotency"
LOST_RETRIES = ("refuse",) * 4     # the handlers' client makes 5 attempts (speakpho/aws.py)
LOG_LINES = 200


class HttpGateway:
    """What ApiClient needs of a gateway (`request`), over HTTP to one container."""

    def __init__(self, base_url: str, timeout: float = 40.0) -> None:
        url = urlsplit(base_url)
        self.host, self.port, self.timeout = url.hostname, url.port, timeout

    def request(self, method: str, path: str, *, query: str = "", headers: dict | None = None, body=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            payload = body.encode() if isinstance(body, str) else body
            conn.request(method, path + (f"?{query}" if query else ""), body=payload, headers=headers or {})
            response = conn.getresponse()
            return HttpResponse(response.status, dict(response.getheaders()), response.read().decode())
        finally:
            conn.close()


@dataclass
class World:
    engine: str
    proxy: object
    direct: object                    # a client on dynoxide itself, for the invariants
    gateway: object                   # this process's Gateway for the rollups (the stream pump's)
    jobs: object                      # and another for the sweeper: separate Lambdas, not serialised
    pump: object
    containers: list[str]
    logs: deque = field(default_factory=lambda: deque(maxlen=LOG_LINES))   # the containers' last log lines


@contextmanager
def fault_world(containers: int = 8):
    from local import dynoxide
    from local.fault_proxy import FaultProxy
    from local.gateway import Gateway
    from local.streams import StreamPump

    engine_proc, engine = dynoxide.start()
    proxy = FaultProxy(engine).start()
    launcher = None
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("DYNAMODB_ENDPOINT", proxy.url)
            mp.setenv("STALE_AFTER_SECONDS", str(STALE_AFTER_SECONDS))
            mp.setenv("SWEEP_BUCKET_SECONDS", str(SWEEP_BUCKET_SECONDS))
            mp.setenv("LOCAL_QUIET", "1")
            launcher = subprocess.Popen([sys.executable, str(HERE / "faults_containers.py"), str(containers)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        env=dict(os.environ))
            with fresh_tables():
                direct = _direct_client(engine)
                gateway = Gateway()
                pump = StreamPump(gateway, direct, poll_seconds=0.3)
                ports = json.loads(launcher.stdout.readline())["ports"]
                logs = _drain(launcher.stdout)
                yield World(engine, proxy, direct, gateway, Gateway(), pump,
                            [f"http://127.0.0.1:{p}" for p in ports], logs)
                pump.stop()
    finally:
        if launcher is not None:
            launcher.stdin.close()
            try:
                launcher.wait(timeout=10)
            except subprocess.TimeoutExpired:
                launcher.kill()
        proxy.stop()
        engine_proc.terminate()
        engine_proc.wait(timeout=5)


def _drain(stream) -> deque:
    """Reads the containers' stdout (their logs: a handler's 500 logs its traceback, about
    8 KB) until it closes, keeping the last lines. Unread, the 64 KB pipe filled up after
    about eight such errors in a module (the scripted lost answers make two per seed) and a
    container then blocked on its next log line, holding its gateway: its learner's calls
    timed out (status 0) for the rest of the seed."""
    lines: deque = deque(maxlen=LOG_LINES)
    threading.Thread(target=lambda: lines.extend(stream), name="containers-log", daemon=True).start()
    return lines


def _direct_client(endpoint: str):
    import botocore.session

    return botocore.session.get_session().create_client("dynamodb", endpoint_url=endpoint)


class Sweeper(threading.Thread):
    """The scheduled sweeper, invoked the way EventBridge would, until stopped."""

    def __init__(self, world: World) -> None:
        super().__init__(name="fault-sweeper", daemon=True)
        self.world = world
        self.stopping = threading.Event()
        self.runs = self.failures = 0
        self.closed: list[str] = []

    def sweep(self) -> None:
        from infra.catalog import SWEEPER

        self.runs += 1
        try:
            self.closed += self.world.jobs.invoke(SWEEPER.handler, {"source": "aws.events"}, name="sweeper")["closed"]
        except Exception:  # noqa: BLE001 - a failed run is retried by the next schedule
            self.failures += 1

    def run(self) -> None:
        while not self.stopping.wait(SWEEP_EVERY):
            self.sweep()


@dataclass
class SeedRun:
    seed: int
    learners: list[LearnerReport]
    faults: dict
    sweeper: dict
    seconds: float
    extra: dict = field(default_factory=dict)


def run_seed(world: World, seed: int, learners: int = 8) -> SeedRun:
    """Learners in parallel under RATE faults of `seed`, the sweeper and the stream pump running;
    then faults off, the stream drained and one last sweep, as production would get to."""
    proxy = world.proxy
    proxy.reseed(seed, RATE)
    # Two scripted lost answers on top of the seeded faults, so every seed meets them: the first
    # keyed start's transaction and the first keyed review's are applied, then every retry of
    # the handler's client is refused, so the handler fails (500) after its write took effect
    # and the app's retry, with the same key, must get the first answer and no second effect.
    for effect in ("sessions", "corrections"):
        proxy.force_next("apply_500", "TransactWriteItems", (effect, IDEMPOTENCY_TABLE), then=LOST_RETRIES)
    sweeper = Sweeper(world)
    sweeper.start()
    world.pump.start()
    began = time.monotonic()

    def learner(i: int) -> LearnerReport:
        api = ApiClient(HttpGateway(world.containers[i % len(world.containers)]))
        user_id = f"seed{seed}-learner{i}"
        return run_learner(api.as_user(user_id, email=f"{user_id}@example.com"), user_id,
                           random.Random(f"{seed}/{i}"), silence=STALE_AFTER_SECONDS + SWEEP_BUCKET_SECONDS + 0.5)

    with ThreadPoolExecutor(learners) as pool:
        reports = list(pool.map(learner, range(learners)))
    seconds = time.monotonic() - began
    sweeper.stopping.set()
    sweeper.join()
    world.pump.stop()
    faults = proxy.counts()
    proxy.set_rate(0)
    world.pump.drain()
    # Sessions no client knows of (a start whose answer was lost) are the sweeper's to close.
    if any(s.get("status") == "active" for s in scan(world.direct, "sessions")):
        time.sleep(STALE_AFTER_SECONDS + SWEEP_BUCKET_SECONDS + 0.2)
        sweeper.sweep()
        world.pump.drain()
    known = {r.session_id for r in reports}
    mine = [s for s in scan(world.direct, "sessions") if str(s["userId"]).startswith(f"seed{seed}-")]
    return SeedRun(seed, reports, faults, {"runs": sweeper.runs, "failures": sweeper.failures,
                                           "closed": len(sweeper.closed)}, seconds,
                   {"sessions": len(mine), "sessionsNoClientKnows": sum(s["sessionId"] not in known for s in mine),
                    "closedStaleBeforeTheirEnd": sum(s.get("endReason") == "stale" and s["sessionId"] in known
                                                     for s in mine)})

"""`make load`: simulated learners over HTTP against `make dev`'s server on dynoxide.

    python -m bench.load        (LOAD_LEVELS=10,50,200  LOAD_HEARTBEAT_SECONDS=60)

Starts dynoxide (local/dynoxide.py) and the dev server in this process on a free loopback
port with DYNAMODB_ENDPOINT, then for each level runs that many learners at once, each a
realistic ~10-minute session (bench/load_learner.py). Loops are bounded; it stops by itself.

The clock. The server's clock is one for all learners, so a coordinator owns it: it freezes it
at 2026-11-10T18:00Z (an evening), and each step moves it one heartbeat interval with
POST /local/clock, then lets every live learner send that step's heartbeat (and its events,
switch, end...) concurrently, and waits for all of them before the next step. A learner's
session lasts 8-12 simulated minutes (10 on average: 8-12 steps of the default 60 s, the
server's HEARTBEAT_INTERVAL_SECONDS) and is charged exactly that, which the run checks; a level
takes 5 to 90 s of real time.

What is counted. The repo's one counter (local.ddb_meter.RequestMeter, capacity on) runs on
the shared DynamoDB client. The local gateway serialises every handler call under
`gateway.lock` (the stream pump's rollup invocations too), so the counter's change across one
call, read under that lock, is exactly that call's DynamoDB requests and consumed capacity.

Latency is measured by the learners (HTTP round trip). It says how this one-process runner
behaves under concurrency (calls queue on the gateway lock), not what Lambda would do.
Errors (any unexpected status, a wrong charge, a session missing from the history) must be
zero: the exit status is 1 otherwise. Results: bench/results/load.json and a table.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from bench.cost import TARGET_PER_1000_LEARNER_HOURS, cost_lines, priced
from bench.load_learner import EVENTS_ROUTE, Learner, Recorder

T0_MS = 1_794_333_600_000           # 2026-11-10T18:00:00Z
ROLLUPS = "stream: admin.rollups (per batch)"
READ_OPS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})


class QuietMetrics:
    """stdout without Powertools' metric blobs: with metrics disabled it never clears them, and
    prints one (whatever the setting) each time a metric reaches 100 values."""

    def __init__(self, stream) -> None:
        self.stream, self.dropped = stream, False

    def write(self, text: str) -> int:
        dropped, self.dropped = self.dropped, text.startswith('{"_aws"')
        return len(text) if self.dropped or (dropped and text == "\n") else self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))] if ordered else 0.0


class RouteMeter:
    """Per route: DynamoDB requests, capacity and handler time, read around each gateway call."""

    def __init__(self, gateway, client) -> None:
        from infra import catalog
        from local.ddb_meter import RequestMeter

        self.gateway, self.catalog = gateway, catalog
        self.meter = RequestMeter(client, capacity=True).start()
        self.routes: dict[str, dict] = {}
        self._request, self._invoke = gateway.request, gateway.invoke
        gateway.request, gateway.invoke = self.request, self.invoke

    def _measured(self, name: str, call):
        with self.gateway.lock:
            ops, by_op, started = Counter(self.meter.ops), Counter(self.meter.capacity_ops), time.perf_counter()
            try:
                return call()
            finally:
                row = self.routes.setdefault(name, {"calls": 0, "requests": 0, "capacity": 0.0, "read_units": 0.0,
                                                    "ops": Counter(), "handler_ms": []})
                delta = self.meter.ops - ops
                units = {op: self.meter.capacity_ops[op] - by_op[op] for op in self.meter.capacity_ops}
                row["calls"] += 1
                row["requests"] += sum(delta.values())
                row["ops"].update(delta)
                row["capacity"] += sum(units.values())
                row["read_units"] += sum(u for op, u in units.items() if op in READ_OPS)
                row["handler_ms"].append((time.perf_counter() - started) * 1000)

    def request(self, method: str, path: str, **kw):
        found = self.catalog.match(method, path)
        return self._measured(f"{method.upper()} {found[0].path if found else path}",
                              lambda: self._request(method, path, **kw))

    def invoke(self, dotted: str, event: dict, name: str = "job"):
        label = ROLLUPS if name == "rollups" else f"job: {name}"
        return self._measured(label, lambda: self._invoke(dotted, event, name=name))

    def stop(self) -> None:
        self.gateway.request, self.gateway.invoke = self._request, self._invoke
        self.meter.stop()


class Coordinator:
    """Owns the shared clock: one heartbeat interval per step, every live learner acting in it."""

    def __init__(self, port: int, heartbeat_seconds: int) -> None:
        import http.client

        self.port, self.heartbeat_seconds = port, heartbeat_seconds
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.now = T0_MS

    def advance(self) -> None:
        self.conn.request("POST", "/local/clock", body=json.dumps({"advanceSeconds": self.heartbeat_seconds}),
                          headers={"Content-Type": "application/json"})
        response = self.conn.getresponse()
        body = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"POST /local/clock -> {response.status} {body}")
        self.now = body["data"]["now"]

    def run_level(self, concurrency: int, recorder: Recorder, *, events: bool) -> float:
        """Runs `concurrency` learners through their sessions; returns the learner-hours simulated."""
        from local import tokens

        run_id = uuid.uuid4().hex[:6]
        # 8-12 minutes whatever the interval; one learner in four switches 1.5 to 6 minutes in.
        per_step = self.heartbeat_seconds
        learners = [Learner(i, run_id, self.port, recorder, heartbeat_seconds=per_step,
                            steps=max(1, (16 + i % 9) * 30 // per_step),
                            switch_at=max(1, (3 + i % 10) * 30 // per_step) if i % 4 == 1 else None, events=events,
                            token=tokens.mint(f"load-{run_id}-{i:04d}"), now_ms=lambda: self.now)
                    for i in range(concurrency)]
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="learner") as pool:
            self._all(pool, recorder, [learner.begin for learner in learners])
            live = [learner for learner in learners if learner.session_id]
            for step in range(1, max(learner.steps for learner in learners) + 1):
                self.advance()
                self._all(pool, recorder, [lambda lr=learner, k=step: lr.tick(k) for learner in live])
                live = [learner for learner in live if learner.steps > step]
        for learner in learners:
            learner.close()
        return sum(learner.steps for learner in learners) * self.heartbeat_seconds / 3600

    @staticmethod
    def _all(pool, recorder: Recorder, calls) -> None:
        for future in [pool.submit(call) for call in calls]:
            try:
                future.result(timeout=300)
            except Exception as exc:  # noqa: BLE001 - every failure is reported and fails the run
                recorder.fail(f"{type(exc).__name__}: {exc}")


def report(levels: dict, routes: dict, learner_hours: float) -> list[dict]:
    """The per-route table, printed; rows for load.json."""
    rows = []
    names = sorted(set(routes) | {r for lv in levels.values() for r in lv["latencies"]},
                   key=lambda n: (n == ROLLUPS, n))
    head = "".join(f"{f'{c} p50/p99 ms':>20}" for c in levels)
    print(f"\n{'route':<46}{head}{'handler ms':>11}{'calls/lh':>10}{'DDB req/call':>13}{'CU/call':>9}"
          f"{'DDB req/lh':>11}{'CU/lh':>9}")
    for name in names:
        metered = routes.get(name, {"calls": 0, "requests": 0, "capacity": 0.0, "read_units": 0.0, "ops": Counter(),
                                    "handler_ms": []})
        calls = metered["calls"] or 1
        row = {"route": name, "calls": metered["calls"], "ddb_requests": metered["requests"],
               "capacity_units": round(metered["capacity"], 2), "ops": dict(metered["ops"]),
               "read_units": round(metered["read_units"], 2),
               "write_units": round(metered["capacity"] - metered["read_units"], 2),
               "ddb_requests_per_call": round(metered["requests"] / calls, 2),
               "capacity_per_call": round(metered["capacity"] / calls, 2),
               "calls_per_learner_hour": round(metered["calls"] / learner_hours, 2),
               "ddb_requests_per_learner_hour": round(metered["requests"] / learner_hours, 1),
               "capacity_per_learner_hour": round(metered["capacity"] / learner_hours, 1),
               "handler_ms_p50": round(percentile(metered["handler_ms"], 0.5), 1), "latency_ms": {}}
        cells = ""
        for level, data in levels.items():
            seconds = data["latencies"].get(name, [])
            p50, p99 = percentile(seconds, 0.5) * 1000, percentile(seconds, 0.99) * 1000
            row["latency_ms"][level] = {"calls": len(seconds), "p50": round(p50, 1), "p99": round(p99, 1)}
            cells += f"{f'{p50:.0f} / {p99:.0f}' if seconds else '-':>20}"
        rows.append(row)
        print(f"{name[:45]:<46}{cells}{row['handler_ms_p50']:>11}{row['calls_per_learner_hour']:>10}"
              f"{row['ddb_requests_per_call']:>13}"
              f"{row['capacity_per_call']:>9}{row['ddb_requests_per_learner_hour']:>11}"
              f"{row['capacity_per_learner_hour']:>9}")
    total_requests = sum(r["ddb_requests"] for r in rows)
    total_capacity = sum(r["capacity_units"] for r in rows)
    print(f"{'TOTAL per learner-hour':<46}{'':>{20 * len(levels) + 43}}{total_requests / learner_hours:>11.1f}"
          f"{total_capacity / learner_hours:>9.1f}")
    return rows


def main() -> int:
    began = time.monotonic()
    sys.stdout = QuietMetrics(sys.stdout)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    levels_wanted = [int(x) for x in os.environ.get("LOAD_LEVELS", "10,50,200").split(",") if x.strip()]
    heartbeat_seconds = int(os.environ.get("LOAD_HEARTBEAT_SECONDS", "60"))   # the server's default interval
    os.environ["LOCAL_QUIET"] = "1"
    from local.backend import prepare_environment
    from local import dynoxide

    prepare_environment()
    proc, endpoint = dynoxide.start()
    os.environ["DYNAMODB_ENDPOINT"] = endpoint
    server = backend = meter = None
    try:
        from infra import catalog
        from local.server import serve
        from speakpho.clock import clock
        from speakpho.config import reset_settings
        from speakpho.aws import reset_clients

        reset_settings()
        reset_clients()
        port = dynoxide.free_port()
        server, backend = serve(port)
        # The dev server writes headers and body in two sends; with Nagle on, every answer waits
        # for the client's delayed ACK (~40 ms). Off here, so latency is the server's own.
        server.RequestHandlerClass.disable_nagle_algorithm = True
        # socketserver listens with a backlog of 5: 200 learners connecting at once overflow it
        # and some connections are reset. A bigger backlog, as any server in front of them has.
        server.socket.listen(1024)
        threading.Thread(target=server.serve_forever, name="load-server", daemon=True).start()
        clock.set(T0_MS)
        meter = RouteMeter(backend.gateway, backend.client)
        events = any(r.method == "POST" and r.path == EVENTS_ROUTE for r in catalog.routes())
        print(f"make load: dev server on 127.0.0.1:{port}, dynoxide at {endpoint}, heartbeat every "
              f"{heartbeat_seconds} s (simulated), levels {levels_wanted}")
        if not events:
            print(f"  skipped: POST {EVENTS_ROUTE} (not in the OpenAPI yet); the learners send no client events")
        coordinator = Coordinator(port, heartbeat_seconds)
        levels, learner_hours, errors = {}, 0.0, []
        for concurrency in levels_wanted:
            recorder, level_began = Recorder(), time.monotonic()
            hours = coordinator.run_level(concurrency, recorder, events=events)
            backend.stream_pump.drain()   # the rollups of this level's last changes, before the next one
            learner_hours += hours
            errors += recorder.errors
            levels[concurrency] = {"latencies": recorder.latencies, "learner_hours": hours,
                                   "seconds": time.monotonic() - level_began, "errors": len(recorder.errors),
                                   "reconnects": len(recorder.reconnects)}
            print(f"  {concurrency:>4} learners: {hours:.2f} learner-hours in {levels[concurrency]['seconds']:.1f} s, "
                  f"{sum(map(len, recorder.latencies.values()))} calls, {len(recorder.errors)} errors, "
                  f"{len(recorder.reconnects)} reconnects")
        rows = report(levels, meter.routes, learner_hours)
    finally:
        if meter:
            meter.stop()
        if server:
            server.shutdown()
            server.server_close()
        if backend:
            backend.stop()
        proc.terminate()
    elapsed = time.monotonic() - began
    result = {"measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "heartbeat_seconds": heartbeat_seconds,
              "events_route": events, "learner_hours": round(learner_hours, 3), "run_seconds": round(elapsed, 1),
              "levels": {c: {k: v for k, v in d.items() if k != "latencies"} for c, d in levels.items()},
              "routes": rows, "errors": errors[:100], "error_count": len(errors),
              "totals_per_learner_hour": {
                  "ddb_requests": round(sum(r["ddb_requests"] for r in rows) / learner_hours, 1),
                  "capacity_units": round(sum(r["capacity_units"] for r in rows) / learner_hours, 1),
                  "read_units": round(sum(r["read_units"] for r in rows) / learner_hours, 1),
                  "write_units": round(sum(r["write_units"] for r in rows) / learner_hours, 1),
                  "lambda_ms": round(sum(r["calls"] * r["handler_ms_p50"] for r in rows) / learner_hours),
                  "api_calls": round(sum(r["calls"] for r in rows if not r["route"].startswith(("stream", "job")))
                                     / learner_hours, 1)}}
    totals = result["totals_per_learner_hour"]
    result["cost_per_1000_learner_hours"] = cost = priced(rows, totals, learner_hours)
    os.makedirs("bench/results", exist_ok=True)
    with open("bench/results/load.json", "w") as fh:
        json.dump(result, fh, indent=2, ensure_ascii=False)
    print(f"per learner-hour: {totals['api_calls']} API calls, {totals['ddb_requests']} DynamoDB requests, "
          f"{totals['read_units']} read + {totals['write_units']} write units, {totals['lambda_ms']} ms in handlers")
    print("\n" + "\n".join(cost_lines(cost)))
    print(f"\n{learner_hours:.2f} learner-hours simulated; written: bench/results/load.json; run time {elapsed:.1f} s")
    if errors:
        print(f"{len(errors)} errors:\n  " + "\n  ".join(errors[:20]))
        return 1
    print("0 errors")
    if cost["total"] > TARGET_PER_1000_LEARNER_HOURS:
        print(f"over budget: ${cost['total']:.3f} per 1,000 learner-hours > ${TARGET_PER_1000_LEARNER_HOURS:.2f}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

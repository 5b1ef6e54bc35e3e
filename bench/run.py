"""`make bench`: DynamoDB requests and consumed capacity per route (with the provider and
Scheduler calls each makes: bench/provider_bench.py), the write units of each call of a session
on every table and index (bench/write_units.py), and cold init per handler.

Runs against dynoxide (real conditional writes, real consumed capacity), through the
local API Gateway to the deployed handlers. Budgets from the issues are checked and
printed next to each figure; the exit status is non-zero when one is exceeded.
"""
from __future__ import annotations

import json
import os
import sys

from bench.session_budgets import END_REQUESTS
from infra.catalog import ensure_import_paths

ensure_import_paths()

for _k, _v in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
               "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true",
               "POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_NAMESPACE": "SpeakPho"}.items():
    os.environ.setdefault(_k, _v)

RESULTS: list[dict] = []
FAILURES: list[str] = []


def record(area: str, route: str, reading, budget: int | None = None, note: str = "", *,
           providers: int | None = None, schedules: int | None = None) -> None:
    """One call's figures against its budgets: DynamoDB requests, and (when given) provider
    calls and Scheduler calls (bench/provider_bench.py counts them)."""
    over = []
    if budget is not None and reading.requests > budget:
        over.append(f"{reading.requests} requests > budget {budget}")
    if providers is not None and reading.providers > providers:
        over.append(f"{reading.providers} provider calls > budget {providers}")
    if schedules is not None and reading.scheduler_calls > schedules:
        over.append(f"{reading.scheduler_calls} scheduler calls > budget {schedules}")
    FAILURES.extend(f"{route}: {o}" for o in over)
    RESULTS.append({"area": area, "route": route, "requests": reading.requests,
                    "capacity": round(reading.capacity, 1), "ops": dict(reading.ops),
                    "providerCalls": dict(reading.provider_calls), "schedulerCalls": reading.scheduler_calls,
                    "budget": budget, "providerBudget": providers, "schedulerBudget": schedules,
                    "within_budget": not over, "note": note})
    budgets = [f"{budget}" if budget is not None else None,
               f"{providers} provider" if providers is not None else None,
               f"{schedules} scheduler" if schedules is not None else None]
    shown = " + ".join(b for b in budgets if b)
    verdict = "" if not shown else (f"  ok (budget {shown})" if not over else f"  OVER BUDGET ({shown})")
    print(f"  {route:<58} {reading.describe()}{verdict}{('  ' + note) if note else ''}")


class Caller:
    def __init__(self, gateway, meter, sub: str, admin: bool = False):
        from local import tokens

        self.gateway, self.meter = gateway, meter
        self.headers = {"Authorization": "Bearer " + tokens.mint(sub, groups=["admin"] if admin else []),
                        "Content-Type": "application/json"}

    def call(self, method: str, path: str, body=None, headers: dict | None = None, query: str = ""):
        def go():
            return self.gateway.request(method, path, query=query, headers={**self.headers, **(headers or {})},
                                        body=json.dumps(body, ensure_ascii=False) if body is not None else None)

        response, reading = self.meter.measure(go)
        if response.status >= 400:
            raise RuntimeError(f"{method} {path} -> {response.status} {response.body[:300]}")
        return (response.json() or {}).get("data"), reading


def bench_session(gateway, meter, clock) -> None:
    print("session area")
    alice = Caller(gateway, meter, "bench-alice")
    started, r = alice.call("POST", "/api/session/start", {"topic": "food"})
    record("session", "POST /api/session/start (first of the month)", r, 2, providers=1, schedules=0,
           note="Gemini: + its token")
    sid = started["sessionId"]
    clock.advance(30)
    _, r = alice.call("POST", "/api/session/heartbeat", {"sessionId": sid})
    record("session", "POST /api/session/heartbeat", r, 2, providers=0, schedules=0)
    _, r = alice.call("POST", "/api/session/switch-provider", {"sessionId": sid, "provider": "openai",
                                                                "disconnectCode": 1006})
    record("session", "POST /api/session/switch-provider", r, 2, providers=0, schedules=0,
           note="Gemini -> OpenAI: the switch + the grant; the call comes with /connect")
    clock.advance(30)
    _, r = alice.call("POST", "/api/session/end", {"sessionId": sid, "disconnectCode": 1000})
    record("session", "POST /api/session/end (no transcript)", r, END_REQUESTS)
    _, r = alice.call("POST", "/api/session/end", {"sessionId": sid})
    record("session", "POST /api/session/end (repeat)", r, 2)

    started, r = alice.call("POST", "/api/session/start", {"topic": "travel"})
    record("session", "POST /api/session/start (again in the month)", r, 2, providers=1)
    clock.advance(60)
    messages = [{"role": "user" if i % 2 else "coach", "text": f"Câu số {i}: Tôi muốn ăn phở", "timestamp": i}
                for i in range(60)]
    corrections = [{"original": f"sai {i}", "correction": f"đúng {i}", "category": "grammar"} for i in range(10)]
    _, r = alice.call("POST", "/api/session/end", {"sessionId": started["sessionId"], "messages": messages,
                                                    "corrections": corrections})
    # The 60 messages pack into 4 items of <= 1 KB (speakpho.transcript): one batch, as the 10 corrections.
    batches = -(-4 // 25) + -(-10 // 25)
    record("session", "POST /api/session/end (60 messages, 10 corrections)", r, END_REQUESTS + batches,
           note=f"{END_REQUESTS} + {batches} batches")

    started, r = alice.call("POST", "/api/session/start", {}, headers={"Idempotency-Key": "bench-1"})
    record("session", "POST /api/session/start + Idempotency-Key", r, 2, providers=1,
           note="the key's record rides in the start's two requests")
    _, r = alice.call("POST", "/api/session/start", {}, headers={"Idempotency-Key": "bench-1"})
    record("session", "POST /api/session/start + Idempotency-Key (repeat)", r, 1, providers=0,
           note="a replay mints no token")
    _, r = alice.call("GET", "/api/usage")
    record("session", "GET /api/usage", r, 1)


# Cold-init budget (the developers' guide): a ratchet on valgrind instructions (the same on
# every run; wall time is printed for reference only), against the floor (import boto3 + one
# client): each HTTP handler at most 1.52x, the background functions at most 1.45x. The
# references are printed beside them, not judged.
COLD_INIT_CAPS = {"session": 1.52, "learning": 1.52, "admin": 1.52,
                  "sweeper": 1.45, "rollups": 1.45, "hangup": 1.45}
HTTP_HANDLERS = ("session", "learning", "admin")


def cold_init_budget(name: str) -> float:
    return COLD_INIT_CAPS[name]


def report_cold_init(figures_by_name: dict, amount, extra, *, unit: str = "", judge: bool = False) -> None:
    """Print each handler's cold init (against its budget when `judge`, recording what is over),
    then the references."""
    framework = next((f["ratio"] for n, f in figures_by_name["references"].items() if "framework alone" in n), None)
    for name, figures in figures_by_name["handlers"].items():
        budget = cold_init_budget(name)
        # An HTTP handler's own share: what it loads beyond the framework every handler needs.
        own = f"  own {figures['ratio'] - framework:+.2f}x" if framework and name in HTTP_HANDLERS else ""
        ok = figures["ratio"] <= budget
        if judge and not ok:
            FAILURES.append(f"cold init {name}: {figures['ratio']}x floor{unit} > {budget}x")
        verdict = f"{'ok' if ok else 'OVER BUDGET'} (budget {budget:.2f}x)" if judge else f"(budget {budget:.2f}x in instructions)"
        print(f"  {name:<10} {amount(figures)}  {figures['ratio']:.2f}x floor  {verdict}{own}{extra(figures)}")
    for name, figures in figures_by_name["references"].items():
        print(f"  {name}: {amount(figures).strip()}, {figures['ratio']:.2f}x floor")


def main() -> int:
    from local import dynoxide

    from bench.provider_bench import ProviderWorld

    proc, endpoint = dynoxide.start()
    os.environ["DYNAMODB_ENDPOINT"] = endpoint
    world = None
    try:
        # make dev's provider world (the fakes, moto's Secrets Manager and Scheduler), before
        # deps.reset(): it sets the env the handlers read. Requests to dynoxide pass through moto.
        world = ProviderWorld().start()
        from speakpho import deps
        from speakpho.aws import dynamodb_client
        from speakpho.clock import clock
        from speakpho.table_setup import create_missing_tables

        from bench.meter import Meter
        from local.gateway import Gateway

        deps.reset()
        # The erasure jobs' queue on moto's SQS (DELETE /api/learning/history answers 202 with a job).
        from local.queue_runner import provision_erasure_queue

        provision_erasure_queue()
        client = dynamodb_client()
        # No stream: the bench bulk-loads 50,000 sessions with their rollups already computed,
        # and dynoxide slows every write as unread stream records pile up.
        create_missing_tables(client, streams=False)
        meter = Meter(client, outside=world.calls)
        gateway = Gateway()
        clock.set(1_794_312_000_000)  # 2026-11-10T12:00Z
        print(f"DynamoDB requests and consumed capacity per call (dynoxide at {endpoint}),"
              " and the provider and Scheduler calls it makes")
        bench_session(gateway, meter, clock)
        from bench import provider_bench

        provider_bench.run(world=world, gateway=gateway, meter=meter, clock=clock, client=client, record=record,
                           Caller=Caller, fail=FAILURES.append)
        for extra in ("bench.story_bench", "bench.learning_bench", "bench.admin_bench", "bench.mistakes_bench",
                      "bench.write_units_scenario"):
            try:
                module = __import__(extra, fromlist=["run"])
            except ImportError:
                continue
            module.run(gateway=gateway, meter=meter, clock=clock, client=client, record=record, Caller=Caller,
                       fail=FAILURES.append)
    finally:
        if world:
            world.stop()
        proc.terminate()

    from bench import coldstart

    rounds = int(os.environ.get("BENCH_COLD_ROUNDS", "9"))
    print(f"\ncold init per handler (median of {rounds} fresh interpreters; floor = import boto3 + one DynamoDB client)")
    cold = coldstart.measure(rounds)
    print(f"  measured {cold['measured']}")
    print(f"  {'floor':<10} {cold['floor_ms']:>8.1f} ms  (CPU {cold['floor_cpu_ms']:.1f} ms)")
    report_cold_init(cold, lambda f: f"{f['init_ms']:>8.1f} ms", lambda f: f"  CPU {f['cpu_ratio']:.2f}x")
    if not cold["as_deployed"]:
        FAILURES.append("cold init not measured as deployed (no CPython of the Lambda runtime's version here)")
    if os.environ.get("BENCH_INSTRUCTIONS", "1") != "0":
        counted = coldstart.measure_instructions()
        if counted is None:
            print("  (instruction counts skipped: needs valgrind and a CPython of the runtime's version)")
        else:
            cold["instructions"] = counted
            print("\ncold init in instructions (valgrind, less an empty interpreter's start-up; the same on every run)")
            print(f"  {'floor':<10} {counted['floor_instructions'] / 1e6:>8.1f} M")
            report_cold_init(counted, lambda f: f"{f['instructions'] / 1e6:>8.1f} M", lambda f: "", judge=True,
                             unit=" in instructions")

    from bench.write_units_scenario import ROWS as WRITE_UNITS

    os.makedirs("bench/results", exist_ok=True)
    with open("bench/results/latest.json", "w") as fh:
        json.dump({"routes": RESULTS, "writeUnits": [r.as_json() for r in WRITE_UNITS], "cold_init": cold,
                   "failures": FAILURES}, fh, indent=2)
    print("\nwritten: bench/results/latest.json")
    if FAILURES:
        print("over budget:\n  " + "\n  ".join(FAILURES))
        return 1
    print("all within budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())

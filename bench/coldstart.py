"""Cold init of each handler against the floor of `import boto3` + one DynamoDB client.

Measured on what is deployed, the way Lambda runs it: the layer and function code exactly
as the stack's bundlers build them (infra/layer_build.py, with their bytecode), laid out as
/opt/python, /var/task and the runtime's boto3, run by a CPython of the runtime's version
with no site-packages of this machine, no bytecode writing (those paths are read-only in
Lambda) and the functions' interpreter environment. Each sample is a fresh interpreter, as
a new container is, timing what it does before it can answer: import the handler module
and build the DynamoDB client its first request uses. Samples of the floor and of the
handlers are interleaved so machine noise hits both alike; the median is reported.

Without a CPython of the runtime's version here, it falls back to this machine's venv
(another Python, and its site-packages) and says so.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from local import lambda_tree
from local.lambda_tree import Layout, lambda_env

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / ".build" / "bench-lambda"

FLOOR = "import boto3\nboto3.client('dynamodb')"
WARM_CLIENT = "from speakpho.aws import dynamodb_client\ndynamodb_client()"

# What each Lambda imports at init, as deployed (tracing on, metrics on).
HANDLERS = {
    "session": "import session.handler",
    "learning": "import learning.handler",
    "admin": "import admin.handler",
    "sweeper": "import session.sweeper",
    "rollups": "import admin.rollups",
    "hangup": "import session.hangup",      # infra.catalog.HANGUP, the Scheduler's target
}

# Not handlers: printed for reference, so a reader can tell our code's share from the
# framework's and what the bytecode is worth.
REFERENCES = {
    # Everything an HTTP handler must load before any code of ours runs: the client as our
    # handlers build it, and the Powertools pieces every handler uses (the guide's stack).
    "ref: framework alone (our client, pydantic, Logger, Metrics, validated REST resolver)":
        "from speakpho.aws import dynamodb_client\ndynamodb_client()\n"
        "from pydantic import BaseModel\n"
        "from aws_lambda_powertools import Logger, Metrics\n"
        "Logger(service='ref'); Metrics(namespace='ref')\n"
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "APIGatewayRestResolver(enable_validation=True)",
    "ref: client + Powertools REST resolver (validation on)":
        "import boto3\nboto3.client('dynamodb')\n"
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "APIGatewayRestResolver(enable_validation=True)",
    "ref: client + pydantic BaseModel": "import boto3\nboto3.client('dynamodb')\nfrom pydantic import BaseModel",
}
SOURCE_ONLY_REFERENCE = "ref: session, layer and code shipped without bytecode"

# Wall time, and the CPU time the interpreter spent (which leaves out waiting for a core; on
# this VM the two agree, as its noise is the cores' speed, hence the instruction counts below).
PROBE = """
import time, sys
t0, c0 = time.perf_counter(), time.process_time()
exec(compile(sys.argv[1], "init", "exec"))
print((time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000)
"""


def build_lambda_tree(python: str) -> dict[str, Layout]:
    return lambda_tree.build(python, TREE, with_source_copy=True)


def venv_layout() -> Layout:
    return Layout(sys.executable, (ROOT / "layers/common/python", ROOT / "functions"), False,
                  f"NOT as deployed: no CPython of the runtime's version here, measured in this venv "
                  f"(Python {sys.version.split()[0]}, its site-packages)")


def _cwd(layout: Layout) -> str:
    return str(layout.cwd if layout.isolated else ROOT)


def sample(layout: Layout, code: str) -> tuple[float, float]:
    out = subprocess.run(layout.command("-c", PROBE, code), capture_output=True, text=True,
                         env=lambda_env(layout), cwd=_cwd(layout), check=False)
    if out.returncode != 0:
        raise RuntimeError(f"cold-init sample failed ({layout.description}):\n{out.stderr[-3000:]}")
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def measure(rounds: int = 9, handlers: dict | None = None) -> dict:
    from infra import bytecode

    handlers = handlers or HANDLERS
    python = bytecode.interpreter()
    if python:
        layouts = build_lambda_tree(python)
        main, source = layouts["compiled"], layouts["source"]
    else:
        main, source = venv_layout(), None
    cases: dict[str, tuple[Layout, str]] = {"floor": (main, FLOOR)}
    for name, code in handlers.items():
        cases[name] = (main, code + "\n" + WARM_CLIENT)
    for name, code in REFERENCES.items():
        cases[name] = (main, code)
    if source is not None:
        cases[SOURCE_ONLY_REFERENCE] = (source, handlers.get("session", HANDLERS["session"]) + "\n" + WARM_CLIENT)
    for layout, code in cases.values():   # once first: page cache, and a failure shows here
        sample(layout, code)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (layout, code) in cases.items():
            samples[name].append(sample(layout, code))
    wall = {k: statistics.median(w for w, _ in v) for k, v in samples.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in samples.items()}
    floor = wall["floor"]

    def figures(name: str) -> dict:
        return {"init_ms": round(wall[name], 1), "ratio": round(wall[name] / floor, 2),
                "cpu_ms": round(cpu[name], 1), "cpu_ratio": round(cpu[name] / cpu["floor"], 2)}

    return {
        "measured": main.description,
        "as_deployed": source is not None,
        "floor_ms": round(floor, 1),
        "floor_cpu_ms": round(cpu["floor"], 1),
        "handlers": {n: figures(n) for n in handlers},
        "references": {n: figures(n) for n in cases if n not in handlers and n != "floor"},
    }


EMPTY = "pass"


def _count_instructions(layout: Layout, code: str) -> int:
    """Instructions the interpreter executes for `code`, counted by valgrind (callgrind):
    the same figure on every run, whatever else the machine is doing."""
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
             *layout.command("-c", code)],
            capture_output=True, text=True, env=lambda_env(layout), cwd=_cwd(layout))
    found = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode != 0 or not found:
        raise RuntimeError(f"callgrind failed:\n{out.stderr[-3000:]}")
    return int(found.group(1))


def measure_instructions(handlers: dict | None = None) -> dict | None:
    """Deterministic companion of measure(): instructions of each init against the floor's,
    both less an empty interpreter's start-up. None without valgrind or a runtime CPython."""
    from infra import bytecode

    handlers = handlers or HANDLERS
    python = bytecode.interpreter()
    if python is None or shutil.which("valgrind") is None:
        return None
    layout = build_lambda_tree(python)["compiled"]
    cases = {"empty": EMPTY, "floor": FLOOR, **{n: c + "\n" + WARM_CLIENT for n, c in handlers.items()},
             **REFERENCES}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        counts = dict(zip(cases, pool.map(lambda code: _count_instructions(layout, code), cases.values())))
    floor = counts["floor"] - counts["empty"]

    def figures(name: str) -> dict:
        return {"instructions": counts[name] - counts["empty"], "ratio": round((counts[name] - counts["empty"]) / floor, 2)}

    return {
        "floor_instructions": floor,
        "handlers": {n: figures(n) for n in handlers},
        "references": {n: figures(n) for n in REFERENCES},
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["instructions"]:
        print(json.dumps(measure_instructions(), indent=2))
    else:
        print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 9), indent=2))

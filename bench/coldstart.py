"""Cold init of each handler against the floor of `import boto3` + one DynamoDB client.

Each sample is a fresh interpreter (as a new Lambda container is), timing what the
container does before it can answer: import the handler module and build the
DynamoDB client its first request uses. Samples of the floor and of the handlers are
interleaved so machine noise hits both alike; the median is reported.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FLOOR = "import boto3\nboto3.client('dynamodb')"
WARM_CLIENT = "from speakpho.aws import dynamodb_client\ndynamodb_client()"

# What each Lambda imports at init, as deployed (tracing on, metrics on).
HANDLERS = {
    "session": "import session.handler",
    "learning": "import learning.handler",
    "admin": "import admin.handler",
    "sweeper": "import session.sweeper",
    "rollups": "import admin.rollups",
}

# Not handlers: what the mandated framework costs on its own, printed for reference so a
# reader can tell our code's share from Powertools' and pydantic's.
REFERENCES = {
    "ref: client + Powertools REST resolver (validation on)":
        "import boto3\nboto3.client('dynamodb')\n"
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "APIGatewayRestResolver(enable_validation=True)",
    "ref: client + pydantic BaseModel": "import boto3\nboto3.client('dynamodb')\nfrom pydantic import BaseModel",
}

PROBE = """
import time, sys
t0 = time.perf_counter()
exec(compile(sys.argv[1], "init", "exec"))
print((time.perf_counter() - t0) * 1000)
"""


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers/common/python"), str(ROOT / "functions")]),
        "PYTHONDONTWRITEBYTECODE": "0",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
        # As in Lambda: these make the X-Ray SDK and Powertools take their Lambda code paths.
        "LAMBDA_TASK_ROOT": str(ROOT / "functions"), "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "POWERTOOLS_METRICS_NAMESPACE": "SpeakPho", "POWERTOOLS_SERVICE_NAME": "bench",
    })
    return env


def sample(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", PROBE, code], capture_output=True, text=True, env=_env(),
                         cwd=str(ROOT), check=True)
    return float(out.stdout.strip().splitlines()[-1])


def measure(rounds: int = 9, handlers: dict | None = None) -> dict:
    handlers = handlers or HANDLERS
    available = {}
    for name, code in handlers.items():
        module = code.split()[-1]
        rel = ROOT / "functions" / (module.replace(".", "/") + ".py")
        if rel.exists():
            available[name] = code + "\n" + WARM_CLIENT
    available.update(REFERENCES)
    # Compile .pyc files first so the first sample does not pay for it.
    for code in [FLOOR, *available.values()]:
        sample(code)
    samples: dict[str, list[float]] = {"floor": [], **{n: [] for n in available}}
    for _ in range(rounds):
        samples["floor"].append(sample(FLOOR))
        for name, code in available.items():
            samples[name].append(sample(code))
    medians = {k: statistics.median(v) for k, v in samples.items()}
    floor = medians["floor"]
    return {
        "floor_ms": round(floor, 1),
        "handlers": {n: {"init_ms": round(medians[n], 1), "ratio": round(medians[n] / floor, 2)}
                     for n in available if n not in REFERENCES},
        "references": {n: {"init_ms": round(medians[n], 1), "ratio": round(medians[n] / floor, 2)}
                       for n in REFERENCES},
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 9), indent=2))

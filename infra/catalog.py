"""Which Lambda serves which route: the one list the stack, the local runner and the tests use.

Routes themselves are declared once, on the Powertools routers of each area; this module
reads them back from each area's generated OpenAPI document.
"""
from __future__ import annotations

import importlib
import re
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYER_PATH = ROOT / "layers" / "common" / "python"
FUNCTIONS_PATH = ROOT / "functions"


@dataclass(frozen=True)
class Area:
    name: str            # also the folder under functions/
    handler: str         # module.function, relative to functions/
    http: bool = True    # served through API Gateway
    description: str = ""


AREAS: tuple[Area, ...] = (
    Area("session", "session.handler.lambda_handler", description="Session lifecycle and voice-minute metering"),
    Area("learning", "learning.handler.lambda_handler", description="Learning history and corrections review"),
    Area("admin", "admin.handler.lambda_handler", description="Admin session health and allowances"),
)

# Lambdas that are not behind API Gateway.
SWEEPER = Area("session", "session.sweeper.lambda_handler", http=False, description="Stale-session sweeper")
ROLLUPS = Area("admin", "admin.rollups.lambda_handler", http=False, description="Session stream to daily rollups")
# The corrections table's stream to the common-mistakes day cells (admin/mistakes_stream.py).
MISTAKES = Area("admin", "admin.mistakes_stream.lambda_handler", http=False,
                description="Corrections stream to the common-mistakes rollups")
# The target of the one-time EventBridge Scheduler schedules: hangs up an OpenAI call at the
# learner's limit (plus the grace) when nothing else did (speakpho.access).
HANGUP = Area("session", "session.hangup.lambda_handler", http=False,
              description="Hangs up a voice call at the learner's limit")
# Run by an EventBridge schedule: fits the FSRS parameters of the learners flagged for it
# (learning/optimizer.py).
OPTIMIZER = Area("learning", "learning.optimizer.lambda_handler", http=False,
                 description="Fits each flagged learner's own FSRS parameters")
# Fed by the sessions table's stream (the changes that store a transcript): reviews the
# corrections the learner said in that conversation (learning/conversation.py).
CONVERSATION = Area("learning", "learning.conversation_handler.lambda_handler", http=False,
                    description="Reviews the corrections a learner said in conversation")
# Fed by the erasure queue (SQS): runs the erasure jobs DELETE /api/learning/history starts,
# a bounded chunk per invocation, re-enqueuing itself while work is left (learning/erasure.py).
ERASURE_WORKER = Area("learning", "learning.erasure_worker.lambda_handler", http=False,
                      description="Runs the learners' erasure jobs in chunks")
# The learner pool's pre sign-up and post confirmation trigger (functions/signup): refuses
# disposable domains, one account per mailbox.
SIGNUP = Area("signup", "signup.handler.lambda_handler", http=False,
              description="Learner sign-up: no disposable mail, one account per mailbox")


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str          # API Gateway form: /api/learning/session/{id}
    area: str

    @property
    def pattern(self) -> re.Pattern:
        return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path)) + "$")


def ensure_import_paths() -> None:
    for path in (str(LAYER_PATH), str(FUNCTIONS_PATH)):
        if path not in sys.path:
            sys.path.insert(0, path)


def load_handler(dotted: str):
    ensure_import_paths()
    module_name, _, function = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), function)


def area_app(area: Area):
    ensure_import_paths()
    return importlib.import_module(area.handler.rpartition(".")[0]).app


_ROUTES_LOCK = threading.Lock()


def routes() -> tuple[RouteSpec, ...]:
    """Every route, read back from the areas' generated OpenAPI (built once; the lock because
    Powertools' schema generation is not safe to run twice at once, as the threaded local
    runner's first concurrent requests would)."""
    with _ROUTES_LOCK:
        return _routes()


@lru_cache(maxsize=1)
def _routes() -> tuple[RouteSpec, ...]:
    found = []
    for area in AREAS:
        schema = area_app(area).get_openapi_schema()
        for path, operations in (schema.paths or {}).items():
            for method in ("get", "post", "put", "patch", "delete"):
                if getattr(operations, method, None) is not None:
                    found.append(RouteSpec(method.upper(), path, area.name))
    return tuple(sorted(found, key=lambda r: (r.path, r.method)))


def match(method: str, path: str) -> tuple[RouteSpec, dict[str, str]] | None:
    for route in routes():
        if route.method == method.upper():
            m = route.pattern.match(path)
            if m:
                return route, m.groupdict()
    return None


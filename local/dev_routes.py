"""The dev-only routes of the local runner (never in the stack):

  POST /local/clock {"advanceSeconds": N}          moves the clock every handler sees
  POST /local/jobs/sweep                           runs the stale-session sweeper now
  POST /local/token {"sub", "admin"?, "email"?, "emailVerified"?}
                                                   mints a local token (the pages' dev sign-in); an
                                                   admin token carries the admin pool's issuer
  GET  /local/providers/log                        what the provider fakes saw: tokens, connections, hangups
  POST /local/providers/fail {"provider", "code", "reason"?}
                                                   that fake closes its open connections with that code
  POST /local/providers/go-away {"timeLeftMs"}      the fake Gemini sends goAway {timeLeft} on its open
                                                   connections and closes each when that time is up
  POST /local/jobs/schedules                       fires the hangup schedules due on the dev clock now
  POST /local/jobs/optimise                        runs the FSRS optimiser now (it also runs every dev-minute)
  GET  /local/faults                               with FAULTS set: what the fault proxy injected
  POST /local/faults {"rate"?, "seed"?}            changes the rate; a seed restarts the sequence
                                                   (and the counts); answers the counts

`handle` answers (status, body) in the API's envelope; the HTTP layer only sends it.
"""
from __future__ import annotations

import json

from infra.catalog import ensure_import_paths
from local.backend import DevBackend

ensure_import_paths()
from speakpho.envelope import error_body, ok_body  # noqa: E402

PREFIX = "/local/"


def parse_object(raw: bytes) -> dict | None:
    """The request body as a JSON object: {} when empty, None when it is anything else."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def handle(backend: DevBackend, method: str, path: str, raw_body: bytes) -> tuple[int, dict]:
    if method == "GET" and path in READABLE:
        return ROUTES[path](backend, {})
    if method != "POST":
        return 405, error_body("method_not_allowed", "use POST")
    body = parse_object(raw_body)
    if body is None:
        return 400, error_body("bad_request", "body must be a JSON object")
    route = ROUTES.get(path)
    if route is None:
        return 404, error_body("not_found", "no such route")
    return route(backend, body)


def _clock(backend: DevBackend, body: dict) -> tuple[int, dict]:
    seconds = body.get("advanceSeconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return 400, error_body("validation_error", "advanceSeconds must be a number", [{"field": "advanceSeconds"}])
    return 200, ok_body({"now": backend.dev_clock.advance(seconds)})   # kept across restarts


def _sweep(backend: DevBackend, body: dict) -> tuple[int, dict]:
    return 200, ok_body(backend.sweep())


def _token(backend: DevBackend, body: dict) -> tuple[int, dict]:
    from local import tokens

    sub = str(body.get("sub") or "").strip()
    if not sub or len(sub) > 128:
        return 400, error_body("validation_error", "sub is required (1-128 characters)", [{"field": "sub"}])
    groups = [tokens.ADMIN_GROUP] if body.get("admin") else []
    token = tokens.mint(sub, email=body.get("email") or None, groups=groups,
                        email_verified=body.get("emailVerified", True) is not False)
    return 200, ok_body({"token": token, "sub": sub, "groups": groups})


def _faults(backend: DevBackend, body: dict) -> tuple[int, dict]:
    proxy = getattr(backend, "faults", None)
    if proxy is None:
        return 404, error_body("not_found", "faults are off: start with FAULTS=0.3 make dev")
    rate, seed = body.get("rate"), body.get("seed")
    if rate is not None and (not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate <= 1):
        return 400, error_body("validation_error", "rate must be a number from 0 to 1", [{"field": "rate"}])
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        return 400, error_body("validation_error", "seed must be an integer", [{"field": "seed"}])
    if seed is not None:
        proxy.reseed(seed, rate)
    elif rate is not None:
        proxy.set_rate(rate)
    return 200, ok_body(proxy.counts())


def _providers_log(backend: DevBackend, body: dict) -> tuple[int, dict]:
    return 200, ok_body(backend.providers.log())


def _providers_fail(backend: DevBackend, body: dict) -> tuple[int, dict]:
    provider, code, reason = body.get("provider"), body.get("code"), body.get("reason")
    if provider not in ("gemini", "openai"):
        return 400, error_body("validation_error", "provider must be gemini or openai", [{"field": "provider"}])
    if not isinstance(code, int) or isinstance(code, bool) or not 1000 <= code <= 4999:
        return 400, error_body("validation_error", "code must be a close code (1000-4999)", [{"field": "code"}])
    if reason is not None and not isinstance(reason, str):
        return 400, error_body("validation_error", "reason must be a string", [{"field": "reason"}])
    if not backend.providers.fail(provider, code, reason):
        return 404, error_body("not_found", "no fake of that provider runs (PROVIDERS=real)")
    return 200, ok_body({"provider": provider, "code": code})


def _providers_go_away(backend: DevBackend, body: dict) -> tuple[int, dict]:
    left = body.get("timeLeftMs")
    if not isinstance(left, int) or isinstance(left, bool) or not 0 <= left <= 600_000:
        return 400, error_body("validation_error", "timeLeftMs must be an integer from 0 to 600000",
                               [{"field": "timeLeftMs"}])
    if not backend.providers.go_away(left):
        return 404, error_body("not_found", "no fake Gemini runs (PROVIDERS=real)")
    return 200, ok_body({"provider": "gemini", "timeLeftMs": left})


def _optimise(backend: DevBackend, body: dict) -> tuple[int, dict]:
    return 200, ok_body(backend.scheduled.optimise())


def _schedules(backend: DevBackend, body: dict) -> tuple[int, dict]:
    from speakpho.clock import clock

    return 200, ok_body({"fired": backend.scheduled.fire_schedules(clock.now_ms())})


ROUTES = {"/local/clock": _clock, "/local/jobs/sweep": _sweep, "/local/token": _token, "/local/faults": _faults,
          "/local/providers/log": _providers_log, "/local/providers/fail": _providers_fail,
          "/local/providers/go-away": _providers_go_away, "/local/jobs/schedules": _schedules, "/local/jobs/optimise": _optimise}
READABLE = {"/local/faults", "/local/providers/log"}   # also answers GET

"""The web app's files (web/) as the deployed site serves them: extension-less pages
(/learning -> learning.html or learning/index.html), the vendored Chart.js, and the
config.json the deployed stack would write (here: local sign-in, API on the same origin)."""
from __future__ import annotations

import json
import mimetypes
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB_ROOT = ROOT / "web"
CHART_JS = ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.js"
LOCAL_CONFIG = {"apiBase": "", "auth": {"mode": "local"}}


def static_file(path: str) -> Path | bytes | None:
    """The file serving `path` (a Path inside web/), generated content (bytes), or None."""
    if path == "/config.json":
        # Deployed, the stack writes this file with the API URL and Cognito settings.
        return json.dumps(LOCAL_CONFIG).encode()
    if path in ("", "/"):
        path = "/index.html"
    if path.startswith("/vendor/chart.umd.js"):
        return CHART_JS if CHART_JS.is_file() else None
    relative = path.lstrip("/")
    candidates = [WEB_ROOT / relative, WEB_ROOT / relative / "index.html", WEB_ROOT / f"{relative}.html"]
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
        except OSError:
            continue
        if resolved.is_file() and WEB_ROOT.resolve() in resolved.parents:
            return resolved
    return None


def content_type(file: Path) -> str:
    guessed = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/javascript",):
        guessed += "; charset=utf-8"
    return guessed


CONNECT_SRC = b"connect-src 'self' https:"


def local_csp(page: bytes) -> bytes:
    """The page with the fake Gemini Live's WebSocket origin allowed (ws://127.0.0.1:<port>).
    Deployed, Gemini's wss:// URL is already allowed by `https:` (a CSP scheme source `https:`
    matches `wss:`); the local fake speaks plain ws:// on another port, which `'self'` does not
    match. Only that one loopback origin is added, and only by the local runner."""
    live = os.environ.get("GEMINI_LIVE_URL", "")
    if not live.startswith("ws://127.0.0.1:"):
        return page
    origin = "/".join(live.split("/")[:3]).encode()
    return page.replace(CONNECT_SRC, CONNECT_SRC + b" " + origin, 1)


def static_response(path: str) -> tuple[int, bytes, str]:
    """(status, body, content type) for a GET of `path`."""
    target = static_file(path)
    if target is None:
        return 404, b"not found", "text/plain; charset=utf-8"
    if isinstance(target, bytes):
        return 200, target, "application/json"
    body = target.read_bytes()
    return 200, local_csp(body) if target.suffix == ".html" else body, content_type(target)

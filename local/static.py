"""The web app's files (web/) as the deployed site serves them: extension-less pages
(/learning -> learning.html or learning/index.html), the vendored Chart.js, and the
config.json the deployed stack would write (here: local sign-in, API on the same origin)."""
from __future__ import annotations

import json
import mimetypes
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


def static_response(path: str) -> tuple[int, bytes, str]:
    """(status, body, content type) for a GET of `path`."""
    target = static_file(path)
    if target is None:
        return 404, b"not found", "text/plain; charset=utf-8"
    if isinstance(target, bytes):
        return 200, target, "application/json"
    return 200, target.read_bytes(), content_type(target)

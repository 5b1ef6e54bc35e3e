"""The API's documentation page of `make dev` (never in the stack; deployed, the document is
docs/openapi.json in the repository), rendered by Swagger UI from npm (swagger-ui-dist):

  GET /api/docs                the page: no inline script or style, served under the same CSP
                               as the web pages
  GET /api/docs/openapi.json   the document generated from the routes (local.openapi), which
                               tests/contract keeps equal to docs/openapi.json
  GET /api/docs/<asset>        Swagger UI's script and style (node_modules/swagger-ui-dist), and
                               the page's own script

"Try it out" calls this runner: paste a token from `make token SUB=alice` under Authorize.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "/api/docs"
SWAGGER_UI = ROOT / "node_modules" / "swagger-ui-dist"
ASSETS = {"swagger-ui.css": "text/css; charset=utf-8",
          "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
          "favicon-32x32.png": "image/png"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}

PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta http-equiv="Content-Security-Policy" content="{CSP.replace("; frame-ancestors 'none'", "")}">
  <title>Speak Pho Real API</title>
  <link rel="icon" type="image/png" href="{PREFIX}/favicon-32x32.png">
  <link rel="stylesheet" href="{PREFIX}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{PREFIX}/swagger-ui-bundle.js"></script>
  <script src="{PREFIX}/docs.js"></script>
</body>
</html>
""".encode()

# No validator badge (it would fetch validator.swagger.io); the token stays in the page's memory.
SCRIPT = f"""window.ui = SwaggerUIBundle({{
  url: "{PREFIX}/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: false,
  displayRequestDuration: true,
}});
""".encode()


@lru_cache(maxsize=1)
def document() -> bytes:
    from local.openapi import merged_schema

    return json.dumps(merged_schema(), indent=2, ensure_ascii=False).encode()


def is_docs_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def response(path: str) -> tuple[int, bytes, str, dict]:
    """(status, body, content type, headers) for a GET of a docs path."""
    name = path[len(PREFIX):].lstrip("/")
    if name in ("", "index.html"):
        return 200, PAGE, "text/html; charset=utf-8", HEADERS
    if name == "openapi.json":
        return 200, document(), "application/json", HEADERS
    if name == "docs.js":
        return 200, SCRIPT, "application/javascript; charset=utf-8", HEADERS
    asset = SWAGGER_UI / name
    if name in ASSETS and asset.is_file():
        return 200, asset.read_bytes(), ASSETS[name], HEADERS
    if name in ASSETS:
        return 404, b"swagger-ui-dist is missing: run make dev (npm ci)", "text/plain; charset=utf-8", HEADERS
    return 404, b"not found", "text/plain; charset=utf-8", HEADERS

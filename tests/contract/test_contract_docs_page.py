"""`make dev` serves the API's documentation at /api/docs (Swagger UI from npm, under the web
pages' CSP, no CDN) and the document at /api/docs/openapi.json; the stack serves neither."""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

from infra import catalog
from local import api_docs

ROOT = Path(__file__).resolve().parents[2]


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_the_page_runs_under_the_csp_with_no_inline_code_and_nothing_from_elsewhere(contract_runner):
    status, headers, body = fetch(contract_runner + "/api/docs")
    page = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "style-src 'self'" in headers["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*\ssrc=)", page), "inline script"
    assert "<style" not in page and " style=" not in page and "http" not in page.replace("http-equiv", "")
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page):
        status, headers, body = fetch(contract_runner + asset)
        assert status == 200 and body, asset
    assert "SwaggerUIBundle" in fetch(contract_runner + "/api/docs/docs.js")[2].decode()


def test_the_document_served_is_the_committed_one(contract_runner):
    status, headers, body = fetch(contract_runner + "/api/docs/openapi.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))


def test_only_the_known_files_are_served(contract_runner):
    assert fetch(contract_runner + "/api/docs/package.json")[0] == 404
    assert fetch(contract_runner + "/api/docs/..%2F..%2Fpackage.json")[0] == 404
    # Other methods are the API's: no such route.
    request = urllib.request.Request(contract_runner + "/api/docs", method="POST", data=b"{}")
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as err:
        assert err.code in (401, 404)


def test_the_viewer_is_pinned_and_local_only():
    package = json.loads((ROOT / "package.json").read_text())
    version = package["devDependencies"]["swagger-ui-dist"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "pin an exact version"
    assert package["scarfSettings"] == {"enabled": False}   # swagger-ui-dist's install-time analytics
    assert not any(route.path.startswith(api_docs.PREFIX) for route in catalog.routes())

"""docs/openapi.json is the contract clients are generated from: it is exactly what
`python -m local.openapi` writes from the routes and local/contract.py, and every operation in it
documents its answers (success in the envelope, every error with the one error schema)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from local import contract
from local.openapi import METHODS, merged_schema

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "openapi.json"
ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


@pytest.fixture(scope="module")
def document() -> dict:
    return merged_schema()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def test_the_committed_document_is_what_the_routes_generate():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), str(ROOT / "layers/common/python"), str(ROOT / "functions")])}
    generated = subprocess.run([sys.executable, "-m", "local.openapi"], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=120, check=True).stdout
    assert generated == DOCUMENT.read_text(encoding="utf-8"), "docs/openapi.json is stale: run `make openapi`"


def test_every_generated_route_has_a_contract_entry(document):
    missing = sorted(f"{m} {p}" for m, p, _ in operations(document) if (m, p) not in contract.ROUTES)
    assert not missing, f"add these routes to local/contract.py ROUTES: {missing}"


def test_contract_entries_not_generated_yet_are_left_out(document):
    generated = {(m, p) for m, p, _ in operations(document)}
    for key in set(contract.ROUTES) - generated:   # declared ahead of its route (not invented)
        assert key[0].lower() not in document["paths"].get(key[1], {})


def test_every_operation_documents_its_answers(document):
    for method, path, operation in operations(document):
        route = contract.ROUTES[(method, path)]
        responses = operation["responses"]
        # A status a route declares itself (responses=...) is kept: it must be in the contract too.
        assert set(responses) == {str(route.success), *map(str, route.statuses)}, (method, path)
        assert {"401", "429"} <= set(responses), (method, path)
        success = responses[str(route.success)]["content"][route.media]["schema"]
        if route.data is not None:
            assert success["properties"]["data"] == {"$ref": f"#/components/schemas/{route.data.__name__}"}
            assert success["required"] == ["success", "data"]
        for status, response in responses.items():
            if status.startswith("4"):
                assert response["content"] == {"application/json": {"schema": ERROR_REF}}, (method, path, status)
                assert response["description"], (method, path, status)


def test_no_powertools_validation_schema_is_left(document):
    text = json.dumps(document)
    assert "HTTPValidationError" not in text and "ResponseValidationError" not in text
    error = document["components"]["schemas"]["ErrorResponse"]
    assert error["required"] == ["success", "error"] and error["properties"]["success"]["const"] is False
    assert document["components"]["schemas"]["ErrorBody"]["required"] == ["code", "message"]


def test_bearer_security_idempotency_key_and_cursors(document):
    assert document["security"] == [{"cognito": []}]
    assert document["components"]["securitySchemes"]["cognito"]["scheme"] == "bearer"
    for method, path, operation in operations(document):
        parameters = {p["name"]: p for p in operation.get("parameters", [])}
        keyed = "Idempotency-Key" in parameters
        assert keyed == contract.ROUTES[(method, path)].idempotency_key, (method, path)
        if keyed:
            assert parameters["Idempotency-Key"]["in"] == "header"
            assert parameters["Idempotency-Key"]["schema"]["type"] == "string"
        if "cursor" in parameters:
            assert parameters["cursor"]["schema"]["type"] == "string"
            assert "opaque" in parameters["cursor"]["description"]
        for parameter in parameters.values():   # a query, path or header value is never null
            assert "null" not in json.dumps(parameter["schema"]), (method, path, parameter["name"])


def test_links_point_at_operations_of_the_document(document):
    for _, _, operation in operations(document):
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                path, method = link["operationRef"][len("#/paths/"):].rsplit("/", 1)
                assert method in document["paths"][path.replace("~1", "/").replace("~0", "~")]

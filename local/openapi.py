"""`make openapi` (`python -m local.openapi > docs/openapi.json`): the OpenAPI document of the
API, the contract clients are generated from.

Powertools generates each area's document from its routes (paths, parameters, request
bodies); merged here, then completed from local/contract.py: each route's success status and
`data` schema in the envelope, every error status it can answer with the one error schema
(Powertools' HTTPValidationError replaced), the Idempotency-Key header, opaque cursors.
tests/contract checks that docs/openapi.json is this document, and schemathesis checks the
API against it.
"""
from __future__ import annotations

import json

from pydantic.json_schema import models_json_schema

from infra import catalog
from local import contract

METHODS = ("get", "put", "post", "delete", "patch")
REF = "#/components/schemas/{model}"
ERROR_REF = {"$ref": REF.format(model="ErrorResponse")}
POWERTOOLS_ONLY = ("HTTPValidationError", "ResponseValidationError", "ValidationError")  # in this order
DESCRIPTION = """Speak Pho Real: voice sessions metered in seconds, learning history, session health.

Every answer is JSON in one envelope: `{"success": true, "data": ...}`, or
`{"success": false, "error": {"code", "message", "details"?}}` (`ErrorResponse`).
Times are epoch milliseconds; minutes are `seconds / 60` rounded to 2 decimals.
Cursors are opaque: send `nextCursor` back unchanged as `cursor`.
Every route needs a bearer token (Cognito ID token); `/api/admin/*` needs the `admin` group
of the admin user pool. Another learner's session or correction answers 404."""


def generated() -> dict:
    """Every area's Powertools document, merged."""
    merged: dict = {"openapi": "3.1.0", "info": {"title": "Speak Pho Real API", "version": "1.0.0"},
                    "paths": {}, "components": {"schemas": {}}}
    for area in catalog.AREAS:
        app = catalog.area_app(area)
        schema = json.loads(app.get_openapi_json_schema(title=f"{area.name} area", version="1.0.0"))
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                if isinstance(operation, dict):
                    operation.setdefault("tags", [area.name])
            merged["paths"].setdefault(path, {}).update(operations)
        merged["components"]["schemas"].update(schema.get("components", {}).get("schemas", {}))
    return merged


def merged_schema() -> dict:
    document = generated()
    document["info"]["description"] = DESCRIPTION
    schemas = document["components"]["schemas"]
    _, defs = models_json_schema([(m, "serialization") for m in contract.MODELS], ref_template=REF)
    for name, schema in defs["$defs"].items():
        if name in schemas and schemas[name] != schema:
            raise ValueError(f"contract model {name} clashes with a request model of the same name")
        schemas[name] = schema
    for name, rules in contract.REQUEST_RULES.items():
        if name in schemas:
            _merge(schemas[name], rules)
    for path, operations in document["paths"].items():
        for method in METHODS:
            if method in operations:
                complete(operations[method], contract.ROUTES.get((method.upper(), path)))
                _link(document, operations[method], contract.ROUTES.get((method.upper(), path)))
    for name in POWERTOOLS_ONLY:
        if name in schemas and f'"{REF.format(model=name)}"' not in json.dumps(document):
            del schemas[name]
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    document["components"]["securitySchemes"] = {"cognito": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "a Cognito ID token: the learners' user pool, or the admin pool for /api/admin/*"}}
    document["security"] = [{"cognito": []}]
    return document


def complete(operation: dict, route: contract.Route | None) -> None:
    """One operation, completed from its contract entry (None: no entry yet, a test fails)."""
    for parameter in operation.get("parameters", []):
        _parameter(parameter)
        if route and parameter["name"] in route.params:
            extra = route.params[parameter["name"]]
            parameter["schema"].update(extra)
            parameter["description"] = extra.get("description", parameter.get("description"))
    responses = {}
    for status, response in operation.get("responses", {}).items():
        if route is not None and _is_powertools_default(status, response):
            continue
        if status.startswith(("4", "5")):   # Powertools' 422 (HTTPValidationError) included
            response = {**response, "content": {"application/json": {"schema": ERROR_REF}}}
        responses[status] = response
    if route is not None:
        responses[str(route.success)] = _success(route, responses.get(str(route.success), {}))
        for status in route.statuses:
            responses[str(status)] = {**responses.get(str(status), {}), "description": route.describe(status),
                                      "content": {"application/json": {"schema": ERROR_REF}}}
    operation["responses"] = dict(sorted(responses.items()))


def _link(document: dict, operation: dict, route: contract.Route | None) -> None:
    """The route's links (where a value of its answer goes next), to operations the document has."""
    links = {}
    for name, (target, values) in (route.links if route else {}).items():
        method, path = target.split(" ", 1)
        if method.lower() not in document["paths"].get(path, {}):
            continue
        link = {"operationRef": "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method.lower()}
        if "body" in values:
            link["requestBody"] = values["body"]
        if any(k != "body" for k in values):
            link["parameters"] = {k: v for k, v in values.items() if k != "body"}
        links[name] = link
    if links:
        operation["responses"][str(route.success)]["links"] = links


def _is_powertools_default(status: str, response: dict) -> bool:
    """What Powertools adds to every operation: a 200 without a schema, a 422 HTTPValidationError."""
    content = response.get("content", {}).get("application/json", {})
    if status == "200":
        return response.get("description") == "Successful Response" and not content.get("schema")
    return status == "422" and content.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError")


def _success(route: contract.Route, declared: dict) -> dict:
    if route.data is None:
        schema = declared.get("content", {}).get(route.media, {}).get("schema", {"type": "string"})
    else:
        schema = {"type": "object", "required": ["success", "data"], "properties": {
            "success": {"const": True}, "data": {"$ref": REF.format(model=route.data.__name__)}}}
    name = route.data.__name__ if route.data is not None else route.media
    response = {"description": declared.get("description") or f"success: {name}",
                "content": {route.media: {"schema": schema}}}
    headers = {**{name: (text, True) for name, text in route.headers.items()},
               **{name: (text, False) for name, text in route.optional_headers.items()}}
    if headers:
        response["headers"] = {name: {"description": text, "schema": {"type": "string"}, "required": required}
                               for name, (text, required) in headers.items()}
    return response


def _parameter(parameter: dict) -> None:
    """A query, path or header value is never JSON null: drop Powertools' null branch."""
    schema = parameter.get("schema", {})
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if "anyOf" in schema and len(branches) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        parameter["schema"] = {**branches[0], **rest}
    if parameter.get("in") == "header" and parameter["name"].lower() == "idempotency-key":
        parameter["name"] = "Idempotency-Key"
        parameter["description"] = ("makes a retry safe: a repeat with the same key and body gets the first "
                                    "answer (for an hour); a new request needs a new key")
    if parameter.get("in") == "path":
        parameter["schema"].update(contract.PATH_ID)
    if parameter.get("in") == "query" and parameter["name"] == "cursor":
        parameter["description"] = "opaque: the nextCursor of the previous page, unchanged"


def _merge(target: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


if __name__ == "__main__":
    print(json.dumps(merged_schema(), indent=2, ensure_ascii=False))

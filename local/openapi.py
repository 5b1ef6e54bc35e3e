"""`make openapi`: one OpenAPI document merged from every area's Powertools resolver."""
from __future__ import annotations

import json

from infra import catalog


def merged_schema() -> dict:
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
    merged["components"]["securitySchemes"] = {"cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    merged["security"] = [{"cognito": []}]
    return merged


if __name__ == "__main__":
    print(json.dumps(merged_schema(), indent=2, ensure_ascii=False))

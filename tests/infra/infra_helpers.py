"""Helpers of the infra tests (template walking)."""
from __future__ import annotations

import json
from pathlib import Path


def refs(value) -> set[str]:
    """Logical ids referenced (Ref / Fn::GetAtt) anywhere inside a template fragment (no AWS:: pseudo refs)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str) and not value["Ref"].startswith("AWS::"):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        for v in value.values():
            found |= refs(v)
    elif isinstance(value, list):
        for v in value:
            found |= refs(v)
    return found


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def role_statements(synth, role) -> list[dict]:
    """Every statement of the inline policies attached to `role` (an iam.Role construct)."""
    role_id = synth.logical_id(role)
    found = []
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def cdk_json_context() -> dict:
    """cdk.json's context, as the CLI passes it to the app."""
    return json.loads((Path(__file__).resolve().parents[2] / "cdk.json").read_text())["context"]

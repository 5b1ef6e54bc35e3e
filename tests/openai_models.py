"""The `openai` SDK's own types as a strict check of what we and our fakes send (test-only).

The SDK's models accept unknown fields (extra="allow"), so a misspelt field would pass a plain
validation: `strict` also fails on any field the SDK does not declare, at any depth.
Realtime events are validated against the union member their `type` names
(RealtimeServerEvent / RealtimeClientEvent of openai.types.realtime).
"""
from __future__ import annotations

from typing import Any, get_args

import pydantic
from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent


def unknown_fields(value: Any, path: str = "$") -> list[str]:
    """The paths of every field the SDK's models did not declare."""
    found: list[str] = []
    if isinstance(value, pydantic.BaseModel):
        found += [f"{path}.{name}" for name in (value.model_extra or {})]
        for name in type(value).model_fields:
            found += unknown_fields(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found += unknown_fields(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            found += unknown_fields(item, f"{path}.{key}")
    return found


def strict(model: type[pydantic.BaseModel], data: dict) -> pydantic.BaseModel:
    parsed = model.model_validate(data)
    extra = unknown_fields(parsed)
    assert not extra, f"{model.__name__}: fields the SDK does not know: {extra}"
    return parsed


def _by_type(union: Any) -> dict[str, type[pydantic.BaseModel]]:
    members = get_args(get_args(union)[0])  # Annotated[Union[...], PropertyInfo] -> the members
    return {literal: member for member in members
            for literal in get_args(member.model_fields["type"].annotation)}


SERVER_EVENTS = _by_type(RealtimeServerEvent)
CLIENT_EVENTS = _by_type(RealtimeClientEvent)


def server_event(data: dict) -> pydantic.BaseModel:
    assert data.get("type") in SERVER_EVENTS, f"not a realtime server event type: {data.get('type')!r}"
    return strict(SERVER_EVENTS[data["type"]], data)


def client_event(data: dict) -> pydantic.BaseModel:
    assert data.get("type") in CLIENT_EVENTS, f"not a realtime client event type: {data.get('type')!r}"
    return strict(CLIENT_EVENTS[data["type"]], data)

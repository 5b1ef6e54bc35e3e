"""Who is calling, from the claims the API Gateway Cognito authorizer passes on."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from speakpho.errors import Forbidden, Unauthorized

ADMIN_GROUP = "admin"


@dataclass(frozen=True)
class Caller:
    user_id: str
    email: str | None
    groups: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN_GROUP in self.groups


def parse_groups(raw: object) -> frozenset[str]:
    """`cognito:groups` arrives as a string from a REST API authorizer, e.g. "[admin learners]".

    Parsed into exact names; a group called "not-admin" never counts as "admin".
    """
    if raw is None:
        return frozenset()
    if isinstance(raw, (list, tuple)):
        return frozenset(str(g) for g in raw if str(g))
    text = str(raw).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)  # a JSON list, as some integrations send it
            if isinstance(parsed, list):
                return frozenset(str(g) for g in parsed if str(g))
        except ValueError:
            pass
        text = text[1:-1]
    return frozenset(part for part in re.split(r"[\s,]+", text) if part)


def caller_from_event(event: dict) -> Caller:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    user_id = claims.get("sub")
    if not user_id:
        raise Unauthorized("missing or invalid token")
    return Caller(user_id=str(user_id), email=claims.get("email"), groups=parse_groups(claims.get("cognito:groups")))


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise Forbidden("admin group required")

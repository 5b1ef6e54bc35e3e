"""Who is calling, from the claims the API Gateway Cognito authorizer passes on.

Admins sign in to their own user pool, which requires TOTP MFA (infra/constructs/auth.py):
a learner pool's ID token says nothing reliable about MFA. So an admin is a caller in the
`admin` group whose token was issued by that pool: the stack gives the HTTP functions the
admin pool's issuer URL in ADMIN_TOKEN_ISSUER, and `require_admin` compares the token's `iss`
with it. Without the variable there is no admin at all (fail closed): a function deployed
without it, or with it empty, refuses every admin route rather than trusting the group alone
(which a learner pool could carry). Only the local runner sets a local issuer of its own
(local/tokens.py LAMBDA_ENVIRONMENT).
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from speakpho.errors import Forbidden, Unauthorized

ADMIN_GROUP = "admin"
ADMIN_ISSUER_ENV = "ADMIN_TOKEN_ISSUER"


@dataclass(frozen=True)
class Caller:
    user_id: str
    email: str | None
    groups: frozenset[str]
    issuer: str | None = None            # the token's `iss` (the user pool that signed it)
    email_verified: bool | None = None   # None when the token has no email_verified claim

    @property
    def is_admin(self) -> bool:
        """In the admin group and signed in to the configured admin pool (none configured: no one)."""
        return admin_refusal(self) is None


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


def parse_bool_claim(raw: object) -> bool | None:
    """A boolean claim as the REST authorizer passes it ("true"/"false"), or a JSON bool."""
    if isinstance(raw, bool):
        return raw
    if raw is None:
        return None
    text = str(raw).strip().lower()
    return True if text == "true" else False if text == "false" else None


def caller_from_event(event: dict) -> Caller:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    user_id = claims.get("sub")
    if not user_id:
        raise Unauthorized("missing or invalid token")
    return Caller(user_id=str(user_id), email=claims.get("email"),
                  groups=parse_groups(claims.get("cognito:groups")),
                  issuer=str(claims["iss"]) if claims.get("iss") else None,
                  email_verified=parse_bool_claim(claims.get("email_verified")))


def admin_issuer() -> str | None:
    """The admin pool's issuer URL this function trusts for admin routes (None: not configured)."""
    return os.environ.get(ADMIN_ISSUER_ENV) or None


NO_ADMIN_ISSUER = "admin access is not configured"


def admin_refusal(caller: Caller, issuer: str | None = None) -> str | None:
    """Why `caller` is not an admin, or None when it is. `issuer` defaults to admin_issuer();
    with neither, every caller is refused (fail closed)."""
    if ADMIN_GROUP not in caller.groups:
        return "admin group required"
    expected = issuer or admin_issuer()
    if not expected:
        return NO_ADMIN_ISSUER
    if caller.issuer != expected:
        return "sign in with an admin account (admin user pool, MFA required)"
    return None


def require_admin(caller: Caller, issuer: str | None = None) -> None:
    reason = admin_refusal(caller, issuer)
    if reason:
        raise Forbidden(reason)

"""Local stand-in for Cognito tokens: HS256 JWTs signed with LOCAL_JWT_SECRET.

Deployed, learners and admins sign in to two user pools (admins: MFA required), and the
admin routes accept only tokens whose `iss` is the admin pool (speakpho.auth). Locally a
token minted with the `admin` group carries ADMIN_ISSUER, any other LEARNER_ISSUER, and
the local gateway gives the handlers ADMIN_TOKEN_ISSUER=ADMIN_ISSUER (LAMBDA_ENVIRONMENT)
as the stack gives the deployed functions the admin pool's issuer URL.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time

DEFAULT_SECRET = "local-dev-secret"
# Shaped like Cognito's issuers (https://cognito-idp.<region>.amazonaws.com/<user pool id>).
LEARNER_ISSUER = "https://cognito-idp.local.amazonaws.com/local_learners"
ADMIN_ISSUER = "https://cognito-idp.local.amazonaws.com/local_admins"
ADMIN_GROUP = "admin"
# What the stack sets on the HTTP functions, for the local gateway to set likewise.
LAMBDA_ENVIRONMENT = {"ADMIN_TOKEN_ISSUER": ADMIN_ISSUER}


class TokenError(Exception):
    pass


def _secret() -> bytes:
    return os.environ.get("LOCAL_JWT_SECRET", DEFAULT_SECRET).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issuer_for(groups: list[str] | None) -> str:
    """The pool a user with these groups signs in to: admins to the admin pool."""
    return ADMIN_ISSUER if ADMIN_GROUP in (groups or []) else LEARNER_ISSUER


def mint(sub: str, *, email: str | None = None, groups: list[str] | None = None,
         email_verified: bool | None = True, issuer: str | None = None,
         ttl_seconds: int = 12 * 3600, now: float | None = None) -> str:
    """A token as Cognito's ID token carries it: `iss` follows the groups unless given;
    `email_verified=None` leaves that claim out."""
    issued = int(now if now is not None else time.time())
    claims = {"sub": sub, "email": email or f"{sub}@example.com", "email_verified": bool(email_verified),
              "cognito:groups": groups or [], "iss": issuer or issuer_for(groups),
              "iat": issued, "exp": issued + ttl_seconds}
    if email_verified is None:
        del claims["email_verified"]
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(_secret(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def verify(token: str, now: float | None = None) -> dict:
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(_unb64(header_b64))
        claims = json.loads(_unb64(payload_b64))
    except (ValueError, json.JSONDecodeError) as exc:
        raise TokenError("malformed token") from exc
    if header.get("alg") != "HS256":
        raise TokenError("unsupported algorithm")
    expected = hmac.new(_secret(), f"{header_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _unb64(signature_b64)):
        raise TokenError("bad signature")
    if not isinstance(claims.get("exp"), (int, float)) or claims["exp"] <= (now if now is not None else time.time()):
        raise TokenError("token expired")
    if not claims.get("sub"):
        raise TokenError("no subject")
    return claims


def authorizer_claims(claims: dict) -> dict:
    """The claims as API Gateway's Cognito authorizer hands them to a REST API Lambda:
    every value a string (booleans as "true"/"false"), the group list as "[a b]"."""
    groups = claims.get("cognito:groups") or []
    out = {k: _claim_string(v) for k, v in claims.items() if k != "cognito:groups"}
    if groups:
        out["cognito:groups"] = "[" + " ".join(groups) + "]"
    return out


def _claim_string(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


if __name__ == "__main__":
    import sys

    sub = os.environ.get("SUB") or (sys.argv[1] if len(sys.argv) > 1 else "")
    if not sub:
        sys.exit("usage: make token SUB=<user id> [ADMIN=1] [EMAIL=...] [UNVERIFIED=1]")

    def flag(name: str) -> bool:
        return os.environ.get(name, "") not in ("", "0", "false")

    print(mint(sub, email=os.environ.get("EMAIL") or None, groups=[ADMIN_GROUP] if flag("ADMIN") else [],
               email_verified=not flag("UNVERIFIED")))

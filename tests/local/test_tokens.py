"""Local tokens as Cognito's ID tokens reach the handlers: an admin's from the admin pool
(`iss`), a learner's from the learner pool, `email_verified` as the string the REST
authorizer passes; the local gateway hands `iss` on and sets the admin issuer as the stack does."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from local import tokens

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("groups,issuer", [
    (["admin"], tokens.ADMIN_ISSUER),
    (["learners", "admin"], tokens.ADMIN_ISSUER),
    ([], tokens.LEARNER_ISSUER),
    (["not-admin"], tokens.LEARNER_ISSUER),
])
def test_the_issuer_follows_the_pool_of_the_groups(groups, issuer):
    claims = tokens.verify(tokens.mint("u1", groups=groups))
    assert claims["iss"] == issuer
    assert tokens.LEARNER_ISSUER != tokens.ADMIN_ISSUER


def test_email_verified_by_default_and_on_request_not():
    assert tokens.verify(tokens.mint("u1"))["email_verified"] is True
    assert tokens.verify(tokens.mint("u1", email_verified=False))["email_verified"] is False
    assert tokens.verify(tokens.mint("u1", groups=["admin"], issuer=tokens.LEARNER_ISSUER))["iss"] == \
        tokens.LEARNER_ISSUER


def test_authorizer_claims_are_strings_as_the_rest_authorizer_passes_them():
    claims = tokens.authorizer_claims(tokens.verify(tokens.mint("u1", groups=["admin"], email_verified=False)))
    assert claims["iss"] == tokens.ADMIN_ISSUER
    assert claims["email_verified"] == "false"
    assert claims["cognito:groups"] == "[admin]"
    assert tokens.authorizer_claims(tokens.verify(tokens.mint("u1")))["email_verified"] == "true"
    assert all(isinstance(v, str) for v in claims.values())


def test_the_gateway_hands_iss_and_email_verified_to_the_handler(monkeypatch):
    from local.gateway import Gateway

    seen = {}

    def handler(event, context):
        seen.update(event["requestContext"]["authorizer"]["claims"])
        return {"statusCode": 200, "headers": {}, "body": "{}"}

    gateway = Gateway()
    monkeypatch.setattr(gateway, "handler_for", lambda dotted: handler)
    token = tokens.mint("u1", email_verified=False)
    assert gateway.request("GET", "/api/usage", headers={"Authorization": f"Bearer {token}"}).status == 200
    assert (seen["sub"], seen["iss"], seen["email_verified"]) == ("u1", tokens.LEARNER_ISSUER, "false")
    assert os.environ["ADMIN_TOKEN_ISSUER"] == tokens.ADMIN_ISSUER    # as the stack sets it on the functions


def cli_token(**env) -> str:
    """What `make token SUB=... [ADMIN=1] [UNVERIFIED=1]` runs."""
    done = subprocess.run([sys.executable, "-m", "local.tokens"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "SUB": "", "ADMIN": "", "EMAIL": "", "UNVERIFIED": "", **env}, check=True)
    return done.stdout.strip()


def test_make_token_admin_is_an_admin_pool_token():
    claims = tokens.verify(cli_token(SUB="root", ADMIN="1"))
    assert (claims["sub"], claims["cognito:groups"], claims["iss"]) == ("root", ["admin"], tokens.ADMIN_ISSUER)
    learner = tokens.verify(cli_token(SUB="alice", UNVERIFIED="1"))
    assert (learner["iss"], learner["email_verified"], learner["cognito:groups"]) == (tokens.LEARNER_ISSUER, False, [])


def test_admin_routes_take_admin_pool_tokens_only(api):
    """Through the local gateway and the real admin handler (in-memory DynamoDB)."""
    from apitest import ApiClient

    def status(token: str) -> int:
        return ApiClient(api.gateway, token).get("/api/admin/sessions").status

    assert status(cli_token(SUB="root", ADMIN="1")) == 200
    assert status(tokens.mint("root", groups=["admin"], issuer=tokens.LEARNER_ISSUER)) == 403
    assert status(tokens.mint("root", groups=["learners"], issuer=tokens.ADMIN_ISSUER)) == 403
    assert status(tokens.mint("alice")) == 403


def test_only_the_local_runner_sets_an_admin_issuer_and_without_one_there_is_no_admin(api, monkeypatch):
    """The local gateway sets the local admin issuer explicitly (as the stack sets the admin
    pool's); a function left without it (here: set empty) refuses even a genuine admin token."""
    from apitest import ApiClient

    from local.gateway import Gateway

    monkeypatch.delenv("ADMIN_TOKEN_ISSUER", raising=False)
    Gateway()
    assert os.environ["ADMIN_TOKEN_ISSUER"] == tokens.ADMIN_ISSUER

    admin = ApiClient(api.gateway, cli_token(SUB="root", ADMIN="1"))
    assert admin.get("/api/admin/sessions").status == 200
    monkeypatch.setenv("ADMIN_TOKEN_ISSUER", "")
    refused = admin.get("/api/admin/sessions")
    assert refused.status == 403 and "not configured" in refused.json()["error"]["message"]
    monkeypatch.delenv("ADMIN_TOKEN_ISSUER")
    assert admin.get("/api/admin/users/alice/allowance").status == 403

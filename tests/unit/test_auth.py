"""speakpho.auth: an admin is in the `admin` group AND signed in to the admin user pool (the
token's `iss` is ADMIN_TOKEN_ISSUER); a function not told that issuer (unset or empty) has no
admin at all (fail closed); the claims as the REST API's Cognito authorizer passes them (strings)."""
from __future__ import annotations

import pytest

from speakpho.auth import (ADMIN_ISSUER_ENV, Caller, caller_from_event, parse_bool_claim, parse_groups,
                           require_admin)
from speakpho.errors import Forbidden, Unauthorized

ADMINS = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Admins"
LEARNERS = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Learners"


def event(**claims) -> dict:
    return {"requestContext": {"authorizer": {"claims": claims}}}


# (groups claim as the REST authorizer sends it, iss claim, configured admin issuer, admitted)
CASES = [
    pytest.param("[admin]", ADMINS, ADMINS, True, id="admin group, admin pool"),
    pytest.param("[admin learners]", ADMINS, ADMINS, True, id="admin among other groups, admin pool"),
    pytest.param("[admin]", LEARNERS, ADMINS, False, id="admin group, learner pool"),
    pytest.param("[admin]", None, ADMINS, False, id="admin group, no iss"),
    pytest.param("[admin]", ADMINS + "/", ADMINS, False, id="admin group, other issuer string"),
    pytest.param("[learners]", ADMINS, ADMINS, False, id="wrong group, admin pool"),
    pytest.param("[not-admin]", ADMINS, ADMINS, False, id="look-alike group"),
    pytest.param(None, ADMINS, ADMINS, False, id="no groups"),
    pytest.param("[admin]", LEARNERS, None, False, id="no issuer configured: fail closed, learner pool"),
    pytest.param("[admin]", ADMINS, None, False, id="no issuer configured: fail closed, even the admin pool"),
    pytest.param("[admin]", None, None, False, id="no issuer configured, no iss"),
    pytest.param("[learners]", LEARNERS, None, False, id="no issuer configured, wrong group"),
]


@pytest.mark.parametrize("groups,iss,configured,admitted", CASES)
def test_require_admin_from_the_environment(monkeypatch, groups, iss, configured, admitted):
    if configured is None:
        monkeypatch.delenv(ADMIN_ISSUER_ENV, raising=False)
    else:
        monkeypatch.setenv(ADMIN_ISSUER_ENV, configured)
    claims = {"sub": "u1", "cognito:groups": groups, "iss": iss}
    caller = caller_from_event(event(**{k: v for k, v in claims.items() if v is not None}))
    assert caller.is_admin is admitted
    if admitted:
        require_admin(caller)
    else:
        with pytest.raises(Forbidden) as refused:
            require_admin(caller)
        assert refused.value.status == 403 and refused.value.code == "forbidden"


@pytest.mark.parametrize("groups,iss,configured,admitted", [c for c in CASES if c.values[2] is not None])
def test_require_admin_with_an_explicit_issuer(monkeypatch, groups, iss, configured, admitted):
    monkeypatch.setenv(ADMIN_ISSUER_ENV, "https://somewhere-else")   # the argument wins
    caller = Caller("u1", None, parse_groups(groups), issuer=iss)
    if admitted:
        require_admin(caller, configured)
    else:
        with pytest.raises(Forbidden):
            require_admin(caller, configured)


def test_the_refusal_says_what_is_missing(monkeypatch):
    monkeypatch.setenv(ADMIN_ISSUER_ENV, ADMINS)
    with pytest.raises(Forbidden, match="admin group required"):
        require_admin(Caller("u1", None, frozenset({"learners"}), issuer=ADMINS))
    with pytest.raises(Forbidden, match="admin user pool"):
        require_admin(Caller("u1", None, frozenset({"admin"}), issuer=LEARNERS))


def test_caller_carries_issuer_and_email_verified_as_the_authorizer_sends_them():
    caller = caller_from_event(event(sub="u1", email="u1@example.com", email_verified="true", iss=LEARNERS,
                                     **{"cognito:groups": "[learners]"}))
    assert caller == Caller("u1", "u1@example.com", frozenset({"learners"}), issuer=LEARNERS, email_verified=True)
    assert caller_from_event(event(sub="u1", email_verified="false")).email_verified is False
    assert caller_from_event(event(sub="u1")).email_verified is None
    assert caller_from_event(event(sub="u1")).issuer is None


@pytest.mark.parametrize("raw,expected", [("true", True), ("True", True), ("false", False), (True, True),
                                          (False, False), (None, None), ("yes", None), ("", None)])
def test_parse_bool_claim(raw, expected):
    assert parse_bool_claim(raw) is expected


def test_no_subject_is_401():
    with pytest.raises(Unauthorized):
        caller_from_event(event(iss=ADMINS, **{"cognito:groups": "[admin]"}))


@pytest.mark.parametrize("configured", [None, ""])
def test_without_an_admin_issuer_no_one_is_admin(monkeypatch, configured):
    """Unset or empty: fail closed, saying why, whatever the token claims."""
    if configured is None:
        monkeypatch.delenv(ADMIN_ISSUER_ENV, raising=False)
    else:
        monkeypatch.setenv(ADMIN_ISSUER_ENV, configured)
    for iss in (ADMINS, LEARNERS, None):
        caller = Caller("root", None, frozenset({"admin"}), issuer=iss)
        assert caller.is_admin is False
        with pytest.raises(Forbidden, match="admin access is not configured"):
            require_admin(caller)

"""Least privilege as data, for Cognito: per function, the cognito-idp actions it calls on the
learner user pool. infra/constructs/signup.py turns this into a policy on exactly the pool's
ARN, and tests/infra/test_infra_signup.py checks the synthesized policy against it exactly.

A function not listed gets none.
"""
from __future__ import annotations

IDENTITY_ACCESS: dict[str, tuple[str, ...]] = {
    # signup.cognito: a sign-up that finds its mailbox claimed asks whether the holder still
    # exists (AdminGetUser) and deletes the holder's abandoned UNCONFIRMED account (AdminDeleteUser).
    "signup": ("AdminGetUser", "AdminDeleteUser"),
}

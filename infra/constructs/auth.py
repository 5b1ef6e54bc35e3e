"""Cognito: two user pools the API authorizer trusts.

- Learners: email sign-in with self sign-up, optional TOTP MFA, the web client (hosted UI,
  OAuth authorization-code flow with PKCE, callbacks on the CloudFront URL).
- Admins: a pool of their own with TOTP MFA required, no self sign-up (an operator creates
  each admin), the `admin` group, its own hosted UI and client. Cognito's ID token does not
  tell reliably how the user signed in, so "admin" means: in the `admin` group of this pool,
  i.e. a token whose `iss` is `admin_issuer` (speakpho.auth.require_admin).

Both pools: deletion protection, retained with the stack, and an email change keeps the old,
verified address until the new one is verified (no sign-in or mail to an unverified address).

The learner pool's mail (verification codes, password resets) goes through SES when
`ses_identity` is given (an address, or a domain sending as no-reply@<domain>, verified in
SES); otherwise through Cognito's own sender, whose small daily quota fits development only
(docs/deploy.md, "Sign-up"). Threat protection on the learner pool (`threat_protection`)
needs the Plus feature plan, billed per monthly active user: off unless asked for.
"""
from __future__ import annotations

from aws_cdk import Aws, Duration, Fn, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.nag import acknowledge

ADMIN_GROUP = "admin"   # speakpho.auth reads it from the `cognito:groups` claim
SCOPES = (cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE)


def _pool(scope: Construct, construct_id: str, *, self_sign_up: bool, mfa: cognito.Mfa,
          **extra) -> cognito.UserPool:
    """What both pools share: email sign-in, strong passwords, TOTP as the only second factor."""
    return cognito.UserPool(
        scope, construct_id,
        self_sign_up_enabled=self_sign_up,
        sign_in_aliases=cognito.SignInAliases(email=True),
        sign_in_case_sensitive=False,
        auto_verify=cognito.AutoVerifiedAttrs(email=True),
        # A changed email stays unverified, and the old one in use, until the user confirms the code.
        keep_original=cognito.KeepOriginalAttrs(email=True),
        standard_attributes=cognito.StandardAttributes(
            email=cognito.StandardAttribute(required=True, mutable=True)),
        password_policy=cognito.PasswordPolicy(
            min_length=12, require_lowercase=True, require_uppercase=True,
            require_digits=True, require_symbols=True,
            temp_password_validity=Duration.days(3)),
        account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
        mfa=mfa,
        mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
        deletion_protection=True,
        removal_policy=RemovalPolicy.RETAIN,
        **extra,
    )


SES_SENDER = "no-reply"   # the local part when the SES identity is a domain


def learner_email(ses_identity: str) -> cognito.UserPoolEmail | None:
    """SES as the sender when an identity is given (verified in SES in the stack's Region);
    None keeps Cognito's own sender."""
    if not ses_identity:
        return None
    if "@" in ses_identity:
        return cognito.UserPoolEmail.with_ses(from_email=ses_identity, from_name="Speak Pho", ses_region=Aws.REGION)
    return cognito.UserPoolEmail.with_ses(from_email=f"{SES_SENDER}@{ses_identity}", from_name="Speak Pho",
                                          ses_verified_domain=ses_identity, ses_region=Aws.REGION)


def _threat_protection(on: bool) -> dict:
    if on:
        return {"feature_plan": cognito.FeaturePlan.PLUS,
                "standard_threat_protection_mode": cognito.StandardThreatProtectionMode.FULL_FUNCTION}
    return {"feature_plan": cognito.FeaturePlan.ESSENTIALS}


def _client(pool: cognito.UserPool, construct_id: str, urls: list[str], refresh: Duration) -> cognito.UserPoolClient:
    return pool.add_client(
        construct_id,
        generate_secret=False,
        auth_flows=cognito.AuthFlow(user_srp=True),
        o_auth=cognito.OAuthSettings(
            flows=cognito.OAuthFlows(authorization_code_grant=True),
            scopes=list(SCOPES), callback_urls=urls, logout_urls=urls),
        supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
        prevent_user_existence_errors=True,
        id_token_validity=Duration.hours(1),
        access_token_validity=Duration.hours(1),
        refresh_token_validity=refresh,
        enable_token_revocation=True,
    )


def _domain_prefix(given: str, suffix: str) -> str:
    """Hosted UI domain prefix: unique per stack unless given (prefixes are global per region)."""
    if given:
        return f"{given}{suffix}"
    return Fn.join("-", [f"speakpho{suffix}", Fn.select(2, Fn.split("/", Aws.STACK_ID))])


class Auth(Construct):
    """Learners: `user_pool`, `client`, `domain`. Admins: `admin_pool`, `admin_client`,
    `admin_domain`, `admin_group`, `admin_issuer` (the `iss` of the admin pool's tokens)."""

    def __init__(self, scope: Construct, construct_id: str, *, web_url: str, domain_prefix: str = "",
                 extra_urls: tuple[str, ...] = (), ses_identity: str = "", threat_protection: bool = False) -> None:
        super().__init__(scope, construct_id)
        email = learner_email(ses_identity)
        self.user_pool = _pool(self, "UserPool", self_sign_up=True, mfa=cognito.Mfa.OPTIONAL,
                               **_threat_protection(threat_protection), **({"email": email} if email else {}))
        acknowledge(self.user_pool, "AwsSolutions-COG2",
                    "TOTP MFA is offered (optional); requiring it would block learners' self sign-up. "
                    "Admins sign in to the admin user pool, which requires TOTP MFA.")
        if not threat_protection:
            acknowledge(self.user_pool, "AwsSolutions-COG8",
                        "The Essentials feature plan is used: Plus (threat protection) is billed per monthly active "
                        "learner (docs/deploy.md); -c learnerThreatProtection=true switches it on. Sign-up abuse is "
                        "met by the pool's WAF rate on sign-ups and the sign-up trigger meanwhile.")
        self.domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=_domain_prefix(domain_prefix, "")))
        callbacks = [f"{web_url}/", f"{web_url}/learning", f"{web_url}/admin", *extra_urls]
        self.callback_urls = callbacks
        self.client = _client(self.user_pool, "WebClient", callbacks, Duration.days(30))

        # Admins: a handful of accounts, so the Plus plan (threat protection) costs little.
        self.admin_pool = _pool(
            self, "AdminPool", self_sign_up=False, mfa=cognito.Mfa.REQUIRED,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            user_invitation=cognito.UserInvitationConfig(
                email_subject="Speak Pho admin account",
                email_body="Your Speak Pho admin user name is {username} and your temporary password is {####}. "
                           "Sign in to the admin page; you will set a password and an authenticator app (TOTP)."),
        )
        self.admin_group = cognito.CfnUserPoolGroup(
            self, "AdminGroup",
            user_pool_id=self.admin_pool.user_pool_id,
            group_name=ADMIN_GROUP,
            description="Session health and allowances (/api/admin/*)",
            precedence=0,
        )
        self.admin_domain = self.admin_pool.add_domain(
            "AdminDomain",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=_domain_prefix(domain_prefix, "-admin")))
        self.admin_callback_urls = [f"{web_url}/admin", *extra_urls]
        # Refresh tokens last a working day: an admin passes MFA at least once a day.
        self.admin_client = _client(self.admin_pool, "AdminWebClient", self.admin_callback_urls, Duration.hours(12))

    @property
    def hosted_ui_url(self) -> str:
        return self.domain.base_url()

    @property
    def admin_hosted_ui_url(self) -> str:
        return self.admin_domain.base_url()

    @property
    def admin_issuer(self) -> str:
        """`iss` of the admin pool's tokens: https://cognito-idp.<region>.amazonaws.com/<pool id>."""
        return f"https://{self.admin_pool.user_pool_provider_url}"

"""Cognito: the user pool the API authorizer trusts, the `admin` group, and the web client
(hosted UI, OAuth authorization-code flow with PKCE, callbacks on the CloudFront URL)."""
from __future__ import annotations

from aws_cdk import Aws, Duration, Fn, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.nag import acknowledge

ADMIN_GROUP = "admin"   # speakpho.auth reads it from the `cognito:groups` claim


class Auth(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, web_url: str, domain_prefix: str = "",
                 extra_urls: tuple[str, ...] = ()) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self, "UserPool",
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)),
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_lowercase=True, require_uppercase=True,
                require_digits=True, require_symbols=True,
                temp_password_validity=Duration.days(3)),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(self.user_pool, "AwsSolutions-COG2",
                    "TOTP MFA is offered (optional); requiring it would block learners' self sign-up. "
                    "Admin accounts are expected to enable it.")
        acknowledge(self.user_pool, "AwsSolutions-COG8",
                    "The Essentials feature plan is used; Plus (threat protection) is billed per active user and "
                    "can be switched on without code changes.")
        self.admin_group = cognito.CfnUserPoolGroup(
            self, "AdminGroup",
            user_pool_id=self.user_pool.user_pool_id,
            group_name=ADMIN_GROUP,
            description="Session health and allowances (/api/admin/*)",
            precedence=0,
        )
        # Hosted UI domain: unique per stack unless a prefix is given (it is global per region).
        prefix = domain_prefix or Fn.join("-", ["speakpho", Fn.select(2, Fn.split("/", Aws.STACK_ID))])
        self.domain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=prefix))

        callbacks = [f"{web_url}/", f"{web_url}/learning", f"{web_url}/admin", *extra_urls]
        self.callback_urls = callbacks
        self.client = self.user_pool.add_client(
            "WebClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=callbacks,
                logout_urls=callbacks,
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            enable_token_revocation=True,
        )

    @property
    def hosted_ui_url(self) -> str:
        return self.domain.base_url()

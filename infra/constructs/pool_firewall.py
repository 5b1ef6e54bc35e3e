"""AWS WAF web ACL on the learner user pool: a per-IP rate on sign-ups (infra/limits.py).

Cognito passes the pool's API and hosted-UI requests through an associated web ACL. The rule
counts, per source IP, only the sign-ups: SignUp API calls (header `X-Amz-Target:
AWSCognitoIdentityProviderService.SignUp`) and POSTs of the hosted UI's sign-up form
(`/signup`). Sign-ins, token refreshes and confirmations are not counted. Above the limit the
address gets 429 for the rest of the window. On with the API's web ACL (`-c waf=false` leaves
both out); the admin pool has no self sign-up and no ACL.
"""
from __future__ import annotations

from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.limits import WAF_WINDOW_SECONDS

SIGN_UP_TARGET = "AWSCognitoIdentityProviderService.SignUp"
HOSTED_SIGN_UP_PATH = "/signup"
_NONE = [wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")]


def _match(field: wafv2.CfnWebACL.FieldToMatchProperty, constraint: str, value: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
        field_to_match=field, positional_constraint=constraint, search_string=value, text_transformations=_NONE))


def sign_up_request() -> wafv2.CfnWebACL.StatementProperty:
    api_sign_up = _match(wafv2.CfnWebACL.FieldToMatchProperty(single_header={"Name": "x-amz-target"}),
                         "EXACTLY", SIGN_UP_TARGET)
    hosted_sign_up = wafv2.CfnWebACL.StatementProperty(and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=[
        _match(wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}), "STARTS_WITH", HOSTED_SIGN_UP_PATH),
        _match(wafv2.CfnWebACL.FieldToMatchProperty(method={}), "EXACTLY", "POST")]))
    return wafv2.CfnWebACL.StatementProperty(or_statement=wafv2.CfnWebACL.OrStatementProperty(
        statements=[api_sign_up, hosted_sign_up]))


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True)


class PoolFirewall(Construct):
    """`web_acl` (REGIONAL) and its association with `user_pool`."""

    def __init__(self, scope: Construct, construct_id: str, *, user_pool: cognito.IUserPool, sign_up_limit: int) -> None:
        super().__init__(scope, construct_id)
        self.sign_up_limit = sign_up_limit
        self.web_acl = wafv2.CfnWebACL(
            self, "WebAcl",
            description="Speak Pho learner pool: sign-ups per source IP",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("SpeakPhoLearnerPool"),
            rules=[wafv2.CfnWebACL.RuleProperty(
                name="SignUpRate", priority=0, visibility_config=_visibility("SignUpRate"),
                action=wafv2.CfnWebACL.RuleActionProperty(block=wafv2.CfnWebACL.BlockActionProperty(
                    custom_response=wafv2.CfnWebACL.CustomResponseProperty(response_code=429))),
                statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP", limit=sign_up_limit, evaluation_window_sec=WAF_WINDOW_SECONDS,
                    scope_down_statement=sign_up_request())))],
        )
        self.association = wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=user_pool.user_pool_arn, web_acl_arn=self.web_acl.attr_arn)

"""AWS WAF web ACL on the REST API stage: requests without a token refused, per-token and
per-IP rate limits, then the AWS managed common rule set. On by default; `-c waf=false` leaves
it out (infra/settings.py). The rates are infra/limits.py's.

Rules, in evaluation order:
  0. RequireAuthorization  answers 401 to an /api/ request without an `Authorization` header,
                   except a CORS preflight (OPTIONS, which browsers send without one). Every
                   route needs a token, and API Gateway throttles before its authorizer runs:
                   refused here, token-less floods never use up a route's throttle, and they
                   do not count toward the per-IP rate a classroom's NAT shares. The path is
                   matched with and without the stage name (the execute-api URL carries
                   `/<stage>`; a custom domain's base path mapping does not).
  1. PerTokenRate  blocks a bearer token (the `Authorization` header's value) above
                   `waf_token_limit` requests in 5 minutes; requests without the header are
                   not counted by this rule (WAF skips a request missing an aggregation key).
  2. PerIpRate     blocks a source IP above `waf_ip_limit` requests in 5 minutes, whatever it
                   sends: unauthenticated floods, and a client rotating tokens or garbage headers.
  3. AwsCommon     AWSManagedRulesCommonRuleSet, with SizeRestrictions_BODY set to count: that
                   rule blocks any body over 8 KB, and /api/session/end takes up to 1 MB of
                   transcript (the handlers enforce the 1 MB limit and answer 413 above it).

Rate-limited requests get 429 with the API's error envelope (speakpho.envelope). WAF adds no
CORS header to its own answers, so a browser sees those as a network error; each route's
throttle (infra/limits.py) sits above both limits.
"""
from __future__ import annotations

import json

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.catalog import ensure_import_paths
from infra.limits import WAF_WINDOW_SECONDS

ensure_import_paths()
from speakpho.envelope import error_body  # noqa: E402

EVALUATION_WINDOW_SECONDS = WAF_WINDOW_SECONDS
COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
# Managed rules of the common set that only count (name -> why).
COUNT_ONLY = {
    "SizeRestrictions_BODY": "blocks bodies over 8 KB; session ends carry transcripts up to 1 MB",
}
RATE_LIMITED_BODY_KEY = "rate-limited"
UNAUTHORIZED_BODY_KEY = "unauthorized"
API_PREFIX = "/api/"


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True)


def _starts_with(prefix: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
        field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}), positional_constraint="STARTS_WITH",
        search_string=prefix,
        text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")]))


def _not(statement: wafv2.CfnWebACL.StatementProperty) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=statement))


def token_less_api_request(stage_name: str) -> wafv2.CfnWebACL.StatementProperty:
    """An /api/ request (with or without the stage in the path) that is not a preflight and
    carries no non-empty `Authorization` header (a missing header matches no size constraint)."""
    is_preflight = wafv2.CfnWebACL.StatementProperty(byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
        field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(method={}), positional_constraint="EXACTLY",
        search_string="OPTIONS",
        text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")]))
    has_token = wafv2.CfnWebACL.StatementProperty(size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
        field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(single_header={"Name": "authorization"}),
        comparison_operator="GT", size=0,
        text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")]))
    api_path = wafv2.CfnWebACL.StatementProperty(or_statement=wafv2.CfnWebACL.OrStatementProperty(statements=[
        _starts_with(API_PREFIX), _starts_with(f"/{stage_name}{API_PREFIX}")]))
    return wafv2.CfnWebACL.StatementProperty(and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=[
        api_path, _not(is_preflight), _not(has_token)]))


def _block(status: int, body_key: str) -> wafv2.CfnWebACL.RuleActionProperty:
    return wafv2.CfnWebACL.RuleActionProperty(block=wafv2.CfnWebACL.BlockActionProperty(
        custom_response=wafv2.CfnWebACL.CustomResponseProperty(response_code=status, custom_response_body_key=body_key)))


def _block_429() -> wafv2.CfnWebACL.RuleActionProperty:
    return wafv2.CfnWebACL.RuleActionProperty(block=wafv2.CfnWebACL.BlockActionProperty(
        custom_response=wafv2.CfnWebACL.CustomResponseProperty(
            response_code=429, custom_response_body_key=RATE_LIMITED_BODY_KEY)))


class ApiFirewall(Construct):
    """`web_acl` (REGIONAL) and its association with the stage of `rest_api`."""

    def __init__(self, scope: Construct, construct_id: str, *, rest_api: apigw.RestApi, stage_name: str,
                 token_limit: int, ip_limit: int) -> None:
        super().__init__(scope, construct_id)
        self.token_limit, self.ip_limit = token_limit, ip_limit
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name="RequireAuthorization", priority=0, action=_block(401, UNAUTHORIZED_BODY_KEY),
                visibility_config=_visibility("RequireAuthorization"),
                statement=token_less_api_request(stage_name)),
            wafv2.CfnWebACL.RuleProperty(
                name="PerTokenRate", priority=1, action=_block_429(), visibility_config=_visibility("PerTokenRate"),
                statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="CUSTOM_KEYS", limit=token_limit,
                    evaluation_window_sec=EVALUATION_WINDOW_SECONDS,
                    custom_keys=[wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty(
                        header=wafv2.CfnWebACL.RateLimitHeaderProperty(
                            name="authorization",
                            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")]),
                    )]))),
            wafv2.CfnWebACL.RuleProperty(
                name="PerIpRate", priority=2, action=_block_429(), visibility_config=_visibility("PerIpRate"),
                statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP", limit=ip_limit, evaluation_window_sec=EVALUATION_WINDOW_SECONDS))),
            wafv2.CfnWebACL.RuleProperty(
                name="AwsCommon", priority=3, visibility_config=_visibility("AwsCommon"),
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=COMMON_RULE_SET,
                        rule_action_overrides=[
                            wafv2.CfnWebACL.RuleActionOverrideProperty(
                                name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}))
                            for rule in sorted(COUNT_ONLY)]))),
        ]
        self.web_acl = wafv2.CfnWebACL(
            self, "WebAcl",
            description="Speak Pho API: a token required, per-token and per-IP rate limits, AWS common rule set",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("SpeakPhoApi"),
            custom_response_bodies={RATE_LIMITED_BODY_KEY: wafv2.CfnWebACL.CustomResponseBodyProperty(
                content_type="APPLICATION_JSON",
                content=json.dumps(error_body("too_many_requests", "rate limit exceeded; retry in a few minutes"),
                                   separators=(",", ":"))),
                UNAUTHORIZED_BODY_KEY: wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON",
                    content=json.dumps(error_body("unauthorized", "a bearer token is required"), separators=(",", ":")))},
            rules=rules,
        )
        self.association = wafv2.CfnWebACLAssociation(
            self, "Association",
            resource_arn=rest_api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )

"""AWS WAF web ACL on the REST API stage: per-token and per-IP rate limits, then the AWS
managed common rule set. On by default; `-c waf=false` leaves it out (infra/settings.py).

Rules, in evaluation order:
  1. PerTokenRate  blocks a bearer token (the `Authorization` header's value) above
                   `waf_token_limit` requests in 5 minutes; requests without the header are
                   not counted by this rule (WAF skips a request missing an aggregation key).
  2. PerIpRate     blocks a source IP above `waf_ip_limit` requests in 5 minutes, whatever it
                   sends: unauthenticated floods, and a client rotating tokens or garbage headers.
  3. AwsCommon     AWSManagedRulesCommonRuleSet, with SizeRestrictions_BODY set to count: that
                   rule blocks any body over 8 KB, and /api/session/end takes up to 1 MB of
                   transcript (the handlers enforce the 1 MB limit and answer 413 above it).

Rate-limited requests get 429 with the API's error envelope (speakpho.envelope). WAF adds no
CORS header to its own answers, so a browser sees those as a network error; the stage's
throttling (50 rps) sits above both limits.
"""
from __future__ import annotations

import json

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.catalog import ensure_import_paths

ensure_import_paths()
from speakpho.envelope import error_body  # noqa: E402

EVALUATION_WINDOW_SECONDS = 300
COMMON_RULE_SET = "AWSManagedRulesCommonRuleSet"
# Managed rules of the common set that only count (name -> why).
COUNT_ONLY = {
    "SizeRestrictions_BODY": "blocks bodies over 8 KB; session ends carry transcripts up to 1 MB",
}
RATE_LIMITED_BODY_KEY = "rate-limited"


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True)


def _block_429() -> wafv2.CfnWebACL.RuleActionProperty:
    return wafv2.CfnWebACL.RuleActionProperty(block=wafv2.CfnWebACL.BlockActionProperty(
        custom_response=wafv2.CfnWebACL.CustomResponseProperty(
            response_code=429, custom_response_body_key=RATE_LIMITED_BODY_KEY)))


class ApiFirewall(Construct):
    """`web_acl` (REGIONAL) and its association with the stage of `rest_api`."""

    def __init__(self, scope: Construct, construct_id: str, *, rest_api: apigw.RestApi,
                 token_limit: int, ip_limit: int) -> None:
        super().__init__(scope, construct_id)
        self.token_limit, self.ip_limit = token_limit, ip_limit
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name="PerTokenRate", priority=0, action=_block_429(), visibility_config=_visibility("PerTokenRate"),
                statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="CUSTOM_KEYS", limit=token_limit,
                    evaluation_window_sec=EVALUATION_WINDOW_SECONDS,
                    custom_keys=[wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty(
                        header=wafv2.CfnWebACL.RateLimitHeaderProperty(
                            name="authorization",
                            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")]),
                    )]))),
            wafv2.CfnWebACL.RuleProperty(
                name="PerIpRate", priority=1, action=_block_429(), visibility_config=_visibility("PerIpRate"),
                statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP", limit=ip_limit, evaluation_window_sec=EVALUATION_WINDOW_SECONDS))),
            wafv2.CfnWebACL.RuleProperty(
                name="AwsCommon", priority=2, visibility_config=_visibility("AwsCommon"),
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
            description="Speak Pho API: per-token and per-IP rate limits, AWS common rule set",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("SpeakPhoApi"),
            custom_response_bodies={RATE_LIMITED_BODY_KEY: wafv2.CfnWebACL.CustomResponseBodyProperty(
                content_type="APPLICATION_JSON",
                content=json.dumps(error_body("too_many_requests", "rate limit exceeded; retry in a few minutes"),
                                   separators=(",", ":")))},
            rules=rules,
        )
        self.association = wafv2.CfnWebACLAssociation(
            self, "Association",
            resource_arn=rest_api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )

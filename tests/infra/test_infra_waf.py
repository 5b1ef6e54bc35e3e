"""The WAF web ACL on the API stage: token-less /api/ requests refused (preflights excepted),
per-token and per-IP rate limits, the AWS common rule set with its 8 KB body rule counting only,
the 429 envelope; on by default, `-c waf=false` off; the stage's cdk-nag WAF finding (APIG3) is
satisfied, not acknowledged. (The learner pool's web ACL: test_infra_signup.py.)"""
from __future__ import annotations

import json

import pytest
from aws_cdk import Validations

from infra.constructs.waf import (COMMON_RULE_SET, COUNT_ONLY, EVALUATION_WINDOW_SECONDS, RATE_LIMITED_BODY_KEY,
                                  UNAUTHORIZED_BODY_KEY)
from infra.limits import WAF_IP_LIMIT, WAF_TOKEN_LIMIT
from infra.settings import StackSettings
from infra_helpers import refs


def web_acl(synth) -> dict:
    acls = synth.of_type("AWS::WAFv2::WebACL")
    assert set(acls) == {synth.logical_id(synth.stack.firewall.web_acl), synth.logical_id(synth.stack.pool_firewall.web_acl)}
    return acls[synth.logical_id(synth.stack.firewall.web_acl)]["Properties"]


def rules(synth) -> dict[str, dict]:
    return {rule["Name"]: rule for rule in web_acl(synth)["Rules"]}


def test_web_acl_is_regional_allows_by_default_and_is_associated_with_the_stage(synth):
    props = web_acl(synth)
    assert props["Scope"] == "REGIONAL" and props["DefaultAction"] == {"Allow": {}}
    assert props["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
    association = synth.resources[synth.logical_id(synth.stack.firewall.association)]["Properties"]
    api = synth.stack.api.rest_api
    assert refs(association["ResourceArn"]) == {synth.logical_id(api), synth.logical_id(api.deployment_stage)}
    assert "/stages/" in json.dumps(association["ResourceArn"])
    assert association["WebACLArn"] == {"Fn::GetAtt": [synth.logical_id(synth.stack.firewall.web_acl), "Arn"]}


def test_rules_in_order_token_check_then_rate_limits(synth):
    assert [(r["Name"], r["Priority"]) for r in web_acl(synth)["Rules"]] == [
        ("RequireAuthorization", 0), ("PerTokenRate", 1), ("PerIpRate", 2), ("AwsCommon", 3)]


def test_api_requests_without_a_token_are_refused_except_preflights(synth):
    """/api/ (with or without the stage in the path), not OPTIONS, no non-empty Authorization
    header: 401 in the error envelope, before any rate rule counts it."""
    rule = rules(synth)["RequireAuthorization"]
    assert rule["Action"] == {"Block": {"CustomResponse": {"ResponseCode": 401,
                                                           "CustomResponseBodyKey": UNAUTHORIZED_BODY_KEY}}}
    api_path, not_preflight, not_token = rule["Statement"]["AndStatement"]["Statements"]
    prefixes = [s["ByteMatchStatement"] for s in api_path["OrStatement"]["Statements"]]
    assert [(p["FieldToMatch"], p["PositionalConstraint"], p["SearchString"]) for p in prefixes] == [
        ({"UriPath": {}}, "STARTS_WITH", "/api/"),
        ({"UriPath": {}}, "STARTS_WITH", f"/{synth.stack.settings.stage_name}/api/")]
    preflight = not_preflight["NotStatement"]["Statement"]["ByteMatchStatement"]
    assert (preflight["FieldToMatch"], preflight["PositionalConstraint"], preflight["SearchString"]) == (
        {"Method": {}}, "EXACTLY", "OPTIONS")
    token = not_token["NotStatement"]["Statement"]["SizeConstraintStatement"]
    assert token["FieldToMatch"] == {"SingleHeader": {"Name": "authorization"}}
    assert (token["ComparisonOperator"], token["Size"]) == ("GT", 0)
    body = json.loads(web_acl(synth)["CustomResponseBodies"][UNAUTHORIZED_BODY_KEY]["Content"])
    assert body["success"] is False and body["error"]["code"] == "unauthorized"


def test_per_token_rate_limit_is_keyed_on_the_authorization_header(synth):
    rule = rules(synth)["PerTokenRate"]
    statement = rule["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "CUSTOM_KEYS"
    assert statement["CustomKeys"] == [{"Header": {"Name": "authorization",
                                                   "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}]
    assert statement["Limit"] == synth.stack.settings.waf_token_limit == WAF_TOKEN_LIMIT
    assert statement["EvaluationWindowSec"] == EVALUATION_WINDOW_SECONDS == 300
    assert "ScopeDownStatement" not in statement


def test_per_ip_rate_limit_counts_every_request_of_an_address(synth):
    statement = rules(synth)["PerIpRate"]["Statement"]["RateBasedStatement"]
    assert statement == {"AggregateKeyType": "IP", "Limit": synth.stack.settings.waf_ip_limit,
                         "EvaluationWindowSec": EVALUATION_WINDOW_SECONDS}
    assert synth.stack.settings.waf_ip_limit > synth.stack.settings.waf_token_limit


@pytest.mark.parametrize("name", ["PerTokenRate", "PerIpRate"])
def test_rate_limited_requests_get_429_in_the_error_envelope(synth, name):
    assert rules(synth)[name]["Action"] == {"Block": {"CustomResponse": {
        "ResponseCode": 429, "CustomResponseBodyKey": RATE_LIMITED_BODY_KEY}}}
    body = web_acl(synth)["CustomResponseBodies"][RATE_LIMITED_BODY_KEY]
    assert body["ContentType"] == "APPLICATION_JSON"
    parsed = json.loads(body["Content"])
    assert parsed["success"] is False and parsed["error"]["code"] == "too_many_requests"


def test_common_rule_set_blocks_except_the_8_kb_body_rule(synth):
    """SizeRestrictions_BODY blocks bodies over 8 KB; session ends carry up to 1 MB of
    transcript, so that rule only counts. Every other rule of the set blocks."""
    rule = rules(synth)["AwsCommon"]
    assert rule["OverrideAction"] == {"None": {}}
    group = rule["Statement"]["ManagedRuleGroupStatement"]
    assert (group["VendorName"], group["Name"]) == ("AWS", COMMON_RULE_SET)
    assert group["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    assert set(COUNT_ONLY) == {"SizeRestrictions_BODY"}


def test_the_stage_waf_finding_is_satisfied_not_acknowledged(synth):
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acknowledged = [(construct.node.path, rule) for construct in synth.app.node.find_all()
                    for entry in construct.node.metadata if entry.type == key for rule in entry.data]
    assert [a for a in acknowledged if "APIG3" in a[1]] == []
    assert synth.nag_report.success


@pytest.mark.parametrize("raw,expected", [("false", False), ("off", False), ("0", False), (False, False),
                                          ("true", True), (True, True)])
def test_waf_context_flag(raw, expected):
    from aws_cdk import App

    assert StackSettings.from_context(App(context={"waf": raw})).waf is expected


def test_waf_defaults_and_limits_from_context():
    from aws_cdk import App

    default = StackSettings.from_context(App())
    assert (default.waf, default.waf_token_limit, default.waf_ip_limit) == (True, WAF_TOKEN_LIMIT, WAF_IP_LIMIT)
    given = StackSettings.from_context(App(context={"wafTokenLimit": "100", "wafIpLimit": "2000"}))
    assert (given.waf_token_limit, given.waf_ip_limit) == (100, 2000)


@pytest.mark.parametrize("context,message", [({"waf": "maybe"}, "waf"), ({"wafTokenLimit": "5"}, "wafTokenLimit"),
                                             ({"wafIpLimit": "many"}, "wafIpLimit")])
def test_bad_waf_context_is_refused(context, message):
    from aws_cdk import App

    with pytest.raises(ValueError, match=message):
        StackSettings.from_context(App(context=context))


def _stage_findings(waf: bool, firewall: bool) -> set[str]:
    """cdk-nag's APIG3 on an Api construct alone (stub functions, one pool), with or without
    the firewall: what `-c waf=false` leaves, without a second synthesis of the whole stack."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_cognito as cognito
    from aws_cdk import aws_lambda as lambda_
    from cdk_nag import AwsSolutionsChecks

    from infra.catalog import AREAS
    from infra.constructs.api import Api
    from infra.constructs.waf import ApiFirewall

    app = App()
    stack = Stack(app, "WafSwitch")
    functions = {area.name: lambda_.Function(stack, f"{area.name}Fn", runtime=lambda_.Runtime.PYTHON_3_12,
                                              handler="index.handler", code=lambda_.Code.from_inline("x = 1"))
                 for area in AREAS}
    settings = StackSettings(waf=waf)
    api = Api(stack, "Api", functions=functions, user_pools=[cognito.UserPool(stack, "Pool")],
              web_origin="https://example.com", settings=settings)
    if firewall:
        ApiFirewall(stack, "Firewall", rest_api=api.rest_api, stage_name=settings.stage_name,
                    token_limit=settings.waf_token_limit,
                    ip_limit=settings.waf_ip_limit)
    report = AwsSolutionsChecks().validate_scope(app)
    return {v.rule_name for v in report.violations if v.rule_name == "AwsSolutions-APIG3"}


def test_without_the_web_acl_the_stage_finding_is_real_and_waf_false_acknowledges_it():
    assert _stage_findings(waf=True, firewall=False) == {"AwsSolutions-APIG3"}
    assert _stage_findings(waf=True, firewall=True) == set()
    assert _stage_findings(waf=False, firewall=False) == set()

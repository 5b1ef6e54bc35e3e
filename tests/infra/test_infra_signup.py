"""The learner pool against sign-up farming: the sign-up trigger (pre sign-up and post
confirmation on the learner pool only, its Cognito actions exactly as infra/identity_access.py
says, on that pool only), the pool's web ACL with its rate on sign-ups, SES as the sender when
configured, and threat protection when switched on."""
from __future__ import annotations

import pytest

from infra.constructs.pool_firewall import HOSTED_SIGN_UP_PATH, SIGN_UP_TARGET
from infra.identity_access import IDENTITY_ACCESS
from infra.limits import WAF_SIGNUP_LIMIT, WAF_WINDOW_SECONDS
from infra_helpers import as_list, refs, role_statements


def pool_props(synth, pool: str) -> dict:
    return synth.resources[synth.logical_id(getattr(synth.stack.auth, pool))]["Properties"]


def test_the_trigger_runs_before_sign_up_and_after_confirmation_of_learners_only(synth):
    signup = {"Fn::GetAtt": [synth.logical_id(synth.stack.functions.signup), "Arn"]}
    assert pool_props(synth, "user_pool")["LambdaConfig"] == {"PreSignUp": signup, "PostConfirmation": signup}
    assert "LambdaConfig" not in pool_props(synth, "admin_pool")
    permissions = [p["Properties"] for p in synth.of_type("AWS::Lambda::Permission").values()
                   if p["Properties"]["Principal"] == "cognito-idp.amazonaws.com"]
    assert permissions and all(refs(p["SourceArn"]) == {synth.logical_id(synth.stack.auth.user_pool)}
                               for p in permissions)


def test_the_trigger_may_only_look_up_and_delete_users_of_the_learner_pool(synth):
    cognito = [s for s in role_statements(synth, synth.stack.functions.signup.role)
               if any(a.startswith("cognito-idp:") for a in as_list(s["Action"]))]
    assert [set(as_list(s["Action"])) for s in cognito] == [
        {f"cognito-idp:{a}" for a in IDENTITY_ACCESS["signup"]}]
    assert cognito[0]["Resource"] == {"Fn::GetAtt": [synth.logical_id(synth.stack.auth.user_pool), "Arn"]}
    assert set(IDENTITY_ACCESS) == {"signup"}
    for key, function in synth.stack.functions.functions.items():   # nobody else touches Cognito
        if key != "signup":
            assert not [s for s in role_statements(synth, function.role)
                        if any(a.startswith("cognito-idp:") for a in as_list(s["Action"]))], key


def test_the_trigger_fits_cognitos_wait(synth):
    props = synth.resources[synth.logical_id(synth.stack.functions.signup)]["Properties"]
    assert props["Timeout"] <= 5 and props["Handler"] == "signup.handler.lambda_handler"


def test_the_learner_pool_has_a_web_acl_with_a_rate_on_sign_ups(synth):
    firewall = synth.stack.pool_firewall
    acl = synth.resources[synth.logical_id(firewall.web_acl)]["Properties"]
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    (rule,) = acl["Rules"]
    assert rule["Name"] == "SignUpRate" and rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    rate = rule["Statement"]["RateBasedStatement"]
    assert (rate["AggregateKeyType"], rate["Limit"], rate["EvaluationWindowSec"]) == (
        "IP", WAF_SIGNUP_LIMIT, WAF_WINDOW_SECONDS)
    api, hosted = rate["ScopeDownStatement"]["OrStatement"]["Statements"]
    target = api["ByteMatchStatement"]
    assert (target["FieldToMatch"], target["PositionalConstraint"], target["SearchString"]) == (
        {"SingleHeader": {"Name": "x-amz-target"}}, "EXACTLY", SIGN_UP_TARGET)
    form = [s["ByteMatchStatement"] for s in hosted["AndStatement"]["Statements"]]
    assert [(f["FieldToMatch"], f["SearchString"]) for f in form] == [
        ({"UriPath": {}}, HOSTED_SIGN_UP_PATH), ({"Method": {}}, "POST")]
    association = synth.resources[synth.logical_id(firewall.association)]["Properties"]
    assert association["ResourceArn"] == {"Fn::GetAtt": [synth.logical_id(synth.stack.auth.user_pool), "Arn"]}
    assert association["WebACLArn"] == {"Fn::GetAtt": [synth.logical_id(firewall.web_acl), "Arn"]}


def _auth_alone(**options) -> tuple[dict, dict, set[str]]:
    """The Auth construct alone (no whole-stack synthesis): the learner pool's properties, the
    admin pool's, and cdk-nag's COG8 findings."""
    from aws_cdk import App, Stack, assertions
    from cdk_nag import AwsSolutionsChecks

    from infra.constructs.auth import Auth

    app = App()
    stack = Stack(app, "AuthAlone")
    auth = Auth(stack, "Auth", web_url="https://example.com", **options)
    findings = {v.rule_name for v in AwsSolutionsChecks().validate_scope(app).violations}
    resources = assertions.Template.from_stack(stack).to_json()["Resources"]
    learner = resources[stack.resolve(auth.user_pool.node.default_child.logical_id)]["Properties"]
    admin = resources[stack.resolve(auth.admin_pool.node.default_child.logical_id)]["Properties"]
    return learner, admin, findings


def test_without_ses_cognito_sends_the_mail(synth):
    props = pool_props(synth, "user_pool")
    assert props.get("EmailConfiguration", {}).get("EmailSendingAccount", "COGNITO_DEFAULT") == "COGNITO_DEFAULT"
    assert synth.stack.settings.ses_identity == ""


@pytest.mark.parametrize("identity,sender,source", [
    ("mail.example.com", "Speak Pho <no-reply@mail.example.com>", "identity/mail.example.com"),
    ("hello@example.com", "Speak Pho <hello@example.com>", "identity/hello@example.com"),
])
def test_with_an_ses_identity_ses_sends_the_learner_pools_mail(identity, sender, source):
    learner, admin, _ = _auth_alone(ses_identity=identity)
    email = learner["EmailConfiguration"]
    assert email["EmailSendingAccount"] == "DEVELOPER" and email["From"] == sender
    assert email["SourceArn"]["Fn::Join"][1][-1].endswith(source)
    assert "EmailConfiguration" not in admin or admin["EmailConfiguration"].get("EmailSendingAccount") != "DEVELOPER"


def test_threat_protection_is_off_by_default_and_acknowledged(synth):
    props = pool_props(synth, "user_pool")
    assert props["UserPoolTier"] == "ESSENTIALS" and "UserPoolAddOns" not in props
    assert synth.stack.settings.learner_threat_protection is False
    _, _, findings = _auth_alone()
    assert "AwsSolutions-COG8" not in findings


def test_threat_protection_on_uses_the_plus_plan_and_needs_no_acknowledgement():
    learner, _, findings = _auth_alone(threat_protection=True)
    assert learner["UserPoolTier"] == "PLUS"
    assert learner["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    assert "AwsSolutions-COG8" not in findings


@pytest.mark.parametrize("raw,expected", [("true", True), ("false", False), ("on", True)])
def test_threat_protection_and_ses_from_context(raw, expected):
    from aws_cdk import App

    from infra.settings import StackSettings

    settings = StackSettings.from_context(App(context={"learnerThreatProtection": raw, "sesIdentity": "example.com"}))
    assert (settings.learner_threat_protection, settings.ses_identity) == (expected, "example.com")

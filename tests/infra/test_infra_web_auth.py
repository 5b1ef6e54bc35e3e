"""Cognito (learner and admin user pools, admin group, web clients, domains) and the web app:
private bucket behind CloudFront with OAC, deployed with a config.json resolved at deploy time."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra.constructs.web import CONFIG_KEY, route_map, site_files
from infra_helpers import refs


def only(synth, cfn_type: str) -> tuple[str, dict]:
    found = synth.of_type(cfn_type)
    assert len(found) == 1, f"{cfn_type}: {list(found)}"
    return next(iter(found.items()))


def resource(synth, construct) -> dict:
    return synth.resources[synth.logical_id(construct)]


def test_two_user_pools_learners_and_admins(synth):
    auth = synth.stack.auth
    assert set(synth.of_type("AWS::Cognito::UserPool")) == {synth.logical_id(auth.user_pool),
                                                           synth.logical_id(auth.admin_pool)}


@pytest.mark.parametrize("pool", ["user_pool", "admin_pool"])
def test_pools_use_email_sign_in_and_strong_passwords(synth, pool):
    props = resource(synth, getattr(synth.stack.auth, pool))["Properties"]
    assert props["UsernameAttributes"] == ["email"]
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(policy[k] for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"))
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]       # TOTP only, never SMS


@pytest.mark.parametrize("pool", ["user_pool", "admin_pool"])
def test_pools_are_deletion_protected_and_keep_the_verified_email(synth, pool):
    """An email change keeps the old, verified address in use until the new one is verified:
    nobody can switch to an address they do not own and sign in or get mail with it."""
    pool_resource = resource(synth, getattr(synth.stack.auth, pool))
    props = pool_resource["Properties"]
    assert props["DeletionProtection"] == "ACTIVE"
    assert pool_resource["DeletionPolicy"] == "Retain"
    assert props["AutoVerifiedAttributes"] == ["email"]
    assert props["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}


def test_learner_pool_has_self_sign_up_and_optional_mfa(synth):
    props = resource(synth, synth.stack.auth.user_pool)["Properties"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    assert props["MfaConfiguration"] == "OPTIONAL"


def test_admin_pool_requires_totp_and_has_no_self_sign_up(synth):
    props = resource(synth, synth.stack.auth.admin_pool)["Properties"]
    assert props["MfaConfiguration"] == "ON"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    # Plus plan with threat protection enforced (a handful of admins: cents a month).
    assert props["UserPoolTier"] == "PLUS"
    assert props["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}


def test_admin_group_lives_in_the_admin_pool_only(synth):
    _, group = only(synth, "AWS::Cognito::UserPoolGroup")
    assert group["Properties"]["GroupName"] == "admin"
    assert group["Properties"]["UserPoolId"] == {"Ref": synth.logical_id(synth.stack.auth.admin_pool)}


def callback_paths(props: dict) -> set[str]:
    return {url["Fn::Join"][1][-1] for url in props["CallbackURLs"]}


def test_web_client_uses_code_flow_with_callbacks_on_cloudfront(synth):
    props = resource(synth, synth.stack.auth.client)["Properties"]
    assert props["UserPoolId"] == {"Ref": synth.logical_id(synth.stack.auth.user_pool)}
    assert props["AllowedOAuthFlows"] == ["code"]
    assert props["AllowedOAuthFlowsUserPoolClient"] is True
    assert set(props["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert props["GenerateSecret"] is False
    assert props["SupportedIdentityProviders"] == ["COGNITO"]
    distribution = synth.logical_id(synth.stack.web.distribution)
    assert props["CallbackURLs"] and all(distribution in refs(url) for url in props["CallbackURLs"])
    assert callback_paths(props) == {"/", "/learning", "/admin"}


def test_admin_client_signs_in_to_the_admin_page_only(synth):
    props = resource(synth, synth.stack.auth.admin_client)["Properties"]
    assert props["UserPoolId"] == {"Ref": synth.logical_id(synth.stack.auth.admin_pool)}
    assert props["AllowedOAuthFlows"] == ["code"] and props["GenerateSecret"] is False
    assert callback_paths(props) == {"/admin"} and props["LogoutURLs"] == props["CallbackURLs"]
    # Refresh tokens last a working day (minutes): an admin passes MFA at least daily.
    assert props["RefreshTokenValidity"] == 12 * 60 and props["TokenValidityUnits"]["RefreshToken"] == "minutes"
    assert len(synth.of_type("AWS::Cognito::UserPoolClient")) == 2


def test_hosted_ui_domains(synth):
    auth = synth.stack.auth
    domains = {d["Properties"]["UserPoolId"]["Ref"]: d["Properties"]["Domain"]
               for d in synth.of_type("AWS::Cognito::UserPoolDomain").values()}
    assert set(domains) == {synth.logical_id(auth.user_pool), synth.logical_id(auth.admin_pool)}
    assert domains[synth.logical_id(auth.admin_pool)]["Fn::Join"][1][0] == "speakpho-admin"


def test_site_bucket_is_private_ssl_only_and_logged(synth):
    bucket_id = synth.logical_id(synth.stack.web.bucket)
    props = synth.resources[bucket_id]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {
        "Ref": synth.logical_id(synth.stack.web.logs_bucket)}
    policies = [p["Properties"]["PolicyDocument"]["Statement"] for p in synth.of_type("AWS::S3::BucketPolicy").values()
                if p["Properties"]["Bucket"] == {"Ref": bucket_id}]
    statements = policies[0]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)
    # Only CloudFront (this distribution) may read, through origin access control.
    readers = [s for s in statements if s["Effect"] == "Allow"]
    assert readers and all(s["Principal"] == {"Service": "cloudfront.amazonaws.com"} for s in readers)
    distribution = synth.logical_id(synth.stack.web.distribution)
    assert all(distribution in refs(s["Condition"]) for s in readers)


def test_distribution_serves_the_bucket_via_oac_over_https(synth):
    _, distribution = only(synth, "AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    origin = config["Origins"][0]
    assert refs(origin["DomainName"]) == {synth.logical_id(synth.stack.web.bucket)}
    assert "OriginAccessControlId" in origin
    assert origin["S3OriginConfig"]["OriginAccessIdentity"] == ""
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"
    assert [b["PathPattern"] for b in config["CacheBehaviors"]] == ["/" + CONFIG_KEY]
    assert config["Logging"]["Bucket"] and config["Logging"]["Prefix"] == "cloudfront/"


def test_page_routes_match_the_local_runner():
    files = ["index.html", "learning.html", "admin/index.html", "admin.html", "js/app.js", "docs.html", "docs"]
    routes = route_map(files)
    assert routes["/learning"] == "/learning.html"
    assert routes["/admin"] == "/admin/index.html" and routes["/admin/"] == "/admin/index.html"
    assert "/docs" not in routes            # a file of that name exists: served as is
    assert "/index" in routes and "/" not in routes   # "/" is the default root object


def test_config_json_is_written_at_deploy_time_with_api_and_cognito(synth):
    _, deployment = only(synth, "Custom::CDKBucketDeployment")
    props = deployment["Properties"]
    assert props["DestinationBucketName"] == {"Ref": synth.logical_id(synth.stack.web.bucket)}
    assert props["Prune"] is True
    assert props["DistributionPaths"] == ["/*"]
    configs = [(key, markers) for key, markers in zip(props["SourceObjectKeys"], props["SourceMarkers"])
               if (synth.outdir / f"asset.{key.removesuffix('.zip')}" / CONFIG_KEY).is_file()]
    assert len(configs) == 1
    key, markers = configs[0]
    text = (synth.outdir / f"asset.{key.removesuffix('.zip')}" / CONFIG_KEY).read_text()
    # Deploy-time values are markers in the file, resolved by the deployment from `markers`.
    config = json.loads(re.sub(r"<<marker:0xbaba:\d+>>", lambda m: json.dumps(m.group(0)), text))
    auth = config["auth"]
    assert auth["mode"] == "cognito"
    assert auth["scopes"] == ["openid", "email", "profile"]
    stack = synth.stack

    def value(marker: str) -> dict:
        return markers[marker]

    api_base = value(config["apiBase"])["Fn::Join"][1]
    assert refs(api_base) == {synth.logical_id(stack.api.rest_api), synth.logical_id(stack.api.rest_api.deployment_stage)}
    assert api_base[0] == '"https://' and api_base[-1] == '"', "apiBase: https URL of the stage, no trailing slash"
    assert value(auth["region"]) == {"Fn::Join": ["", ['"', {"Ref": "AWS::Region"}, '"']]}
    assert refs(value(auth["userPoolId"])) == {synth.logical_id(stack.auth.user_pool)}
    assert refs(value(auth["clientId"])) == {synth.logical_id(stack.auth.client)}
    assert refs(value(auth["domain"])) == {synth.logical_id(stack.auth.domain)}
    assert refs(value(auth["redirectUri"])) == {synth.logical_id(stack.web.distribution)}
    # The admin page signs in to the admin pool (its own client and hosted UI).
    admin = config["adminAuth"]
    assert admin["mode"] == "cognito" and admin["scopes"] == ["openid", "email", "profile"]
    assert refs(value(admin["userPoolId"])) == {synth.logical_id(stack.auth.admin_pool)}
    assert refs(value(admin["clientId"])) == {synth.logical_id(stack.auth.admin_client)}
    assert refs(value(admin["domain"])) == {synth.logical_id(stack.auth.admin_domain)}
    assert value(admin["redirectUri"])["Fn::Join"][1][-2:] == [{"Fn::GetAtt": [
        synth.logical_id(stack.web.distribution), "DomainName"]}, '/admin"']


def test_web_files_are_deployed_when_web_exists(synth):
    files = site_files(synth.stack.web.web_dir)
    _, deployment = only(synth, "Custom::CDKBucketDeployment")
    keys = deployment["Properties"]["SourceObjectKeys"]
    assert len(keys) == (2 if files else 1)
    if files:
        site = next(synth.outdir / f"asset.{k.removesuffix('.zip')}" for k in keys
                    if not (synth.outdir / f"asset.{k.removesuffix('.zip')}" / CONFIG_KEY).exists())
        deployed = sorted(p.relative_to(site).as_posix() for p in Path(site).rglob("*") if p.is_file())
        assert set(files) <= set(deployed)
        assert CONFIG_KEY not in deployed


def test_stack_without_web_folder_deploys_config_only(tmp_path):
    """No web/ at synth time: bucket, distribution and config.json, nothing broken (no synth needed)."""
    assert site_files(tmp_path / "missing") == []
    assert route_map([]) == {}


def test_outputs(synth):
    outputs = synth.doc["Outputs"]
    for name in ("ApiUrl", "WebUrl", "UserPoolId", "UserPoolClientId", "AuthDomain", "AdminUserPoolId",
                 "AdminUserPoolClientId", "AdminAuthDomain", "AlarmTopic", "DashboardName"):
        assert name in outputs

"""API Gateway: every catalog route, Cognito on every /api method, the right Lambda behind
each, gateway responses in our envelope, stage logging/tracing/throttling, CORS."""
from __future__ import annotations

import json
import re

import pytest

from infra.catalog import AREAS, routes
from infra.constructs.api import GATEWAY_RESPONSES

from infra_helpers import refs


def resource_paths(synth) -> dict[str, str]:
    """AWS::ApiGateway::Resource logical id -> full path (/api/learning/session/{id})."""
    resources = synth.of_type("AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical_id: str) -> str:
        if logical_id not in paths:
            props = resources[logical_id]["Properties"]
            parent = props["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""   # GetAtt RootResourceId = "/"
            paths[logical_id] = f"{prefix}/{props['PathPart']}"
        return paths[logical_id]

    for logical_id in resources:
        path_of(logical_id)
    return paths


def methods_by_route(synth) -> dict[tuple[str, str], dict]:
    paths = resource_paths(synth)
    found = {}
    for method in synth.of_type("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        resource = props["ResourceId"]
        path = paths[resource["Ref"]] if "Ref" in resource else "/"
        found[(props["HttpMethod"], path)] = props
    return found


def test_catalog_has_routes_of_every_area():
    areas = {route.area for route in routes()}
    assert areas == {a.name for a in AREAS}


def test_every_catalog_route_is_a_cognito_authorized_method_on_its_areas_lambda(synth):
    methods = methods_by_route(synth)
    authorizer_id = synth.logical_id(synth.stack.api.authorizer)
    for route in routes():
        props = methods.get((route.method, route.path))
        assert props is not None, f"{route.method} {route.path} missing from the REST API"
        assert props["AuthorizationType"] == "COGNITO_USER_POOLS", route
        assert props["AuthorizerId"] == {"Ref": authorizer_id}, route
        integration = props["Integration"]
        assert integration["Type"] == "AWS_PROXY" and integration["IntegrationHttpMethod"] == "POST", route
        expected_fn = synth.logical_id(synth.stack.functions.by_area[route.area])
        other_fns = {synth.logical_id(fn) for area, fn in synth.stack.functions.by_area.items() if area != route.area}
        referenced = refs(integration["Uri"])
        assert expected_fn in referenced, f"{route} is not integrated with the {route.area} Lambda"
        assert not referenced & other_fns, route


def test_no_method_beyond_the_catalog_except_cors_preflight(synth):
    declared = {(r.method, r.path) for r in routes()}
    for (method, path), props in methods_by_route(synth).items():
        if method == "OPTIONS":
            assert props["AuthorizationType"] == "NONE" and props["Integration"]["Type"] == "MOCK"
            continue
        assert (method, path) in declared, f"{method} {path} is not a catalog route"
        assert path.startswith("/api/")


def test_authorizer_trusts_the_learner_and_admin_pools(synth):
    """Both pools sign tokens the API accepts; the admin routes also check the token's issuer."""
    learners = synth.logical_id(synth.stack.auth.user_pool)
    admins = synth.logical_id(synth.stack.auth.admin_pool)
    authorizers = synth.of_type("AWS::ApiGateway::Authorizer")
    assert len(authorizers) == 1
    props = next(iter(authorizers.values()))["Properties"]
    assert props["Type"] == "COGNITO_USER_POOLS"
    assert props["IdentitySource"] == "method.request.header.Authorization"
    assert props["ProviderARNs"] == [{"Fn::GetAtt": [learners, "Arn"]}, {"Fn::GetAtt": [admins, "Arn"]}]


def test_each_route_may_invoke_only_its_own_lambda(synth):
    """One scoped Lambda permission per route (no test-invoke permissions)."""
    permissions = [p["Properties"] for p in synth.of_type("AWS::Lambda::Permission").values()
                   if p["Properties"]["Principal"] == "apigateway.amazonaws.com"]
    assert len(permissions) == len(routes())
    for route in routes():
        fn = synth.logical_id(synth.stack.functions.by_area[route.area])
        wanted = f"/{route.method}" + re.sub(r"\{[^}]+\}", "*", route.path)   # as API Gateway scopes it
        matching = [p for p in permissions
                    if refs(p["FunctionName"]) == {fn} and p["SourceArn"]["Fn::Join"][1][-1] == wanted]
        assert len(matching) == 1, route


@pytest.mark.parametrize("response_type,status,code,message", GATEWAY_RESPONSES,
                         ids=[g[0].response_type for g in GATEWAY_RESPONSES])
def test_gateway_responses_use_the_error_envelope(synth, response_type, status, code, message):
    responses = {r["Properties"]["ResponseType"]: r["Properties"]
                 for r in synth.of_type("AWS::ApiGateway::GatewayResponse").values()}
    props = responses[response_type.response_type]
    if status:
        assert props["StatusCode"] == status
    template = props["ResponseTemplates"]["application/json"]
    # What API Gateway renders: $context.error.messageString is a quoted JSON string.
    rendered = json.loads(template.replace("$context.error.messageString", json.dumps("Unauthorized")))
    assert rendered["success"] is False
    assert rendered["error"]["code"] == code
    assert rendered["error"]["message"] == (message or "Unauthorized")
    assert "Access-Control-Allow-Origin" in " ".join(props["ResponseParameters"])


def test_missing_authentication_token_answers_404(synth):
    synth.template.has_resource_properties("AWS::ApiGateway::GatewayResponse", {
        "ResponseType": "MISSING_AUTHENTICATION_TOKEN", "StatusCode": "404"})


def test_stage_has_access_logs_tracing_and_throttling(synth):
    settings = synth.stack.settings
    stages = synth.of_type("AWS::ApiGateway::Stage")
    assert len(stages) == 1
    props = next(iter(stages.values()))["Properties"]
    assert props["StageName"] == settings.stage_name
    assert props["TracingEnabled"] is True
    assert refs(props["AccessLogSetting"]["DestinationArn"]) == {synth.logical_id(synth.stack.api.access_logs)}
    assert "$context.requestId" in props["AccessLogSetting"]["Format"]
    method_settings = props["MethodSettings"][0]
    assert method_settings["ThrottlingRateLimit"] == settings.api_throttle_rate
    assert method_settings["ThrottlingBurstLimit"] == settings.api_throttle_burst
    assert method_settings["LoggingLevel"] == "ERROR" and method_settings["DataTraceEnabled"] is False


def test_cors_preflight_allows_only_the_web_origin(synth):
    distribution = synth.logical_id(synth.stack.web.distribution)
    options = [m["Properties"] for m in synth.of_type("AWS::ApiGateway::Method").values()
               if m["Properties"]["HttpMethod"] == "OPTIONS"]
    assert options
    for props in options:
        headers = props["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        origin = headers["method.response.header.Access-Control-Allow-Origin"]
        assert distribution in refs(origin), "CORS origin must be the CloudFront URL"
        assert "Authorization" in headers["method.response.header.Access-Control-Allow-Headers"]

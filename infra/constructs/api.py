"""API Gateway REST API: every route of infra.catalog.routes() as an explicit resource and
method, proxied to its area's Lambda, authorized by the Cognito user pools (learners and
admins; the admin routes check the token's pool themselves, speakpho.auth)."""
from __future__ import annotations

import json

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.catalog import RouteSpec, ensure_import_paths, routes
from infra.limits import throttle_for
from infra.nag import acknowledge
from infra.settings import StackSettings

ensure_import_paths()
from speakpho.envelope import CORS_ALLOW_HEADERS, CORS_MAX_AGE_SECONDS, error_body  # noqa: E402

# Answers API Gateway gives itself (before any Lambda runs), in our error envelope.
# (response type, status or None to keep API Gateway's, error code, fixed message or None for API Gateway's)
GATEWAY_RESPONSES: tuple[tuple[apigw.ResponseType, str | None, str, str | None], ...] = (
    (apigw.ResponseType.UNAUTHORIZED, "401", "unauthorized", None),
    (apigw.ResponseType.ACCESS_DENIED, "403", "forbidden", None),
    # API Gateway's answer to an unknown path or method ("Missing Authentication Token").
    (apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, "404", "not_found", "no such route"),
    (apigw.ResponseType.THROTTLED, "429", "too_many_requests", None),
    (apigw.ResponseType.REQUEST_TOO_LARGE, "413", "payload_too_large", None),
    (apigw.ResponseType.DEFAULT_4_XX, None, "bad_request", None),
    (apigw.ResponseType.DEFAULT_5_XX, None, "internal_error", None),
)


# Stands for API Gateway's own message in the body, then replaced by the VTL variable.
_GATEWAY_MESSAGE = "@@gateway-message@@"


def envelope_template(code: str, message: str | None = None) -> str:
    """VTL for speakpho.envelope.error_body(code, message); $context.error.messageString is
    already a quoted JSON string, so it replaces the quoted placeholder."""
    body = json.dumps(error_body(code, _GATEWAY_MESSAGE if message is None else message), separators=(",", ":"))
    return body.replace(json.dumps(_GATEWAY_MESSAGE), "$context.error.messageString")


def method_key(route: RouteSpec) -> str:
    """How CDK names a method's settings: the resource path, then the method."""
    return f"{route.path}/{route.method}"


def route_throttles(catalog: tuple[RouteSpec, ...]) -> dict[str, apigw.MethodDeploymentOptions]:
    """One stage MethodSettings entry per route (infra/limits.py): each route its own bucket,
    so a flood of one route cannot use up another's."""
    options = {}
    for route in catalog:
        throttle = throttle_for(route.method, route.path)
        options[method_key(route)] = apigw.MethodDeploymentOptions(
            throttling_rate_limit=throttle.rate, throttling_burst_limit=throttle.burst,
            logging_level=apigw.MethodLoggingLevel.ERROR, data_trace_enabled=False, metrics_enabled=True)
    return options


class Api(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, functions: dict[str, lambda_.IFunction],
                 user_pools: list[cognito.IUserPool], web_origin: str, settings: StackSettings) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.THREE_MONTHS,
                                         removal_policy=RemovalPolicy.DESTROY)
        cors = apigw.CorsOptions(
            allow_origins=[web_origin],
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=list(CORS_ALLOW_HEADERS),
            max_age=Duration.seconds(CORS_MAX_AGE_SECONDS),
        )
        self.rest_api = apigw.RestApi(
            self, "RestApi",
            description="Speak Pho Real API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            default_cors_preflight_options=cors,
            deploy_options=apigw.StageOptions(
                stage_name=settings.stage_name,
                tracing_enabled=True,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False, http_method=True, ip=True, protocol=True, request_time=True,
                    resource_path=True, response_length=True, status=True, user=True),
                # The stage-wide default: CORS preflights and anything that is not a route.
                throttling_rate_limit=settings.api_throttle_rate,
                throttling_burst_limit=settings.api_throttle_burst,
                method_options=route_throttles(routes()),
            ),
        )
        self.authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "Authorizer", cognito_user_pools=list(user_pools), results_cache_ttl=Duration.minutes(5))

        allow_origin = f"'{web_origin}'"
        for response_type, status, code, message in GATEWAY_RESPONSES:
            self.rest_api.add_gateway_response(
                f"{response_type.response_type}Response",
                type=response_type,
                status_code=status,
                response_headers={"Access-Control-Allow-Origin": allow_origin},
                templates={"application/json": envelope_template(code, message)},
            )

        acknowledge(self.rest_api, "AwsSolutions-APIG2",
                    "Each Lambda validates body, path and query with pydantic (Powertools enable_validation) and "
                    "answers a 4xx naming the field; a gateway model would be a second copy of the contract.")
        acknowledge(self.rest_api, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                                   "AmazonAPIGatewayPushToCloudWatchLogs]",
                    "The account-level role API Gateway needs to write execution logs; AWS maintains its policy.")
        if not settings.waf:
            # By default infra/constructs/waf.py associates a web ACL with this stage (no finding).
            acknowledge(self.rest_api.deployment_stage, "AwsSolutions-APIG3",
                        "The WAF web ACL was turned off for this deployment with -c waf=false; every route "
                        "still requires a Cognito token and the stage is throttled.")

        integrations = {area: apigw.LambdaIntegration(fn, proxy=True, allow_test_invoke=False)
                        for area, fn in functions.items()}
        self.routes: tuple[RouteSpec, ...] = routes()
        self.methods: dict[tuple[str, str], apigw.Method] = {}
        for route in self.routes:
            resource = self.rest_api.root.resource_for_path(route.path)
            self.methods[(route.method, route.path)] = resource.add_method(
                route.method, integrations[route.area],
                authorizer=self.authorizer,
                authorization_type=apigw.AuthorizationType.COGNITO,
            )

    @property
    def base_url(self) -> str:
        """Stage URL without the trailing slash: the web app appends /api/... to it."""
        stage = self.rest_api.deployment_stage
        return f"https://{self.rest_api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{stage.stage_name}"

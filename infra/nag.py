"""The cdk-nag (AwsSolutions) and CloudFormation-validation findings this stack accepts.

cdk-nag 3 runs as a policy-validation plugin (app.py: Validations.of(app).add_plugins(...));
a finding is accepted with Validations.of(construct).acknowledge(...), on the narrowest
construct that carries it and with the reason it is acceptable. Every finding is listed
explicitly (no prefix matching): a new finding fails the synth and the infra tests.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

if TYPE_CHECKING:  # pragma: no cover
    from infra.stack import SpeakPhoStack

BUCKET_DEPLOYMENT_PREFIX = "Custom::CDKBucketDeployment"
DEFAULT_QUALIFIER = "hnb659fds"


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def logical_ref(stack: Stack, resource) -> str:
    """`<LogicalId.Arn>` as cdk-nag writes a GetAtt in a finding id."""
    resolved = stack.resolve(resource.table_arn if hasattr(resource, "table_arn") else resource.bucket_arn)
    logical_id, attribute = resolved["Fn::GetAtt"]
    return f"<{logical_id}.{attribute}>"


def acknowledge_findings(stack: "SpeakPhoStack") -> None:
    _functions(stack)
    _api(stack)
    _auth(stack)
    _web(stack)
    _monitoring(stack)


def _functions(stack: "SpeakPhoStack") -> None:
    from infra.constructs.functions import ACCESS

    functions = stack.functions
    for key, function in functions.functions.items():
        acknowledge(function, "AwsSolutions-L1",
                    "python3.12 is pinned to the runtime the common layer's compiled wheels are built for "
                    "(pydantic-core cp312 manylinux); the runtime moves together with infra/layer_build.py.")
        role = function.role
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]",
                    "Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no "
                    "resource-level permissions.")
        for table_name in ACCESS[key].tables:
            spec = stack.tables.specs[table_name]
            if spec.indexes:
                acknowledge(role, f"AwsSolutions-IAM5[Resource::{logical_ref(stack, stack.tables[table_name])}/index/*]",
                            f"The {table_name} table's own GSIs ({', '.join(i.name for i in spec.indexes)}), which "
                            "the function queries instead of scanning; granted by grant_*_data on that table only.")
    acknowledge(functions.rollups_failures, "AwsSolutions-SQS3",
                "This queue is the on-failure destination (dead-letter queue) of the rollups stream mapping.")


def _api(stack: "SpeakPhoStack") -> None:
    rest_api = stack.api.rest_api
    acknowledge(rest_api, "AwsSolutions-APIG2",
                "Each Lambda validates body, path and query with pydantic (Powertools enable_validation) and "
                "answers a 4xx naming the field; a gateway model would be a second copy of the contract.")
    acknowledge(rest_api, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                          "AmazonAPIGatewayPushToCloudWatchLogs]",
                "The account-level role API Gateway needs to write execution logs; AWS maintains its policy.")
    acknowledge(rest_api.deployment_stage, "AwsSolutions-APIG3",
                "Every route requires a Cognito token and the stage is throttled; a WAF web ACL can be "
                "associated when traffic justifies its cost.")


def _auth(stack: "SpeakPhoStack") -> None:
    pool = stack.auth.user_pool
    acknowledge(pool, "AwsSolutions-COG2",
                "TOTP MFA is offered (optional); requiring it would block learners' self sign-up. "
                "Admin accounts are expected to enable it.")
    acknowledge(pool, "AwsSolutions-COG8",
                "The Essentials feature plan is used; Plus (threat protection) is billed per active user and "
                "can be switched on without code changes.")


def _web(stack: "SpeakPhoStack") -> None:
    distribution = stack.web.distribution
    acknowledge(distribution, "AwsSolutions-CFR1",
                "Learners may practise from anywhere: no geo restriction by design.")
    acknowledge(distribution, "AwsSolutions-CFR2",
                "Static files only; the API is behind Cognito and throttling. A WAF web ACL (us-east-1) can be "
                "attached when needed.")
    acknowledge(distribution, "AwsSolutions-CFR4",
                "The default *.cloudfront.net certificate fixes the viewer TLS policy; a custom domain with an ACM "
                "certificate and TLSv1.2_2021 is the fix when the app gets its own domain.")
    _bucket_deployment(stack)


def _bucket_deployment(stack: "SpeakPhoStack") -> None:
    """The singleton Lambda behind s3deploy.BucketDeployment (CDK-owned code and policy)."""
    provider = next((c for c in stack.node.children if c.node.id.startswith(BUCKET_DEPLOYMENT_PREFIX)), None)
    if provider is None:
        return
    qualifier = stack.node.try_get_context("@aws-cdk/core:bootstrapQualifier") or DEFAULT_QUALIFIER
    acknowledge(provider, "AwsSolutions-L1",
                "CDK's BucketDeployment handler: its runtime is chosen by aws-cdk-lib and updated with it.")
    acknowledge(provider, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                          "AWSLambdaBasicExecutionRole]",
                "CDK's BucketDeployment handler role: logging only, as created by aws-cdk-lib.")
    reasons = {
        "Action::s3:GetObject*": "reads the web asset zip from the CDK assets bucket",
        "Action::s3:GetBucket*": "reads bucket settings of the assets and site buckets",
        "Action::s3:List*": "lists the site bucket to prune files no longer in web/",
        "Action::s3:DeleteObject*": "prunes files no longer in web/ from the site bucket",
        "Action::s3:Abort*": "aborts failed multipart uploads to the site bucket",
        f"Resource::arn:<AWS::Partition>:s3:::cdk-{qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*":
            "the CDK bootstrap assets bucket holding this stack's web asset",
        f"Resource::{logical_ref(stack, stack.web.bucket)}/*": "objects of the site bucket it deploys to",
        "Resource::*": "cloudfront:CreateInvalidation/GetInvalidation have no resource-level scoping here",
    }
    for finding, reason in reasons.items():
        acknowledge(provider, f"AwsSolutions-IAM5[{finding}]", f"CDK's BucketDeployment handler {reason}.")


def _monitoring(stack: "SpeakPhoStack") -> None:
    monitoring = stack.monitoring
    for alarm in monitoring.alarms.values():
        acknowledge(alarm, "CloudFormation-Validate::F3033",
                    "AlarmActions is Fn::If(CreateAlarmTopic, created topic, AlarmTopicArn): the empty branch "
                    "is never taken, the validator evaluates both.")
    acknowledge(stack, "CloudFormation-Validate::W1001",
                "Output AlarmTopic refers to the conditional topic only inside Fn::If on the same condition.")

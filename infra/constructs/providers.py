"""Provider access: one Secrets Manager secret per voice provider (its API key), the schedule
group of the one-time schedules that hang up an OpenAI call at the learner's limit, the
Scheduler's execution role that may invoke the hangup function, and the dead-letter queue of
hangups that failed. `attach` gives each function what infra/provider_access.py says: its
GetSecretValue, scheduler and PassRole grants and its environment."""
from __future__ import annotations

import json

from aws_cdk import Duration, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.catalog import ensure_import_paths
from infra.nag import acknowledge
from infra.provider_access import PROVIDER_ACCESS, ProviderGrant
from infra.settings import StackSettings

ensure_import_paths()
from speakpho.config import ENV_NAMES  # noqa: E402
from speakpho.models import PROVIDERS  # noqa: E402

# What the stack stores: no key (speakpho.providers.keys reads an empty apiKey as "none set",
# so the provider is unavailable until an operator puts one; docs/deploy.md).
NO_KEY = json.dumps({"apiKey": ""})
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"


class ProviderAccess(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StackSettings) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        stack = Stack.of(self)
        self.secrets: dict[str, secretsmanager.Secret] = {}
        for provider in PROVIDERS:
            secret = secretsmanager.Secret(
                self, f"{provider.capitalize()}Key",
                secret_name=f"{stack.stack_name}/{provider}-api-key",
                description=f"{provider} API key as {{\"apiKey\": \"...\"}}; empty: the provider is unavailable",
                # A placeholder, not a credential: the template never holds a key.
                secret_string_value=SecretValue.unsafe_plain_text(NO_KEY),
                # Kept when the stack is deleted, like the tables: a provider key is shown once when
                # it is issued and cannot be read back from the provider.
                removal_policy=RemovalPolicy.RETAIN,
            )
            acknowledge(secret, "AwsSolutions-SMG4",
                        "A third-party provider API key cannot be rotated by a Secrets Manager rotation Lambda; "
                        "an operator replaces it with put-secret-value (docs/deploy.md).")
            self.secrets[provider] = secret

        self.group_name = f"{stack.stack_name}-hangups"
        self.schedule_group = scheduler.ScheduleGroup(
            self, "HangupSchedules", schedule_group_name=self.group_name,
            # Its schedules are only worth anything while the stack's hangup function exists.
            removal_policy=RemovalPolicy.DESTROY)
        # The name as a literal (not the group's Ref), so the grant's ARN reads the same in the
        # template and in cdk-nag's finding id.
        self.schedule_arns = stack.format_arn(service="scheduler", resource="schedule",
                                              resource_name=f"{self.group_name}/*")

        # Scheduler's dead letters (a schedule that could not invoke the function) and the hangup
        # function's own (its asynchronous invocation failed every retry): hangups that did not happen.
        self.dead_letters = sqs.Queue(
            self, "HangupDeadLetters",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        acknowledge(self.dead_letters, "AwsSolutions-SQS3",
                    "This queue is itself the dead-letter queue of the hangup schedules and of the hangup function.")

        self.scheduler_role = iam.Role(
            self, "SchedulerRole",
            description="EventBridge Scheduler: invokes the hangup function, sends dead letters",
            assumed_by=iam.ServicePrincipal(SCHEDULER_PRINCIPAL, conditions={
                "StringEquals": {"aws:SourceAccount": stack.account}}))
        self.scheduler_role.add_to_policy(iam.PolicyStatement(
            actions=["sqs:SendMessage"], resources=[self.dead_letters.queue_arn]))

    def allow_invoke(self, hangup: lambda_.IFunction) -> None:
        """The execution role may invoke the hangup function (its unqualified ARN) and nothing else."""
        self.hangup = hangup
        self.scheduler_role.add_to_policy(iam.PolicyStatement(
            actions=["lambda:InvokeFunction"], resources=[hangup.function_arn]))

    def attach(self, key: str, function: lambda_.Function) -> None:
        """Grants and environment of PROVIDER_ACCESS[key]; nothing for a function not listed there."""
        grant = PROVIDER_ACCESS.get(key)
        if grant is None:
            return
        role = function.role
        for provider in grant.secrets:
            role.add_to_principal_policy(iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue"], resources=[self.secrets[provider].secret_arn]))
        if grant.schedules:
            function.node.add_dependency(self.schedule_group)   # its name is a literal, not a Ref
            role.add_to_principal_policy(iam.PolicyStatement(
                actions=list(grant.iam_schedule_actions), resources=[self.schedule_arns]))
            acknowledge(role, f"AwsSolutions-IAM5[Resource::{schedule_arns_finding(self)}]",
                        "Schedule names are made per session at run time; the grant covers the schedules of "
                        "the stack's hangup group only.")
        if grant.passes_role:
            role.add_to_principal_policy(iam.PolicyStatement(
                actions=["iam:PassRole"], resources=[self.scheduler_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": SCHEDULER_PRINCIPAL}}))
        for field, value in self._values(grant).items():
            function.add_environment(ENV_NAMES[field], value)

    def _values(self, grant: ProviderGrant) -> dict[str, str]:
        known = {
            **{f"{provider}_secret_name": secret.secret_arn for provider, secret in self.secrets.items()},
            "hangup_schedule_group": self.schedule_group.schedule_group_name,
            "hangup_target_arn": self.hangup.function_arn,
            "hangup_role_arn": self.scheduler_role.role_arn,
            "hangup_dead_letter_arn": self.dead_letters.queue_arn,
        }
        return {field: known[field] if field in known else str(getattr(self.settings, field))
                for field in grant.config_fields}


def schedule_arns_finding(providers: ProviderAccess) -> str:
    """The schedule ARN pattern as cdk-nag writes it in an IAM5 finding id."""
    group = providers.group_name
    return f"arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/{group}/*"

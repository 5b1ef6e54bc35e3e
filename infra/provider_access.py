"""Least privilege as data, beyond DynamoDB (infra/access.py): per function, the provider keys
it reads from Secrets Manager, the EventBridge Scheduler actions it takes on the hangup
schedules, and the provider settings it is told. infra/constructs/providers.py turns this into
each role's policy and environment; tests/infra/test_infra_provider_grants.py checks the
synthesized policies against it exactly.

How a call maps to IAM (the services' authorization references):
- Powertools `parameters.get_secret(name)` is secretsmanager:GetSecretValue on the secret's
  ARN. The secrets use the account's aws/secretsmanager key, so no kms:Decrypt grant.
- scheduler:CreateSchedule/UpdateSchedule/DeleteSchedule are authorized on the
  schedule's ARN, `schedule/<group>/<name>`. The schedule names are made per session at run
  time, so the grant is `schedule/<the hangup group>/*`, that group only.
- Creating or updating a schedule hands Scheduler its execution role: iam:PassRole on exactly
  that role, only to scheduler.amazonaws.com (condition iam:PassedToService).

A function not listed gets none of these.
"""
from __future__ import annotations

from dataclasses import dataclass

SCHEDULE_ACTIONS = ("CreateSchedule", "UpdateSchedule", "DeleteSchedule")  # what providers/schedules.py calls
# The actions whose request names the execution role (Target.RoleArn): they need iam:PassRole.
PASSES_ROLE = frozenset({"CreateSchedule", "UpdateSchedule"})
# speakpho.config fields of what a schedule's target is (told to whoever creates schedules).
SCHEDULE_TARGET_SETTINGS = ("hangup_target_arn", "hangup_role_arn", "hangup_dead_letter_arn")


@dataclass(frozen=True)
class ProviderGrant:
    """`secrets`: providers (speakpho.models.PROVIDERS) whose key it reads; `schedules`: short
    scheduler actions on the hangup group's schedules; `settings`: further speakpho.config
    fields it reads (models, lease lengths); `dead_letters`: its failed asynchronous
    invocations go to the hangup dead-letter queue (sqs:SendMessage, granted by Lambda's DLQ)."""
    secrets: tuple[str, ...] = ()
    schedules: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()
    dead_letters: bool = False
    why: str = ""

    @property
    def iam_schedule_actions(self) -> tuple[str, ...]:
        return tuple(f"scheduler:{action}" for action in self.schedules)

    @property
    def passes_role(self) -> bool:
        return bool(PASSES_ROLE & set(self.schedules))

    @property
    def config_fields(self) -> tuple[str, ...]:
        """The speakpho.config fields (so the environment variables, config.ENV_NAMES) it is given."""
        fields = [f"{provider}_secret_name" for provider in self.secrets]
        if self.secrets:
            fields.append("secret_max_age_seconds")
        if self.schedules:
            fields.append("hangup_schedule_group")
        if self.passes_role:
            fields.extend(SCHEDULE_TARGET_SETTINGS)
        return tuple(fields) + tuple(f for f in self.settings if f not in fields)


PROVIDER_ACCESS: dict[str, ProviderGrant] = {
    "session": ProviderGrant(
        secrets=("gemini", "openai"), schedules=SCHEDULE_ACTIONS,
        settings=("gemini_model", "openai_model", "lease_max_seconds", "lease_grace_seconds"),
        why="start mints a Gemini token or creates an OpenAI call with the provider's key; it creates "
            "(or moves) the call's hangup schedule, reads it back, and end or a switch deletes it"),
    "sweeper": ProviderGrant(
        secrets=("openai",), schedules=("DeleteSchedule",),
        why="closing a stale session hangs up its OpenAI call and deletes the call's hangup schedule"),
    "hangup": ProviderGrant(
        secrets=("openai",), dead_letters=True,
        why="the schedules' target: hangs up the OpenAI call with the OpenAI key; it takes no scheduler "
            "action itself"),
}

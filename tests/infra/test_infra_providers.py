"""Provider access in the stack: the two key secrets (no key in the template), the hangup
schedule group, the dead-letter queue and its alarm, the hangup function, and the provider
settings each function is told (the grants: test_infra_provider_grants.py)."""
from __future__ import annotations

import pytest

from infra.catalog import HANGUP, ensure_import_paths
from infra.constructs.functions import function_specs
from infra.provider_access import PROVIDER_ACCESS, ProviderGrant
from infra.settings import StackSettings
from infra_helpers import refs

ensure_import_paths()
from speakpho.config import ENV_NAMES  # noqa: E402
from speakpho.models import PROVIDERS  # noqa: E402
from speakpho.providers.keys import parse_secret  # noqa: E402

KEYS = [spec.key for spec in function_specs()]
PROVIDER_ENV = {ENV_NAMES[f] for grant in PROVIDER_ACCESS.values() for f in grant.config_fields}


def props_of(synth, construct) -> dict:
    return synth.resources[synth.logical_id(construct)]["Properties"]


def env_of(synth, key: str) -> dict:
    return props_of(synth, synth.stack.functions.functions[key])["Environment"]["Variables"]


def test_one_secret_per_provider_holding_no_key(synth):
    secrets = synth.of_type("AWS::SecretsManager::Secret")
    assert set(secrets) == {synth.logical_id(s) for s in synth.stack.providers.secrets.values()}
    assert sorted(synth.stack.providers.secrets) == sorted(PROVIDERS)
    for provider, secret in synth.stack.providers.secrets.items():
        resource = synth.resources[synth.logical_id(secret)]
        props = resource["Properties"]
        assert props["Name"] == f"SpeakPho/{provider}-api-key"
        assert parse_secret(props["SecretString"]) is None       # the app reads it as "no key set"
        assert props["SecretString"] == '{"apiKey": ""}'
        assert "GenerateSecretString" not in props                # a generated value would read as a key
        assert "KmsKeyId" not in props                            # the aws/secretsmanager key
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"
    assert not synth.of_type("AWS::SecretsManager::RotationSchedule")


def test_the_hangup_schedule_group(synth):
    groups = synth.of_type("AWS::Scheduler::ScheduleGroup")
    assert list(groups) == [synth.logical_id(synth.stack.providers.schedule_group)]
    assert next(iter(groups.values()))["Properties"]["Name"] == "SpeakPho-hangups"
    assert not synth.of_type("AWS::Scheduler::Schedule")       # schedules are made at run time


def test_the_dead_letter_queue_keeps_two_weeks_encrypted_and_ssl_only(synth):
    queue = synth.logical_id(synth.stack.providers.dead_letters)
    props = synth.resources[queue]["Properties"]
    assert props["SqsManagedSseEnabled"] is True
    assert props["MessageRetentionPeriod"] == 14 * 24 * 3600
    policies = [p["Properties"] for p in synth.of_type("AWS::SQS::QueuePolicy").values()
                if refs(p["Properties"]["Queues"]) == {queue}]
    assert len(policies) == 1
    statement = policies[0]["PolicyDocument"]["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_dead_letters_alarm(synth):
    props = props_of(synth, synth.stack.monitoring.alarms["HangupDeadLetters"])
    assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert refs(props["Dimensions"]) == {synth.logical_id(synth.stack.providers.dead_letters)}
    assert props["Threshold"] == 1 and props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_the_hangup_function(synth):
    hangup = synth.stack.functions.hangup
    props = props_of(synth, hangup)
    assert props["Handler"] == HANGUP.handler == "session.hangup.lambda_handler"
    assert "SnapStart" not in props
    queue = synth.logical_id(synth.stack.providers.dead_letters)
    assert props["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [queue, "Arn"]}}
    configs = [c["Properties"] for c in synth.of_type("AWS::Lambda::EventInvokeConfig").values()
               if c["Properties"]["FunctionName"] == {"Ref": synth.logical_id(hangup)}]
    assert configs == [{"FunctionName": {"Ref": synth.logical_id(hangup)}, "MaximumEventAgeInSeconds": 3600,
                        "MaximumRetryAttempts": 2, "Qualifier": "$LATEST"}]


@pytest.mark.parametrize("key", KEYS)
def test_each_function_is_told_exactly_its_provider_settings(synth, key):
    env = env_of(synth, key)
    grant = PROVIDER_ACCESS.get(key, ProviderGrant())
    assert {k for k in env if k in PROVIDER_ENV} == {ENV_NAMES[f] for f in grant.config_fields}


@pytest.mark.parametrize("key", sorted(PROVIDER_ACCESS))
def test_provider_settings_name_the_stacks_resources(synth, key):
    env, stack, providers = env_of(synth, key), synth.stack, synth.stack.providers
    for provider in PROVIDER_ACCESS[key].secrets:   # the secret's ARN (its Ref)
        assert env[f"{provider.upper()}_SECRET_NAME"] == {"Ref": synth.logical_id(providers.secrets[provider])}
    expected = {
        "SECRET_MAX_AGE_SECONDS": str(stack.settings.secret_max_age_seconds),
        "HANGUP_SCHEDULE_GROUP": "SpeakPho-hangups",
        "HANGUP_TARGET_ARN": {"Fn::GetAtt": [synth.logical_id(stack.functions.hangup), "Arn"]},
        "HANGUP_ROLE_ARN": {"Fn::GetAtt": [synth.logical_id(providers.scheduler_role), "Arn"]},
        "HANGUP_DEAD_LETTER_ARN": {"Fn::GetAtt": [synth.logical_id(providers.dead_letters), "Arn"]},
        "GEMINI_MODEL": stack.settings.gemini_model, "OPENAI_MODEL": stack.settings.openai_model,
        "LEASE_MAX_SECONDS": "600", "LEASE_GRACE_SECONDS": "30",
    }
    for name, value in expected.items():
        if name in env:
            assert env[name] == value, name
    if PROVIDER_ACCESS[key].schedules:   # deployed after the group its schedules go to
        function = synth.resources[synth.logical_id(stack.functions.functions[key])]
        assert synth.logical_id(providers.schedule_group) in function["DependsOn"]


def test_session_settings_in_full(synth):
    assert {k for k in env_of(synth, "session") if k in PROVIDER_ENV} == {
        "GEMINI_SECRET_NAME", "OPENAI_SECRET_NAME", "SECRET_MAX_AGE_SECONDS", "GEMINI_MODEL", "OPENAI_MODEL",
        "LEASE_MAX_SECONDS", "LEASE_GRACE_SECONDS", "HANGUP_SCHEDULE_GROUP", "HANGUP_TARGET_ARN",
        "HANGUP_ROLE_ARN", "HANGUP_DEAD_LETTER_ARN"}
    assert {k for k in env_of(synth, "hangup") if k in PROVIDER_ENV} == {"OPENAI_SECRET_NAME", "SECRET_MAX_AGE_SECONDS"}


def test_provider_settings_come_from_context_within_the_apps_bounds():
    from aws_cdk import App

    settings = StackSettings.from_context(App(context={"secretMaxAgeSeconds": "60", "openaiModel": "gpt-realtime-mini"}))
    assert (settings.secret_max_age_seconds, settings.openai_model) == (60, "gpt-realtime-mini")
    assert StackSettings().lease_max_seconds == 600         # speakpho.config's default
    for context, field in (({"leaseMaxSeconds": "30"}, "lease_max_seconds"),
                           ({"leaseGraceSeconds": "900"}, "lease_grace_seconds"),
                           ({"secretMaxAgeSeconds": "-1"}, "secret_max_age_seconds")):
        with pytest.raises(ValueError, match=f"app settings out of range(.|\n)*{field}"):
            StackSettings.from_context(App(context=context))

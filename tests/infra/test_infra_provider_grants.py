"""Least privilege beyond DynamoDB: each function's role reads exactly the provider secrets,
takes exactly the scheduler actions and passes exactly the role that infra/provider_access.py
declares, and nothing else (every statement of every function role is accounted for)."""
from __future__ import annotations

import pytest

from infra.catalog import ensure_import_paths
from infra.constructs.functions import function_specs
from infra.provider_access import PROVIDER_ACCESS, SCHEDULE_ACTIONS, ProviderGrant
from infra_helpers import as_list, refs, role_statements

ensure_import_paths()
from speakpho.config import ENV_NAMES, Settings  # noqa: E402
from speakpho.models import PROVIDERS  # noqa: E402

KEYS = [spec.key for spec in function_specs()]
XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}


def grant_of(key: str) -> ProviderGrant:
    return PROVIDER_ACCESS.get(key, ProviderGrant())


def statements(synth, key: str) -> list[dict]:
    return role_statements(synth, synth.stack.functions.functions[key].role)


def with_prefix(synth, key: str, prefix: str) -> list[dict]:
    return [s for s in statements(synth, key) if any(a.startswith(prefix) for a in as_list(s["Action"]))]


def schedule_arns() -> dict:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":scheduler:", {"Ref": "AWS::Region"}, ":",
                              {"Ref": "AWS::AccountId"}, ":schedule/SpeakPho-hangups/*"]]}


def test_the_data_names_real_functions_providers_actions_and_settings():
    assert set(PROVIDER_ACCESS) <= set(KEYS)
    for key, grant in PROVIDER_ACCESS.items():
        assert set(grant.secrets) <= set(PROVIDERS), key
        assert set(grant.schedules) <= set(SCHEDULE_ACTIONS), key
        assert set(grant.config_fields) <= set(ENV_NAMES) & set(Settings.model_fields), key
        assert len(grant.why.split()) >= 6, f"{key}: say which code makes these calls"


@pytest.mark.parametrize("grant,fields", [
    (ProviderGrant(), ()),
    (ProviderGrant(secrets=("openai",)), ("openai_secret_name", "secret_max_age_seconds")),
    (ProviderGrant(schedules=("DeleteSchedule",)), ("hangup_schedule_group",)),
    (ProviderGrant(schedules=("CreateSchedule",)),
     ("hangup_schedule_group", "hangup_target_arn", "hangup_role_arn", "hangup_dead_letter_arn")),
    (ProviderGrant(secrets=("gemini",), settings=("gemini_model", "secret_max_age_seconds")),
     ("gemini_secret_name", "secret_max_age_seconds", "gemini_model")),
])
def test_config_fields_follow_the_grants(grant, fields):
    assert grant.config_fields == fields


@pytest.mark.parametrize("schedules,passes", [
    ((), False), (("DeleteSchedule",), False), (("GetSchedule", "DeleteSchedule"), False),
    (("CreateSchedule",), True), (("UpdateSchedule",), True), (SCHEDULE_ACTIONS, True),
])
def test_only_creating_or_updating_a_schedule_passes_the_role(schedules, passes):
    assert ProviderGrant(schedules=schedules).passes_role is passes


def test_the_grants_as_the_brief_states_them():
    assert {k: set(grant_of(k).secrets) for k in KEYS} == {
        "session": {"gemini", "openai"}, "sweeper": {"openai"}, "hangup": {"openai"},
        "learning": set(), "admin": set(), "rollups": set(), "optimizer": set(),
        "erasure": set(), "signup": set(), "mistakes": set(), "conversation": set()}
    assert {k: set(grant_of(k).schedules) for k in KEYS if grant_of(k).schedules} == {
        "session": set(SCHEDULE_ACTIONS), "sweeper": {"DeleteSchedule"}}
    assert [k for k in KEYS if grant_of(k).passes_role] == ["session"]


@pytest.mark.parametrize("key", KEYS)
def test_role_reads_exactly_the_declared_secrets(synth, key):
    secret_ids = {synth.logical_id(secret): provider for provider, secret in synth.stack.providers.secrets.items()}
    read = set()
    for statement in with_prefix(synth, key, "secretsmanager:"):
        assert as_list(statement["Action"]) == ["secretsmanager:GetSecretValue"], statement
        assert statement["Effect"] == "Allow" and "Condition" not in statement, statement
        for resource in as_list(statement["Resource"]):
            assert set(resource) == {"Ref"}, resource          # the secret's ARN, never a pattern
            read.add(secret_ids[resource["Ref"]])
    assert read == set(grant_of(key).secrets)


@pytest.mark.parametrize("key", KEYS)
def test_role_takes_exactly_the_declared_scheduler_actions_on_the_group(synth, key):
    found = with_prefix(synth, key, "scheduler:")
    expected = set(grant_of(key).iam_schedule_actions)
    assert {a for s in found for a in as_list(s["Action"])} == expected
    for statement in found:
        assert statement["Resource"] == schedule_arns() and "Condition" not in statement, statement


@pytest.mark.parametrize("key", KEYS)
def test_role_passes_only_the_scheduler_role_only_to_scheduler(synth, key):
    found = with_prefix(synth, key, "iam:")
    if not grant_of(key).passes_role:
        assert found == []
        return
    role = synth.logical_id(synth.stack.providers.scheduler_role)
    assert found == [{"Action": "iam:PassRole", "Effect": "Allow", "Resource": {"Fn::GetAtt": [role, "Arn"]},
                      "Condition": {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}}]


STREAM_READERS = ("rollups", "mistakes", "conversation")   # a DynamoDB stream's mapping grants ListStreams on *


@pytest.mark.parametrize("key", KEYS)
def test_every_statement_of_a_function_role_is_accounted_for(synth, key):
    """Logs to its own group, X-Ray, DynamoDB (test_infra_grants.py), the provider grants above,
    the hangup function's dead letters, the rollups' failure queue and the sign-up trigger's Cognito
    actions on the learner pool (test_infra_signup.py); nothing else, no other wildcard."""
    log_group = synth.logical_id(synth.stack.functions.log_groups[key])
    dead_letters = synth.logical_id(synth.stack.providers.dead_letters)
    for statement in statements(synth, key):
        actions = set(as_list(statement["Action"]))
        if statement["Resource"] == "*":   # actions without resource-level permissions
            assert actions - XRAY <= ({"dynamodb:ListStreams"} if key in STREAM_READERS else set()), statement
        elif actions <= LOGS:
            assert refs(statement["Resource"]) == {log_group}
        elif actions == {"sqs:SendMessage"}:
            assert grant_of(key).dead_letters and refs(statement["Resource"]) == {dead_letters}, statement
        elif {a.split(":")[0] for a in actions} == {"cognito-idp"}:
            assert key == "signup" and refs(statement["Resource"]) == {synth.logical_id(synth.stack.auth.user_pool)}
        elif key == "rollups" and {a.split(":")[0] for a in actions} == {"sqs"}:   # its stream's on-failure queue
            assert refs(statement["Resource"]) == {synth.logical_id(synth.stack.functions.rollups_failures)}
        elif key == "mistakes" and {a.split(":")[0] for a in actions} == {"sqs"}:   # its stream's on-failure queue
            assert refs(statement["Resource"]) == {synth.logical_id(synth.stack.mistakes.failures)}
        elif key == "conversation" and {a.split(":")[0] for a in actions} == {"sqs"}:   # likewise
            assert refs(statement["Resource"]) == {synth.logical_id(synth.stack.conversation.failures)}
        elif key in ("learning", "erasure") and {a.split(":")[0] for a in actions} == {"sqs"}:
            # the erasure jobs' queue: the route sends, the worker re-enqueues and consumes
            assert refs(statement["Resource"]) == {synth.logical_id(synth.stack.erasure_jobs.queue)}, statement
        else:
            prefixes = {a.split(":")[0] for a in actions}
            assert len(prefixes) == 1 and prefixes <= {"dynamodb", "secretsmanager", "scheduler", "iam"}, statement
            assert "*" not in str(statement["Resource"]) or prefixes == {"scheduler"}, statement


def test_scheduler_role_trusts_scheduler_of_this_account_and_may_only_invoke_the_hangup(synth):
    providers = synth.stack.providers
    role = synth.resources[synth.logical_id(providers.scheduler_role)]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [{
        "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"},
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]
    assert "ManagedPolicyArns" not in role
    hangup = synth.logical_id(synth.stack.functions.hangup)
    queue = synth.logical_id(providers.dead_letters)
    allowed = sorted((s["Action"], str(s["Resource"])) for s in role_statements(synth, providers.scheduler_role))
    assert allowed == sorted([("lambda:InvokeFunction", str({"Fn::GetAtt": [hangup, "Arn"]})),
                              ("sqs:SendMessage", str({"Fn::GetAtt": [queue, "Arn"]}))])
    # Scheduler uses the role, not a resource policy: no Lambda permission for scheduler.
    assert not [p for p in synth.of_type("AWS::Lambda::Permission").values()
                if p["Properties"]["Principal"] == "scheduler.amazonaws.com"]


def test_the_deploy_guide_lists_exactly_these_provider_grants():
    """docs/deploy.md, "Provider grants": one row per function of PROVIDER_ACCESS, its secrets and scheduler actions."""
    from pathlib import Path

    documented = {}
    for line in (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].strip("`") in PROVIDER_ACCESS and cells[0].startswith("`"):
            documented[cells[0].strip("`")] = tuple(
                tuple(a.strip() for a in cell.split(",") if a.strip() != "-") for cell in cells[1:3])
    assert documented == {key: (grant.secrets, grant.schedules) for key, grant in PROVIDER_ACCESS.items()}

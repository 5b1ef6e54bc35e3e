"""The Lambdas: one per API area (infra.catalog.AREAS), the stale-session sweeper, the
sessions-stream rollups processor, the hangup function (the Scheduler's target) and the FSRS
optimiser (run by its EventBridge schedule). Each gets its own role with exactly the DynamoDB actions
its code calls, on the tables and indexes it uses (infra/access.py), and its own log group."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jsii
from aws_cdk import Annotations, AssetHashType, BundlingOptions, DockerImage, Duration, ILocalBundling, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import layer_build, runtime
from infra.access import ACCESS, Access
from infra.catalog import (AREAS, CONVERSATION, ERASURE_WORKER, FUNCTIONS_PATH, HANGUP, MISTAKES, OPTIMIZER,
                           ROLLUPS, SIGNUP, SWEEPER, Area)
from infra.constructs.layer import ARCHITECTURE, RUNTIME
from infra.constructs.stream_consumer import StreamConsumer
from infra.constructs.tables import DataTables
from infra.nag import acknowledge
from infra.settings import StackSettings

METRICS_NAMESPACE = "SpeakPho"
SNAP_START = frozenset({"session", "learning"})  # the functions a learner waits on


# Log retention by function; the others keep one month. The admin function's structured
# records are the audit trail of admin reads (docs/deploy.md), kept for a year.
LOG_RETENTION: dict[str, logs.RetentionDays] = {"admin": logs.RetentionDays.ONE_YEAR}
DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
# Log groups that outlive the stack, like the tables: `cdk destroy` must not erase the audit trail.
RETAINED_LOGS = frozenset({"admin"})


@dataclass(frozen=True)
class FunctionSpec:
    key: str            # construct id prefix, ACCESS key and Powertools service name
    area: Area
    memory: int
    timeout: Duration
    http: bool


def function_specs() -> tuple[FunctionSpec, ...]:
    http = tuple(FunctionSpec(a.name, a, 1024, Duration.seconds(20), True) for a in AREAS)
    return http + (
        FunctionSpec("sweeper", SWEEPER, 512, Duration.seconds(60), False),
        FunctionSpec("rollups", ROLLUPS, 512, Duration.seconds(60), False),
        FunctionSpec("hangup", HANGUP, 512, Duration.seconds(30), False),
        # fsrs-rs is CPU-bound: one full vCPU (1769 MB); a learner takes ~30-70 ms of it and a
        # run does at most optimizer.LEARNERS_PER_RUN learners.
        FunctionSpec("optimizer", OPTIMIZER, 1769, Duration.minutes(5), False),
        # A run works until 20 s before its timeout, then re-enqueues the job (learning/erasure_worker.py).
        FunctionSpec("erasure", ERASURE_WORKER, 512, Duration.minutes(2), False),
        # The sessions stream's transcripts: reviews the corrections said (learning/conversation.py);
        # its trigger is infra/constructs/conversation.py.
        FunctionSpec("conversation", CONVERSATION, 512, Duration.seconds(60), False),
        # The corrections stream to the common-mistakes rollups; its trigger is built in infra/stack.py.
        FunctionSpec("mistakes", MISTAKES, 512, Duration.seconds(60), False),
        # Cognito waits 5 s for a trigger, then fails the sign-up.
        FunctionSpec("signup", SIGNUP, 512, Duration.seconds(5), False),
    )


@jsii.implements(ILocalBundling)
class LocalAreaBundling:
    """Copies one area's code and compiles it (infra/bytecode.py); True tells CDK not to try Docker."""

    def __init__(self, area: str) -> None:
        self.area = area

    def try_bundle(self, output_dir: str, options=None) -> bool:  # noqa: ARG002 - jsii passes the options struct
        layer_build.assemble_area(Path(output_dir), self.area, FUNCTIONS_PATH)
        return True


class Functions(Construct):
    """`by_area` maps each HTTP area to its function; `sweeper`, `rollups` and `hangup` are the others.
    `hangup_dead_letters` receives the hangup function's failed asynchronous invocations."""

    def __init__(self, scope: Construct, construct_id: str, *, tables: DataTables, layer: lambda_.ILayerVersion,
                 settings: StackSettings, web_origin: str, admin_issuer: str,
                 hangup_dead_letters: sqs.IQueue) -> None:
        super().__init__(scope, construct_id)
        self.admin_issuer = admin_issuer
        self.hangup_dead_letters = hangup_dead_letters
        self._code: dict[str, lambda_.Code] = {}
        self.functions: dict[str, lambda_.Function] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        for spec in function_specs():
            self.functions[spec.key] = self._function(spec, tables, layer, settings, web_origin)
        # Learners wait on the session and learning functions: they run with SnapStart, so a new
        # container resumes from a snapshot taken after its imports and client set-up (each
        # handler warms them before the snapshot, speakpho.snapstart). SnapStart serves published
        # versions only, so API Gateway calls the `live` alias of the current version.
        self.aliases: dict[str, lambda_.Alias] = {}
        for key in sorted(SNAP_START):
            self.aliases[key] = lambda_.Alias(self, f"{key.capitalize()}Live", alias_name="live",
                                              version=self.functions[key].current_version)
            Annotations.of(self.functions[key]).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish", "published as a version behind the `live` alias")
        self.session_alias = self.aliases["session"]
        self.by_area: dict[str, lambda_.IFunction] = {a.name: self.aliases.get(a.name, self.functions[a.name])
                                                      for a in AREAS}
        self.sweeper = self.functions["sweeper"]
        self.rollups = self.functions["rollups"]
        self.hangup = self.functions["hangup"]
        self.optimizer = self.functions["optimizer"]
        self.signup = self.functions["signup"]
        self.erasure = self.functions["erasure"]
        self.mistakes = self.functions["mistakes"]
        self.conversation = self.functions["conversation"]

        # The sessions stream to the rollups (infra/constructs/stream_consumer.py: its mapping settings).
        self.rollups_stream = StreamConsumer(self, "RollupsStream", consumer=self.rollups, table=tables["sessions"],
                                             what="rollups")
        self.rollups_failures = self.rollups_stream.failures

    def _asset(self, area: str) -> lambda_.Code:
        """functions/<area> alone, with its bytecode (handler paths are relative to functions/)."""
        if area not in self._code:
            self._code[area] = lambda_.Code.from_asset(
                str(FUNCTIONS_PATH / area),
                asset_hash_type=AssetHashType.CUSTOM,
                asset_hash=layer_build.area_hash(area, FUNCTIONS_PATH),
                bundling=BundlingOptions(
                    # Never pulled: the local bundler always succeeds or raises.
                    image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.12"),
                    local=LocalAreaBundling(area),
                ),
            )
        return self._code[area]

    def _function(self, spec: FunctionSpec, tables: DataTables, layer: lambda_.ILayerVersion,
                  settings: StackSettings, web_origin: str) -> lambda_.Function:
        name = spec.key.capitalize()
        access = ACCESS[spec.key]
        log_group = logs.LogGroup(self, f"{name}Logs", retention=LOG_RETENTION.get(spec.key, DEFAULT_LOG_RETENTION),
                                  removal_policy=RemovalPolicy.RETAIN if spec.key in RETAINED_LOGS
                                  else RemovalPolicy.DESTROY)
        # Own role, no managed policy: logs to its own group, tables as in ACCESS, X-Ray added by tracing.
        role = iam.Role(self, f"{name}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"{spec.area.description} ({spec.key})")
        log_group.grant_write(role)
        environment = {
            "POWERTOOLS_SERVICE_NAME": spec.key,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "LOG_LEVEL": settings.log_level,
            **settings.timing_environment(),   # HEARTBEAT_INTERVAL_SECONDS, STALE_AFTER_SECONDS, SWEEP_BUCKET_SECONDS
            "PLAN_MINUTES": settings.plan_minutes,
            "STARTS_PER_HOUR": str(settings.starts_per_hour),
            "SESSIONS_PER_DAY": str(settings.sessions_per_day),
            "IMPORTED_CORRECTIONS_LIMIT": str(settings.imported_corrections_limit),
            "TRANSCRIPT_RETENTION_DAYS": str(settings.transcript_retention_days),
            "CORRECTIONS_LIMIT": str(settings.corrections_limit),
            **runtime.INTERPRETER_ENVIRONMENT,
            **tables.env(*access.tables),
        }
        if spec.http:
            environment["CORS_ALLOW_ORIGIN"] = web_origin
            # speakpho.auth.require_admin: admin routes take only the admin pool's tokens.
            environment["ADMIN_TOKEN_ISSUER"] = self.admin_issuer
        function = lambda_.Function(
            self, f"{name}Function",
            description=spec.area.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.area.handler,
            code=self._asset(spec.area.name),
            layers=[layer],
            role=role,
            log_group=log_group,
            memory_size=spec.memory,
            timeout=spec.timeout,
            tracing=lambda_.Tracing.ACTIVE,
            environment=environment,
            **_async_delivery(spec.key, self.hangup_dead_letters),
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if spec.key in SNAP_START else None,
        )
        _grant_tables(role, tables, access)
        self.log_groups[spec.key] = log_group
        _acknowledge_function(function, role)
        return function


def _async_delivery(key: str, hangup_dead_letters: sqs.IQueue) -> dict:
    """How Lambda retries an asynchronous invocation. The sweeper runs again in minutes: a failed
    run is not worth a retry. Scheduler hands the hangup event to Lambda asynchronously: two
    retries (a hangup is idempotent, a call already over counts as done), none after an hour
    (OpenAI ends a call at 60 minutes anyway), then the event goes to the hangup dead-letter
    queue beside Scheduler's own. The others keep Lambda's defaults."""
    if key == "signup":   # Cognito invokes it synchronously: no asynchronous delivery to tune
        return {}
    if key in ("sweeper", "optimizer"):   # both run again minutes later; a flagged learner stays flagged
        return {"retry_attempts": 0}
    if key == "hangup":
        return {"retry_attempts": 2, "max_event_age": Duration.hours(1), "dead_letter_queue": hangup_dead_letters}
    return {}


def _grant_tables(role: iam.Role, tables: DataTables, access: Access) -> None:
    """One statement per table (its actions on the table ARN) and one per table with indexes
    (dynamodb:Query on each named index ARN)."""
    for table_name, grant in access.grants.items():
        table_arn = tables[table_name].table_arn
        if grant.actions:
            role.add_to_principal_policy(iam.PolicyStatement(actions=list(grant.iam_actions), resources=[table_arn]))
        if grant.indexes:
            known = {index.name for index in tables.specs[table_name].indexes}
            unknown = sorted(set(grant.indexes) - known)
            if unknown:
                raise ValueError(f"infra/access.py: {table_name} has no index {unknown}")
            # During a migration, also the retired index each replaces while the step deploys it.
            queried = [name for index in grant.indexes for name in tables.granted_indexes(table_name, index)]
            role.add_to_principal_policy(iam.PolicyStatement(
                actions=["dynamodb:Query"], resources=[f"{table_arn}/index/{index}" for index in queried]))


def _acknowledge_function(function: lambda_.Function, role: iam.Role) -> None:
    acknowledge(function, "AwsSolutions-L1",
                "python3.12 is pinned to the runtime the common layer's compiled wheels are built for "
                "(pydantic-core cp312 manylinux); the runtime moves together with infra/layer_build.py.")
    acknowledge(role, "AwsSolutions-IAM5[Resource::*]",
                "Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no "
                "resource-level permissions.")

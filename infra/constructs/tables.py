"""DynamoDB tables, built from speakpho.tables (the one definition of keys and indexes).

While a migration runs (docs/migrations.md), `-c indexStep=FILE` deploys the indexes of that step
(migrations/steps.py) and points the readers of a replaced index at its predecessor; without it,
every table gets its final indexes, as a fresh stack does."""
from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.catalog import ensure_import_paths

ensure_import_paths()
from migrations import steps  # noqa: E402
from speakpho.table_env import RETIRED_READS_VARIABLE  # noqa: E402
from speakpho.tables import TABLES, Key, TableSpec  # noqa: E402

# Rebuildable or short-lived data: removed with the stack. Everything else is kept.
EPHEMERAL = frozenset({"idempotency"})

_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER,
          "B": dynamodb.AttributeType.BINARY}


def _attribute(key: Key | None) -> dynamodb.Attribute | None:
    return dynamodb.Attribute(name=key.name, type=_TYPES[key.type]) if key else None


class DataTables(Construct):
    """Every table of speakpho.tables.TABLES; `env` maps each spec.env_name to its deployed name."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        step_file = self.node.try_get_context("indexStep")
        self.step = steps.load(step_file) if step_file else steps.FINAL
        self.specs: dict[str, TableSpec] = {spec.logical_name: spec for spec in TABLES}
        self.tables: dict[str, dynamodb.Table] = {}
        for spec in TABLES:
            self.tables[spec.logical_name] = self._table(spec)

    def _table(self, spec: TableSpec) -> dynamodb.Table:
        keep = spec.logical_name not in EPHEMERAL
        table = dynamodb.Table(
            self, _construct_id(spec.logical_name),
            partition_key=_attribute(spec.partition_key),
            sort_key=_attribute(spec.sort_key),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if spec.stream else None,
            time_to_live_attribute=spec.ttl_attribute,
            removal_policy=RemovalPolicy.RETAIN if keep else RemovalPolicy.DESTROY,
            deletion_protection=keep,
        )
        for index in self.step.indexes(spec):
            projected = index.projected
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_attribute(index.partition_key),
                sort_key=_attribute(index.sort_key),
                projection_type=(dynamodb.ProjectionType.ALL if projected is None
                                 else dynamodb.ProjectionType.KEYS_ONLY if not projected
                                 else dynamodb.ProjectionType.INCLUDE),
                non_key_attributes=list(projected) if projected else None,
            )
        return table

    def __getitem__(self, logical_name: str) -> dynamodb.Table:
        return self.tables[logical_name]

    def env(self, *logical_names: str) -> dict[str, str]:
        """Environment variables naming the given tables (what speakpho.config reads), and the
        retired indexes of theirs that readers query in this step (speakpho.table_env)."""
        env = {self.specs[name].env_name: self.tables[name].table_name for name in logical_names}
        reads = self.step.reads_variable(self.specs[name] for name in logical_names)
        if reads:
            env[RETIRED_READS_VARIABLE] = reads
        return env

    def granted_indexes(self, logical_name: str, index_name: str) -> tuple[str, ...]:
        """The indexes a role reading `index_name` is granted in this step (itself, and the retired
        index it replaces while the step deploys that one: migrations.steps.IndexStep.granted)."""
        return self.step.granted(self.specs[logical_name], index_name)


def _construct_id(logical_name: str) -> str:
    return "".join(part.capitalize() for part in logical_name.split("_")) + "Table"

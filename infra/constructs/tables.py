"""DynamoDB tables, built from speakpho.tables (the one definition of keys and indexes)."""
from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.catalog import ensure_import_paths

ensure_import_paths()
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
        for index in spec.indexes:
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
        """Environment variables naming the given tables (what speakpho.config reads)."""
        return {self.specs[name].env_name: self.tables[name].table_name for name in logical_names}


def _construct_id(logical_name: str) -> str:
    return "".join(part.capitalize() for part in logical_name.split("_")) + "Table"

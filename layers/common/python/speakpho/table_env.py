"""Which deployed table each logical table (speakpho.tables) is, from the environment.

The stack sets each table's variable (TableSpec.env_name) to the deployed name. Outside
Lambda (tests, `make dev`, the bench) a missing variable means the local table of the
logical name. In Lambda it never does: a function names the tables it uses with
`require_tables` at init, and a missing variable fails the init with a message naming it.

No pydantic here: the stream processor's init needs this and nothing of the settings.
"""
from __future__ import annotations

import os

from speakpho.tables import TABLES

LAMBDA_MARKER = "AWS_LAMBDA_FUNCTION_NAME"
# The retired indexes (TableSpec.retired) the readers still query, each instead of the index that
# replaces it, comma-separated: set by the stack from the deployed migration step while a
# replacement is not yet built and backfilled (docs/migrations.md, "The switch"). Unset: none.
RETIRED_READS_VARIABLE = "READ_RETIRED_INDEXES"


class MissingTableVariable(RuntimeError):
    """A table this code needs has no environment variable in this Lambda."""


def in_lambda() -> bool:
    return bool(os.environ.get(LAMBDA_MARKER))


def missing_table(logical_name: str) -> MissingTableVariable:
    env = next((s.env_name for s in TABLES if s.logical_name == logical_name), None)
    if env is None:
        return MissingTableVariable(f"no table called {logical_name!r} in speakpho.tables")
    return MissingTableVariable(f"{env} is not set: this function has no {logical_name} table configured")


def table_names_from_env() -> dict[str, str]:
    names = {}
    for spec in TABLES:
        value = os.environ.get(spec.env_name)
        if value:
            names[spec.logical_name] = value
        elif not in_lambda():
            names[spec.logical_name] = spec.logical_name
    return names


def require_tables(*logical_names: str) -> None:
    """Fails a Lambda's init when one of the tables it uses has no variable (no-op elsewhere)."""
    if not in_lambda():
        return
    names = table_names_from_env()
    for logical_name in logical_names:
        if logical_name not in names:
            raise missing_table(logical_name)


def index_to_query(index_name: str) -> str:
    """The index a reader of `index_name` (one of TableSpec.indexes) queries where this code runs:
    the retired index it replaces while READ_RETIRED_INDEXES names that one, else itself. Read
    at each query (one variable, no cache), so a test or the migration's check can switch it."""
    reading = os.environ.get(RETIRED_READS_VARIABLE, "")
    if not reading:
        return index_name
    names = {name.strip() for name in reading.split(",")}
    for spec in TABLES:
        for retired in spec.retired:
            if retired.replaced_by == index_name and retired.name in names:
                return retired.name
    return index_name

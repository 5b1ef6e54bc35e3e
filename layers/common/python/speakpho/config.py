"""Settings, read from the environment when first needed (never at import).

Table names come from the environment variables that speakpho.tables names (TableSpec.env_name),
which the stack sets to the deployed names. Outside Lambda (tests, `make dev`, the bench) a
missing variable means the local table of the logical name. In Lambda it never does: a
function names the tables it uses with `require_tables` at init, and a missing variable
fails the init with a message naming it.
"""
from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field

from speakpho.tables import TABLES

LAMBDA_MARKER = "AWS_LAMBDA_FUNCTION_NAME"


class MissingTableVariable(RuntimeError):
    """A table this code needs has no environment variable in this Lambda."""


class Settings(BaseModel):
    model_config = {"defer_build": True}  # built when first read, not at import
    # logical table name (speakpho.tables) -> the table's name where this code runs
    table_names: dict[str, str] = Field(default_factory=dict)
    dynamodb_endpoint: str | None = None
    # Monthly voice allowance per plan, in minutes; users without a plan get the default.
    default_plan: str = "free"
    plan_minutes: dict[str, int] = Field(default_factory=lambda: {"free": 30, "pro": 600})
    stale_after_seconds: int = 120
    # How often clients send heartbeats: more than twice this with none is a heartbeat_gap.
    heartbeat_interval_seconds: int = 30
    idempotency_ttl_seconds: int = 3600

    def table(self, logical_name: str) -> str:
        try:
            return self.table_names[logical_name]
        except KeyError:
            raise _missing(logical_name) from None


ENV_NAMES = {
    "dynamodb_endpoint": "DYNAMODB_ENDPOINT",
    "default_plan": "DEFAULT_PLAN",
    "stale_after_seconds": "STALE_AFTER_SECONDS",
    "heartbeat_interval_seconds": "HEARTBEAT_INTERVAL_SECONDS",
    "idempotency_ttl_seconds": "IDEMPOTENCY_TTL_SECONDS",
}


def in_lambda() -> bool:
    return bool(os.environ.get(LAMBDA_MARKER))


def _missing(logical_name: str) -> MissingTableVariable:
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
            raise _missing(logical_name)


def _plan_minutes_from_env(raw: str) -> dict[str, int]:
    """PLAN_MINUTES looks like 'free=30,pro=600'."""
    plans: dict[str, int] = {}
    for part in raw.split(","):
        name, _, minutes = part.partition("=")
        if name.strip():
            plans[name.strip()] = int(minutes)
    return plans


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    values: dict[str, object] = {"table_names": table_names_from_env()}
    for field, env in ENV_NAMES.items():
        if os.environ.get(env):
            values[field] = os.environ[env]
    if os.environ.get("PLAN_MINUTES"):
        values["plan_minutes"] = _plan_minutes_from_env(os.environ["PLAN_MINUTES"])
    return Settings(**values)


def reset_settings() -> None:
    """Forget cached settings (tests and the local runner change the environment)."""
    get_settings.cache_clear()

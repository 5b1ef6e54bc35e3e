"""Settings, read from the environment when first needed (never at import)."""
from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    model_config = {"defer_build": True}  # built when first read, not at import
    usage_periods_table: str = "usage_periods"
    sessions_table: str = "sessions"
    session_messages_table: str = "session_messages"
    corrections_table: str = "corrections"
    session_rollups_table: str = "session_rollups"
    idempotency_table: str = "idempotency"
    dynamodb_endpoint: str | None = None
    # Monthly voice allowance per plan, in minutes; users without a plan get the default.
    default_plan: str = "free"
    plan_minutes: dict[str, int] = Field(default_factory=lambda: {"free": 30, "pro": 600})
    stale_after_seconds: int = 120
    idempotency_ttl_seconds: int = 3600


ENV_NAMES = {
    "usage_periods_table": "USAGE_PERIODS_TABLE",
    "sessions_table": "SESSIONS_TABLE",
    "session_messages_table": "SESSION_MESSAGES_TABLE",
    "corrections_table": "CORRECTIONS_TABLE",
    "session_rollups_table": "SESSION_ROLLUPS_TABLE",
    "idempotency_table": "IDEMPOTENCY_TABLE",
    "dynamodb_endpoint": "DYNAMODB_ENDPOINT",
    "default_plan": "DEFAULT_PLAN",
    "stale_after_seconds": "STALE_AFTER_SECONDS",
    "idempotency_ttl_seconds": "IDEMPOTENCY_TTL_SECONDS",
}


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
    values: dict[str, object] = {}
    for field, env in ENV_NAMES.items():
        if os.environ.get(env):
            values[field] = os.environ[env]
    if os.environ.get("PLAN_MINUTES"):
        values["plan_minutes"] = _plan_minutes_from_env(os.environ["PLAN_MINUTES"])
    return Settings(**values)


def reset_settings() -> None:
    """Forget cached settings (tests and the local runner change the environment)."""
    get_settings.cache_clear()

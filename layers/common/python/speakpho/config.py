"""Settings, read from the environment when first needed (never at import).

Table names come from speakpho.table_env (the variables speakpho.tables names); the rest
from the variables in ENV_NAMES.
"""
from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, model_validator

from speakpho.table_env import missing_table, table_names_from_env


class Settings(BaseModel):
    model_config = {"defer_build": True}  # built when first read, not at import
    # logical table name (speakpho.tables) -> the table's name where this code runs
    table_names: dict[str, str] = Field(default_factory=dict)
    dynamodb_endpoint: str | None = None
    # Monthly voice allowance per plan, in minutes; users without a plan get the default.
    default_plan: str = "free"
    plan_minutes: dict[str, int] = Field(default_factory=lambda: {"free": 30, "pro": 600})
    # The live meter's timing (docs/metering.md "Heartbeats and the sweeper"): clients send a
    # heartbeat every heartbeat_interval_seconds (more than twice that with none is a
    # heartbeat_gap); the sweeper closes a session silent for stale_after_seconds, found by its
    # sweep bucket (speakpho.metering.usage.sweep_at). Unset, the two windows derive from the
    # interval (derive_timing, the one place that does): stale 3 intervals, bucket 5.
    heartbeat_interval_seconds: int = Field(default=60, ge=1)
    stale_after_seconds: int | None = Field(default=None, ge=1)
    sweep_bucket_seconds: int | None = Field(default=None, ge=1)
    # Write-sharding of the partitions many learners write (docs/scale.md "Write-sharding"):
    # the sweeper's index (activeShard) and the rollup month (pk). Readers query every shard.
    # Raising a count is safe (old rows stay in shards the readers still query); lowering it
    # leaves rows in shards no reader queries.
    active_shards: int = Field(default=16, ge=1, le=256)
    rollup_shards: int = Field(default=4, ge=1, le=64)
    # The common-mistakes month and pair partitions (speakpho.mistake_keys; docs/admin.md
    # "Common mistakes"): the stats read is one Query per shard of each month.
    mistakes_shards: int = Field(default=15, ge=1, le=64)
    idempotency_ttl_seconds: int = 3600
    # An admin CSV export stops before its body weighs more than this in the Lambda's response
    # (admin.health.export.response_bytes): Lambda's synchronous limit is 6 MB, headers included.
    export_max_bytes: int = Field(default=5_500_000, gt=0, le=6_000_000)
    # Per-learner limits (docs/metering.md "Per-learner limits"), counted in rows the calls
    # already write: starts per UTC clock hour and sessions stored per UTC day (the profile
    # row), imported corrections held (the learner's #stats row).
    starts_per_hour: int = Field(default=20, ge=1)
    sessions_per_day: int = Field(default=50, ge=1)
    imported_corrections_limit: int = Field(default=5000, ge=0)
    # Data that cannot outgrow its owner (docs/learning.md "Lifetime bounds"): transcripts
    # expire (DynamoDB TTL on session_messages.expiresAt) and a learner holds at most
    # corrections_limit corrections (an end keeps its session's up to it).
    transcript_retention_days: int = Field(default=365, ge=1)
    corrections_limit: int = Field(default=10_000, ge=0)
    # The erasure jobs' queue (learning/erasure_queue.py); the worker re-enqueues itself.
    erasure_queue_url: str = ""
    # Provider access (docs/providers.md). A provider is available when its secret holds a key.
    gemini_secret_name: str | None = None
    openai_secret_name: str | None = None
    secret_max_age_seconds: int = Field(default=300, ge=0)
    gemini_api_base: str = "https://generativelanguage.googleapis.com"
    gemini_live_url: str = ("wss://generativelanguage.googleapis.com/ws/"
                            "google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained")
    openai_api_base: str = "https://api.openai.com/v1"
    gemini_model: str = "gemini-2.5-flash-native-audio-preview-12-2025"
    openai_model: str = "gpt-realtime"
    # A Gemini token's life: the minutes left plus the grace, at most one lease; a new
    # connection must open within the new-session window; renewal when under renew_before.
    lease_max_seconds: int = Field(default=600, ge=60, le=3600)
    lease_grace_seconds: int = Field(default=30, ge=0, le=300)
    new_session_window_seconds: int = Field(default=60, ge=10, le=600)
    # Unset: 3 heartbeat intervals (derive_timing), so one lost heartbeat still renews in time.
    renew_before_seconds: int | None = Field(default=None, ge=10)
    # The one-time schedules that hang up an OpenAI call at the limit (+ the grace).
    hangup_schedule_group: str = "speakpho-hangups"
    hangup_target_arn: str = ""
    hangup_role_arn: str = ""
    hangup_dead_letter_arn: str = ""
    # Metering a client may not trust (docs/metering.md).
    credit_budget_percent: int = Field(default=10, ge=0, le=100)
    vanished_fair_sessions: int = Field(default=3, ge=0)
    client_skew_tolerance_ms: int = Field(default=2000, ge=0)

    @model_validator(mode="after")
    def derive_timing(self) -> "Settings":
        """The windows left unset, from the heartbeat interval (an explicit value wins):
        stale_after_seconds 3 intervals (180 s at 60 s: two heartbeats may be lost before a
        live session looks vanished), sweep_bucket_seconds 5 (300 s: 4 heartbeats in 5 leave the
        sweeper's index entry as it is), renew_before_seconds 3 (a Gemini token is renewed
        with a heartbeat to spare)."""
        interval = self.heartbeat_interval_seconds
        for name, intervals in TIMING_INTERVALS.items():
            if getattr(self, name) is None:
                setattr(self, name, intervals * interval)
        return self

    def table(self, logical_name: str) -> str:
        try:
            return self.table_names[logical_name]
        except KeyError:
            raise missing_table(logical_name) from None


# Settings that default to a multiple of heartbeat_interval_seconds (Settings.derive_timing).
TIMING_INTERVALS = {"stale_after_seconds": 3, "sweep_bucket_seconds": 5, "renew_before_seconds": 3}

ENV_NAMES = {
    "dynamodb_endpoint": "DYNAMODB_ENDPOINT",
    "default_plan": "DEFAULT_PLAN",
    "stale_after_seconds": "STALE_AFTER_SECONDS",
    "active_shards": "ACTIVE_SHARDS",
    "rollup_shards": "ROLLUP_SHARDS",
    "mistakes_shards": "MISTAKES_SHARDS",
    "heartbeat_interval_seconds": "HEARTBEAT_INTERVAL_SECONDS",
    "sweep_bucket_seconds": "SWEEP_BUCKET_SECONDS",
    "idempotency_ttl_seconds": "IDEMPOTENCY_TTL_SECONDS",
    "export_max_bytes": "EXPORT_MAX_BYTES",
    "starts_per_hour": "STARTS_PER_HOUR",
    "sessions_per_day": "SESSIONS_PER_DAY",
    "imported_corrections_limit": "IMPORTED_CORRECTIONS_LIMIT",
    "transcript_retention_days": "TRANSCRIPT_RETENTION_DAYS",
    "corrections_limit": "CORRECTIONS_LIMIT",
    "erasure_queue_url": "ERASURE_QUEUE_URL",
    "gemini_secret_name": "GEMINI_SECRET_NAME",
    "openai_secret_name": "OPENAI_SECRET_NAME",
    "secret_max_age_seconds": "SECRET_MAX_AGE_SECONDS",
    "gemini_api_base": "GEMINI_API_BASE",
    "gemini_live_url": "GEMINI_LIVE_URL",
    "openai_api_base": "OPENAI_API_BASE",
    "gemini_model": "GEMINI_MODEL",
    "openai_model": "OPENAI_MODEL",
    "lease_max_seconds": "LEASE_MAX_SECONDS",
    "lease_grace_seconds": "LEASE_GRACE_SECONDS",
    "new_session_window_seconds": "NEW_SESSION_WINDOW_SECONDS",
    "renew_before_seconds": "RENEW_BEFORE_SECONDS",
    "hangup_schedule_group": "HANGUP_SCHEDULE_GROUP",
    "hangup_target_arn": "HANGUP_TARGET_ARN",
    "hangup_role_arn": "HANGUP_ROLE_ARN",
    "hangup_dead_letter_arn": "HANGUP_DEAD_LETTER_ARN",
    "credit_budget_percent": "CREDIT_BUDGET_PERCENT",
    "vanished_fair_sessions": "VANISHED_FAIR_SESSIONS",
    "client_skew_tolerance_ms": "CLIENT_SKEW_TOLERANCE_MS",
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

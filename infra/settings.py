"""Deploy-time knobs of the stack, read from CDK context (cdk.json or `-c key=value`).

Defaults live here, not only in cdk.json, so tests that build the stack without the CLI
get the same values as `npx cdk synth`.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from constructs import Construct

from infra import limits
from infra.catalog import ensure_import_paths

ensure_import_paths()
from speakpho.config import Settings as AppSettings  # noqa: E402

# Provider settings and lifetime bounds the stack passes on: their defaults and bounds live
# once, in speakpho.config.
APP_DEFAULTS = {name: field.default for name, field in AppSettings.model_fields.items()}
APP_SETTINGS = ("secret_max_age_seconds", "lease_max_seconds", "lease_grace_seconds", "gemini_model", "openai_model",
                "transcript_retention_days", "corrections_limit", "heartbeat_interval_seconds", "stale_after_seconds",
                "sweep_bucket_seconds")
# The live meter's timing: passed to every function with the windows derived as the functions
# would derive them (speakpho.config Settings.derive_timing), so the template shows the values.
TIMING_ENV = {"heartbeat_interval_seconds": "HEARTBEAT_INTERVAL_SECONDS", "stale_after_seconds": "STALE_AFTER_SECONDS",
              "sweep_bucket_seconds": "SWEEP_BUCKET_SECONDS"}

# Context key -> settings field. Values given with `-c key=value` arrive as strings.
CONTEXT_KEYS = {
    "stageName": "stage_name",
    "logLevel": "log_level",
    "planMinutes": "plan_minutes",
    "heartbeatIntervalSeconds": "heartbeat_interval_seconds",
    "staleAfterSeconds": "stale_after_seconds",
    "sweepBucketSeconds": "sweep_bucket_seconds",
    "startsPerHour": "starts_per_hour",
    "sessionsPerDay": "sessions_per_day",
    "importedCorrectionsLimit": "imported_corrections_limit",
    "transcriptRetentionDays": "transcript_retention_days",
    "correctionsLimit": "corrections_limit",
    "sweepEveryMinutes": "sweep_every_minutes",
    "alarmTopicArn": "alarm_topic_arn",
    "alarmEmail": "alarm_email",
    "alarmPeriodMinutes": "alarm_period_minutes",
    "alarmMinSessions": "alarm_min_sessions",
    "abnormalCloseSharePercent": "abnormal_close_share_percent",
    "providerSwitchRatePercent": "provider_switch_rate_percent",
    "alarmMinConnections": "alarm_min_connections",
    "alarmMinLearners": "alarm_min_learners",
    "providerFailureRatePercent": "provider_failure_rate_percent",
    "iteratorAgeMs": "iterator_age_ms",
    "apiThrottleRate": "api_throttle_rate",
    "apiThrottleBurst": "api_throttle_burst",
    "authDomainPrefix": "auth_domain_prefix",
    "callbackUrls": "callback_urls",
    "layerDependencies": "layer_dependencies",
    "waf": "waf",
    "wafTokenLimit": "waf_token_limit",
    "wafIpLimit": "waf_ip_limit",
    "wafSignupLimit": "waf_signup_limit",
    "sesIdentity": "ses_identity",
    "learnerThreatProtection": "learner_threat_protection",
    "secretMaxAgeSeconds": "secret_max_age_seconds",
    "leaseMaxSeconds": "lease_max_seconds",
    "leaseGraceSeconds": "lease_grace_seconds",
    "geminiModel": "gemini_model",
    "openaiModel": "openai_model",
}

LAYER_DEPENDENCY_MODES = ("pip", "none")
WAF_RATE_LIMITS = (10, 2_000_000_000)   # what a WAF rate-based statement accepts
BOOL_WORDS = {"true": True, "1": True, "on": True, "yes": True, "false": False, "0": False, "off": False, "no": False}


@dataclass(frozen=True)
class StackSettings:
    stage_name: str = "prod"
    log_level: str = "INFO"
    plan_minutes: str = "free=30,pro=600"      # PLAN_MINUTES of speakpho.config
    # The live meter's timing (speakpho.config; docs/metering.md "Heartbeats and the sweeper"):
    # unset windows derive from the heartbeat interval (stale 3 intervals, sweep bucket 5).
    heartbeat_interval_seconds: int = APP_DEFAULTS["heartbeat_interval_seconds"]
    stale_after_seconds: int | None = None
    sweep_bucket_seconds: int | None = None
    # Per-learner limits (speakpho.config: STARTS_PER_HOUR, SESSIONS_PER_DAY, IMPORTED_CORRECTIONS_LIMIT).
    starts_per_hour: int = 20
    sessions_per_day: int = 50
    imported_corrections_limit: int = 5000
    # Lifetime bounds (speakpho.config: TRANSCRIPT_RETENTION_DAYS, CORRECTIONS_LIMIT; docs/learning.md).
    transcript_retention_days: int = APP_DEFAULTS["transcript_retention_days"]
    corrections_limit: int = APP_DEFAULTS["corrections_limit"]
    sweep_every_minutes: int = 2
    # Alarms go to this SNS topic; empty = the stack creates one (CfnParameter AlarmTopicArn overrides at deploy).
    alarm_topic_arn: str = ""
    alarm_email: str = ""                        # optional subscription of the created topic
    alarm_period_minutes: int = 5
    alarm_min_sessions: int = 5                  # below this many sessions in a period, ratios do not alarm
    abnormal_close_share_percent: float = 10.0   # AbnormalCloses / SessionsEnded
    provider_switch_rate_percent: float = 20.0   # ProviderSwitches / SessionsStarted
    # Per provider: ProviderFailures / ProviderConnections (connection segments of ended sessions);
    # below alarm_min_connections connections to that provider in a period, it does not alarm.
    alarm_min_connections: int = 20
    provider_failure_rate_percent: float = 10.0
    # Every ratio alarm is quiet below this many distinct learners starting in a period
    # (ActiveLearners: session.telemetry counts a learner once an hour), so one or two learners
    # alone can never page anyone, whatever they send (docs/security.md).
    alarm_min_learners: int = 3
    iterator_age_ms: int = 60_000                # rollups stream processor lag
    # The stage-wide default throttle (routes have their own: infra/limits.py).
    api_throttle_rate: int = limits.DEFAULT_THROTTLE.rate
    api_throttle_burst: int = limits.DEFAULT_THROTTLE.burst
    auth_domain_prefix: str = ""                 # empty = "speakpho-<stack uuid>"
    callback_urls: tuple[str, ...] = ()          # extra OAuth callback/logout URLs (e.g. a custom domain)
    # "pip": the layer carries requirements.txt built for the Lambda runtime (real synth/deploy).
    # "none": only our package (infra tests; never deploy this).
    layer_dependencies: str = "pip"
    # AWS WAF web ACL on the API stage (infra/constructs/waf.py); `-c waf=false` leaves it out.
    waf: bool = True
    waf_token_limit: int = limits.WAF_TOKEN_LIMIT     # requests per bearer token per 5 minutes
    waf_ip_limit: int = limits.WAF_IP_LIMIT           # requests per source IP per 5 minutes
    waf_signup_limit: int = limits.WAF_SIGNUP_LIMIT   # sign-ups per source IP per 5 minutes (learner pool)
    # Learner pool (infra/constructs/auth.py, docs/deploy.md "Sign-up"): an SES identity (an
    # address or a domain verified in SES) sends its mail; empty = Cognito's own sender, for
    # development only. Threat protection needs the Plus feature plan (billed per active user).
    ses_identity: str = ""
    learner_threat_protection: bool = False
    # Provider access (speakpho.config; docs/deploy.md "Provider keys and hangups").
    secret_max_age_seconds: int = APP_DEFAULTS["secret_max_age_seconds"]   # key cache: a new key within this
    lease_max_seconds: int = APP_DEFAULTS["lease_max_seconds"]
    lease_grace_seconds: int = APP_DEFAULTS["lease_grace_seconds"]
    gemini_model: str = APP_DEFAULTS["gemini_model"]
    openai_model: str = APP_DEFAULTS["openai_model"]

    @classmethod
    def from_context(cls, scope: Construct) -> "StackSettings":
        types = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, name in CONTEXT_KEYS.items():
            raw = scope.node.try_get_context(key)
            if raw is None or raw == "":
                continue
            values[name] = _coerce(raw, types[name], key)
        settings = cls(**values)
        for key, limit in (("wafTokenLimit", settings.waf_token_limit), ("wafIpLimit", settings.waf_ip_limit),
                           ("wafSignupLimit", settings.waf_signup_limit)):
            if not WAF_RATE_LIMITS[0] <= limit <= WAF_RATE_LIMITS[1]:
                raise ValueError(f"context {key} must be between {WAF_RATE_LIMITS[0]} and {WAF_RATE_LIMITS[1]}, "
                                 f"got {limit}")
        if settings.layer_dependencies not in LAYER_DEPENDENCY_MODES:
            raise ValueError(f"context layerDependencies must be one of {LAYER_DEPENDENCY_MODES}, "
                             f"got {settings.layer_dependencies!r}")
        try:   # the bounds the functions would enforce at their first request, checked at synth
            AppSettings(**{name: getattr(settings, name) for name in APP_SETTINGS})
        except ValueError as exc:
            raise ValueError(f"context: app settings out of range: {exc}") from None
        return settings

    def timing_environment(self) -> dict[str, str]:
        """HEARTBEAT_INTERVAL_SECONDS, STALE_AFTER_SECONDS and SWEEP_BUCKET_SECONDS as the
        functions will read them (the unset windows derived by speakpho.config)."""
        app = AppSettings(**{name: value for name in TIMING_ENV
                             if (value := getattr(self, name)) is not None})
        return {env: str(getattr(app, name)) for name, env in TIMING_ENV.items()}


def _coerce(raw: Any, type_name: Any, key: str) -> Any:
    type_name = str(type_name).removesuffix(" | None")   # unset is no context value, never None
    try:
        if type_name == "bool":
            if isinstance(raw, bool):
                return raw
            return BOOL_WORDS[str(raw).strip().lower()]
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name.startswith("tuple"):
            items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
            return tuple(str(i).strip() for i in items if str(i).strip())
        return str(raw)
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"context {key}={raw!r} is not a valid {type_name}") from exc

"""The voice providers behind `make dev`: by default local fakes that speak the real protocols
(local/fakes: a Gemini Live API and an OpenAI Realtime API with server-held WebRTC calls, on
127.0.0.1), reached through the same code as deployed: their keys sit in Secrets Manager
secrets (moto, in process) named by GEMINI_SECRET_NAME / OPENAI_SECRET_NAME, and the
provider clients' base URLs (GEMINI_API_BASE, GEMINI_LIVE_URL, OPENAI_API_BASE) point at
the fakes. The hangup schedules go to EventBridge Scheduler (moto) and fire on the dev clock
(local/jobs.py).

PROVIDERS=real make dev uses the real providers instead, with the keys in GEMINI_API_KEY and
OPENAI_API_KEY (docs/providers.md; not tested here: this machine reaches no provider).
"""
from __future__ import annotations

import json
import os

SECRET_NAMES = {"gemini": "local/gemini-api-key", "openai": "local/openai-api-key"}
FAKE_KEYS = {"gemini": "local-fake-gemini-key", "openai": "local-fake-openai-key"}
SCHEDULE_GROUP = "speakpho-hangups"
LOCAL_ARN = "arn:aws:{service}:us-east-1:000000000000:{what}"


class LocalProviders:
    """The fakes (or nothing, with real providers) and the secrets and schedule group they need."""

    def __init__(self) -> None:
        self.real = os.environ.get("PROVIDERS", "").strip().lower() == "real"
        self.gemini = self.openai = None
        if self.real:
            keys = {p: os.environ.get(f"{p.upper()}_API_KEY", "") for p in SECRET_NAMES}
        else:
            from local.fakes.gemini import FakeGemini
            from local.fakes.openai_realtime import FakeOpenAI

            self.gemini = FakeGemini(FAKE_KEYS["gemini"]).start()
            self.openai = FakeOpenAI(FAKE_KEYS["openai"]).start()
            keys = dict(FAKE_KEYS)
            os.environ.update({"GEMINI_API_BASE": self.gemini.api_base, "GEMINI_LIVE_URL": self.gemini.live_url,
                               "OPENAI_API_BASE": self.openai.api_base})
        os.environ.update({
            "GEMINI_SECRET_NAME": SECRET_NAMES["gemini"], "OPENAI_SECRET_NAME": SECRET_NAMES["openai"],
            "HANGUP_SCHEDULE_GROUP": SCHEDULE_GROUP,
            "HANGUP_TARGET_ARN": LOCAL_ARN.format(service="lambda", what="function:speakpho-hangup"),
            "HANGUP_ROLE_ARN": LOCAL_ARN.format(service="iam", what="role/speakpho-scheduler").replace(
                ":us-east-1:", "::"),
        })
        self._keys = keys

    def provision(self) -> None:
        """The secrets and the schedule group, in the Secrets Manager and Scheduler this process
        reaches (moto in process): once the mock is running."""
        import botocore.session

        session = botocore.session.get_session()
        secrets = session.create_client("secretsmanager", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
        for provider, name in SECRET_NAMES.items():
            value = json.dumps({"apiKey": self._keys.get(provider) or ""})
            try:
                secrets.create_secret(Name=name, SecretString=value)
            except secrets.exceptions.ResourceExistsException:
                secrets.put_secret_value(SecretId=name, SecretString=value)
        scheduler = session.create_client("scheduler", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
        try:
            scheduler.create_schedule_group(Name=SCHEDULE_GROUP)
        except scheduler.exceptions.ConflictException:
            pass

    def log(self) -> dict:
        """What the fakes saw (GET /local/providers/log)."""
        gemini = self.gemini.log() if self.gemini else {}
        openai = self.openai.log() if self.openai else {}
        return {"tokens": gemini.get("tokens", []),
                "connections": gemini.get("connections", []) + openai.get("connections", []),
                "hangups": openai.get("hangups", [])}

    def fail(self, provider: str, code: int, reason: str | None) -> bool:
        fake = {"gemini": self.gemini, "openai": self.openai}.get(provider)
        if fake is None:
            return False
        fake.fail(code, reason or "Internal error encountered.")
        return True

    def go_away(self, time_left_ms: int) -> bool:
        """The fake Gemini's goAway on every open connection (closed when the time is up)."""
        if self.gemini is None:
            return False
        self.gemini.go_away(time_left_ms)
        return True

    def stop(self) -> None:
        for fake in (self.gemini, self.openai):
            if fake:
                fake.stop()

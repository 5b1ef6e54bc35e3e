"""In-memory provider ports for the API and domain tests (no network): every call is recorded,
and each port can be told to fail. The local fakes that speak the real protocols are in
local/fakes/ (make dev, and the tests that need a real connection)."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from speakpho.providers.ports import ProviderError, ProviderPorts

KEYS = {"gemini": "test-gemini-key", "openai": "test-openai-key"}


@dataclass
class FakeKeys:
    keys: dict = field(default_factory=lambda: dict(KEYS))

    def key(self, provider: str) -> str | None:
        return self.keys.get(provider) or None


@dataclass
class FakeGeminiTokens:
    minted: list = field(default_factory=list)
    fail_status: int | None = None
    _ids: itertools.count = field(default_factory=itertools.count)

    def mint(self, api_key, *, setup, uses, expire_at_ms, new_session_expire_at_ms):
        if self.fail_status:
            raise ProviderError("gemini", "refused", self.fail_status)
        token = f"auth_tokens/test-{next(self._ids)}"
        self.minted.append({"key": api_key, "setup": setup, "uses": uses, "expiresAt": expire_at_ms,
                            "newSessionExpiresAt": new_session_expire_at_ms, "token": token})
        return token


@dataclass
class FakeOpenAICalls:
    calls: list = field(default_factory=list)
    hangups: list = field(default_factory=list)
    fail_create: int | None = None
    fail_hangups: int = 0       # how many hangups fail before one works
    _ids: itertools.count = field(default_factory=itertools.count)

    def create_call(self, api_key, *, sdp, session):
        if self.fail_create:
            raise ProviderError("openai", "refused", self.fail_create)
        call_id = f"rtc_test{next(self._ids)}"
        self.calls.append({"key": api_key, "sdp": sdp, "session": session, "callId": call_id})
        return f"v=0 answer-for-{call_id}", call_id

    def hangup(self, api_key, call_id):
        if self.fail_hangups:
            self.fail_hangups -= 1
            raise ProviderError("openai", "unavailable", 503)
        self.hangups.append(call_id)


@dataclass
class FakeSchedules:
    scheduled: dict = field(default_factory=dict)   # sessionId -> {callId, userId, at}
    cancelled: list = field(default_factory=list)

    def schedule(self, *, session_id, user_id, call_id, at_ms):
        self.scheduled[session_id] = {"callId": call_id, "userId": user_id, "at": at_ms}

    def cancel(self, session_id):
        self.cancelled.append(session_id)
        self.scheduled.pop(session_id, None)


def fake_ports() -> ProviderPorts:
    return ProviderPorts(keys=FakeKeys(), gemini=FakeGeminiTokens(), openai=FakeOpenAICalls(),
                         schedules=FakeSchedules())

"""The contract's shapes of the session area (POST /api/session/*, GET /api/usage) and the
session and message shapes the learning and admin answers share. local/contract.py routes them."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, Field

from infra import catalog

catalog.ensure_import_paths()
from local.contract_access import GeminiAccess, ProviderAccess  # noqa: E402
from local.contract_types import (CloseCode, Count, EndedBy, Epoch, Minutes, SessionStatus,  # noqa: E402
                                  answer)
from speakpho.models import Difficulty, EndReason, Mode, Provider, Role  # noqa: E402


class Usage(BaseModel):
    # speakpho.views.usage_view: the period's voice allowance.
    plan: str
    period: str = Field(pattern=r"^\d{4}-\d{2}$", description="UTC month YYYY-MM")
    secondsLimit: Count
    secondsUsed: Count
    secondsRemaining: Count
    minutesUsed: Minutes
    minutesRemaining: Minutes
    activeSessionId: Optional[str]
    creditedSeconds: Count = Field(description="seconds credited in the period for outages the server corroborated")
    creditBudgetSeconds: Count = Field(description="the most the period may credit: CREDIT_BUDGET_PERCENT of "
                                                   "secondsLimit")


class HistoryEntry(BaseModel):
    # learning.history.history_entry: a session in the learner's history.
    id: str
    startedAt: Epoch
    endedAt: Optional[Epoch]
    topic: str
    difficulty: Difficulty
    mode: Mode
    provider: Provider = Field(description="the provider it runs on, or ended on")
    messageCount: Count
    correctionCount: Count
    minutesUsed: Minutes
    creditedSeconds: Count = Field(description="seconds not charged: the provider or the network failed")


class Session(HistoryEntry):
    # speakpho.views.session_view.
    status: SessionStatus
    initialProvider: Optional[Provider]
    providerSwitched: bool
    providerSwitchedAt: Optional[Epoch]
    switchCount: Count
    disconnectCode: Optional[CloseCode]
    disconnectReason: Optional[str]
    endReason: Optional[EndReason]
    endedBy: Optional[EndedBy]
    conversationId: Optional[str]
    secondsUsed: Count


class Message(BaseModel):
    role: Role
    text: str
    timestamp: Epoch
    provider: Optional[Provider] = Field(default=None, description="the provider the line was said with "
                                                                   "(absent on lines saved by older pages)")


class StartedSession(BaseModel):
    sessionId: str
    startedAt: Epoch
    provider: Provider
    mode: Mode
    topic: str
    difficulty: Difficulty
    closedSessionId: Optional[str] = Field(description="the previous active session, closed as superseded")
    providerAccess: Optional[ProviderAccess] = Field(description="null for a text session (channel text)")
    usage: Usage
    heartbeatIntervalSeconds: Optional[int] = Field(
        default=None, ge=1, description="how often to send POST /api/session/heartbeat (HEARTBEAT_INTERVAL_SECONDS, "
                                        "60 by default); absent on the replay of a start answered before it "
                                        "existed: use 60")


class CorrectionsDropped(BaseModel):
    count: Count = Field(description="the session's corrections not kept (its last ones)")
    reason: Literal["corrections_limit"]


class EndedSession(BaseModel):
    # speakpho.metering.end.end_answer (the same on every repeat).
    totalMinutesUsed: Minutes
    minutesRemaining: Minutes
    totalSecondsUsed: Count
    secondsRemaining: Count
    creditedSeconds: Count
    session: Session
    correctionsDropped: Optional[CorrectionsDropped] = Field(
        default=None, description="absent when every correction was kept: the ones the learner's cap "
                                  "(CORRECTIONS_LIMIT) left no room for")


Heartbeat = answer("Heartbeat", sessionSeconds=Count, usage=Usage, limitReached=bool,
                   providerAccess=(Optional[GeminiAccess], Field(
                       default=None, description="the next Gemini token, once the current one has less than "
                                                 "RENEW_BEFORE_SECONDS (3 heartbeat intervals: 3 minutes) left "
                                                 "and minutes remain")))
ProviderSwitched = answer("ProviderSwitched", sessionId=str, provider=Provider, providerSwitchedAt=Epoch,
                          switchCount=Count, providerAccess=(Optional[ProviderAccess], Field(
                              description="null for a text session (channel text)")))
EventsRecorded = answer("EventsRecorded", sessionId=str, accepted=(Count, "events recorded by this call"),
                        duplicates=(Count, "events whose eventId was already recorded"),
                        eventCount=(Count, "events the session holds"))

"""The contract's shapes of the admin area (sessions, their health, time series and detail;
allowances). local/contract.py routes them; the common mistakes are local/contract_mistakes.py."""
from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, Field, create_model

from infra import catalog

catalog.ensure_import_paths()
from speakpho import story  # noqa: E402
from local.contract_latency import ProviderLatencyStats, SessionProviderLatency  # noqa: E402
from local.contract_learning import Correction  # noqa: E402
from local.contract_session import Message, Session, Usage  # noqa: E402
from local.contract_types import CloseCode, Count, Cursor, Day, EndedBy, Epoch, Minutes, Rate, answer  # noqa: E402
from speakpho.models import EndReason  # noqa: E402


CodeKey = Annotated[str, Field(description='a close code ("1011"), or "none", "other", "unknown"')]


class AdminSession(Session):
    # admin.health.listing.admin_session_row: session_view(include_user=True) and its story's summary.
    userId: str
    userEmail: Optional[str]
    switchCause: Optional[CodeKey] = Field(description="the first switch's cause; null without a switch")
    reconnects: Count = Field(description="reconnect attempts the client reported")
    hadDrop: bool = Field(description="a provider- or network-side disconnect in the story, or an end by the "
                                      "provider or the network (the hadDrop filter; failedSessions counts these)")
    latency: Optional[dict[str, SessionProviderLatency]] = Field(
        description="per provider, the latency its end reported; null when it reported none")


class TimelineEntry(BaseModel):
    # admin.health.detail.timeline_entry: one entry of the session's story (speakpho.story).
    at: Epoch
    type: Literal[story.CLIENT_TYPES + story.SERVER_TYPES]
    source: Literal[story.CLIENT, story.SERVER]
    provider: Optional[str] = None
    code: Optional[CloseCode] = None
    label: Optional[str] = Field(default=None, description="the close code's label")
    reason: Optional[str] = None
    connectMs: Optional[Count] = None
    from_: Optional[Union[Epoch, str]] = Field(default=None, alias="from",
                                              description="a provider, or epoch ms (heartbeat_gap)")
    to: Optional[Union[Epoch, str]] = Field(default=None, description="a provider, or epoch ms (heartbeat_gap)")
    endReason: Optional[EndReason] = None
    endedBy: Optional[EndedBy] = None
    receivedAt: Optional[Epoch] = Field(default=None, description="when the server received a client event")
    clientAt: Optional[Epoch] = Field(default=None, description="a client event's own time, when `at` differs "
                                                                "from it (moved onto the server's clock, or clamped)")
    skewMs: Optional[int] = Field(default=None, description="the offset added to a client event's time: the "
                                                            "client's clock was off by more than 2 s")
    expiresAt: Optional[Epoch] = Field(default=None, description="access_granted: until when the access holds")
    callId: Optional[str] = Field(default=None, description="call_connected, call_hung_up: the OpenAI call")
    why: Optional[str] = Field(default=None, description="call_hung_up: end, switch, replaced, limit, "
                                                         "client_vanished, superseded")


class HealthStats(BaseModel):
    # admin.health.stats.stats_view.
    totalSessions: Count
    endedSessions: Count
    avgDuration: Minutes
    providerBreakdown: dict[str, Count]
    disconnectBreakdown: dict[str, Count] = Field(description="close code -> sessions")
    providerSwitchRate: Rate
    totalSwitches: Count
    endReasonBreakdown: dict[str, Count]
    endedByBreakdown: dict[str, Count] = Field(description="ended sessions by who ended them")
    creditedSeconds: Count = Field(description="seconds not charged: the provider or the network failed")
    byInitialProvider: dict[str, create_model("InitialProviderHealth", sessions=Count, switchedAway=Count,
                                              failedSessions=Count)]
    providerReliability: dict[str, create_model("ProviderReliability", connections=Count, failures=Count,
                                                failuresByCode=dict[str, Count], failureRate=Rate)]
    providerLatency: dict[str, ProviderLatencyStats] = Field(
        description="per provider, turns and p50/p95 from the end of the learner's speech to the coach's "
                    "first audio, and the same from connecting: gemini and openai always")
    switchCauses: dict[str, Count] = Field(description="code key -> switches (they add up to totalSwitches)")
    closeCodes: dict[str, create_model("CloseCodeInfo", label=str, cause=str, side=str)] = Field(
        description="every code key a breakdown can show")
    closeCodeLabels: dict[str, str]


class AdminSessionsPage(BaseModel):
    sessions: list[AdminSession]
    stats: HealthStats
    nextCursor: Optional[Cursor] = Field(description="null on the last page")
    from_: Day = Field(alias="from")
    to: Day


class Timeseries(BaseModel):
    from_: Day = Field(alias="from")
    to: Day
    series: list[create_model("DayHealth", date=Day, sessions=Count, endedSessions=Count, avgDuration=Minutes,
                              switches=Count, switchedSessions=Count, switchRate=Rate,
                              disconnects=dict[str, Count], failuresByProvider=dict[str, Count])]


AllowanceChange = answer("AllowanceChange", secondsLimit=Count, reason=str, changedBy=str, changedAt=Epoch)
AllowanceSet = answer("AllowanceSet", userId=str, usage=Usage, change=AllowanceChange)
Allowance = answer("Allowance", userId=str, usage=Usage, changes=list[AllowanceChange])
AdminSessionDetail = answer("AdminSessionDetail", session=AdminSession, timeline=list[TimelineEntry],
                            messages=list[Message], corrections=list[Correction])

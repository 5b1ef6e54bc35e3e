"""Pydantic models at the API boundary, and the enums every area shares."""
from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from speakpho.enums import CATEGORIES, MODES, PROVIDERS  # re-exported; their home has no pydantic
from speakpho.latency import HISTOGRAM_LENGTH, MAX_LATENCY_MS, MAX_TURNS, histogram_problem

Provider = Literal[PROVIDERS]            # Literal["gemini", "openai"]
Mode = Literal[MODES]                    # Literal["free", "coach"]
Difficulty = Literal["beginner", "intermediate", "advanced"]
Category = Literal[CATEGORIES]
Role = Literal["user", "coach"]
EndReason = Literal["user_ended", "limit_reached", "timeout", "error", "stale", "disconnect", "provider_switch"]


MAX_TEXT = 4000
MAX_MESSAGES = 2000
MAX_CORRECTIONS = 200
MAX_ID = 128
MAX_REASON = 500
# Parse bound of an events list: longer lists are refused by validation (422); up to here the
# domain refuses more than story.MAX_EVENTS_PER_CALL with 413, as it counts what it stores.
MAX_EVENTS_PARSED = 1000
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
ClientEventType = Literal["provider_connected", "provider_disconnected", "reconnect_attempt"]


def _json_kinds(annotation: Any) -> set:
    """The Python types a field admits at its top level (a Literal: its values' types)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _json_kinds(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return set().union(*(_json_kinds(a) for a in get_args(annotation)))
    if origin is Literal:
        return {type(v) for v in get_args(annotation)}
    return {origin or annotation}


class StrictModel(BaseModel):
    # Unknown fields are refused: a typo must not be silently dropped. Validators are built on
    # first use, not at import: a cold start builds only the models its first request needs.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _json_types(cls, value: Any, info: ValidationInfo) -> Any:
        """A value of the JSON type the document states: pydantic's lax mode would take true or
        "5" for a number and 1 or "yes" for a boolean. 5.0 is the integer 5, as JSON Schema
        reads it (a strict integer field would refuse it)."""
        kinds = _json_kinds(cls.model_fields[info.field_name].annotation)
        if isinstance(value, float) and value.is_integer() and int in kinds and float not in kinds:
            return int(value)
        if isinstance(value, bool) and bool not in kinds:
            raise ValueError("must not be a boolean")
        if isinstance(value, str) and str not in kinds:
            raise ValueError("must not be a string")
        if bool in kinds and value is not None and not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value


class StartSessionRequest(StrictModel):
    topic: str = Field(default="general", min_length=1, max_length=200)
    difficulty: Difficulty = "intermediate"
    mode: Mode = "coach"
    provider: Provider = "gemini"
    # "text": typed practice with the page's rehearsal coach: metered like any session, but no
    # provider access is given (none is needed, so it works where no provider is configured).
    channel: Literal["voice", "text"] = Field(default="voice", description="voice: provider access is given; "
                                              "text: typed practice, no provider access")


class SessionRef(StrictModel):
    sessionId: str = Field(min_length=1, max_length=MAX_ID)


class SwitchProviderRequest(StrictModel):
    sessionId: str = Field(min_length=1, max_length=MAX_ID)
    provider: Provider
    disconnectCode: int | None = Field(default=None, ge=1000, le=4999)
    disconnectReason: str | None = Field(default=None, max_length=MAX_REASON)


MAX_SDP = 20_000   # a browser's audio offer is a few kB


class ConnectRequest(StrictModel):
    """The browser's WebRTC offer for the session's OpenAI call (POST /api/session/connect)."""
    sessionId: str = Field(min_length=1, max_length=MAX_ID)
    sdp: str = Field(min_length=1, max_length=MAX_SDP, description="the SDP offer")


class MessageIn(StrictModel):
    role: Role
    text: str = Field(max_length=MAX_TEXT)
    timestamp: int = Field(ge=0, le=10**15)  # epoch ms; bounded to what DynamoDB stores
    # The provider the line was said with: the history draws a divider where it changes (the
    # line's timestamp is the browser's clock, the switch's the server's: they cannot be compared).
    provider: Provider | None = None


class CorrectionIn(StrictModel):
    original: str = Field(min_length=1, max_length=MAX_TEXT)
    correction: str = Field(min_length=1, max_length=MAX_TEXT)
    explanation: str | None = Field(default=None, max_length=MAX_TEXT)
    category: Category | None = None


class ClientEvent(StrictModel):
    """One event of the client's connection to the voice provider (speakpho.story)."""
    eventId: str = Field(pattern=UUID_PATTERN, description="a UUID made by the client; a repeat is ignored")
    type: ClientEventType
    at: int = Field(ge=0, le=10**15, description="epoch ms on the client's clock")
    provider: Provider
    code: int | None = Field(default=None, ge=1000, le=4999, description="provider_disconnected only")
    reason: str | None = Field(default=None, max_length=MAX_REASON, description="provider_disconnected only")
    connectMs: int | None = Field(default=None, ge=0, le=10**7, description="provider_connected only")

    @model_validator(mode="after")
    def _fields_of_its_type(self):
        if self.type != "provider_disconnected" and (self.code is not None or self.reason is not None):
            raise ValueError("code and reason belong to provider_disconnected only")
        if self.type != "provider_connected" and self.connectMs is not None:
            raise ValueError("connectMs belongs to provider_connected only")
        return self

    def entry_fields(self) -> dict:
        """As speakpho.story takes it (the eventId in lower case: one id, one spelling)."""
        return {**self.model_dump(exclude_none=True), "eventId": self.eventId.lower()}


class SessionEventsRequest(StrictModel):
    sessionId: str = Field(min_length=1, max_length=MAX_ID)
    events: list[ClientEvent] = Field(min_length=1, max_length=MAX_EVENTS_PARSED)
    sentAt: int | None = Field(default=None, ge=0, le=10**15,
                               description="epoch ms on the client's clock when it sent this call: the server "
                                           "moves the events' times by its own clock's offset beyond 2 s")


def _json_integer(value: Any) -> Any:
    """An item of a list of integers, as StrictModel reads a field: a JSON number (5.0 is 5),
    never a boolean or a string."""
    if isinstance(value, (bool, str)):
        raise ValueError("must be an integer")
    return int(value) if isinstance(value, float) and value.is_integer() else value


LatencyMs = Annotated[int, Field(ge=0, le=MAX_LATENCY_MS)]
TurnCount = Annotated[int, Field(ge=0, le=MAX_TURNS)]
BucketCount = Annotated[int, Field(ge=0, le=MAX_TURNS), BeforeValidator(_json_integer)]


class ProviderLatency(StrictModel):
    """The latency a learner felt on one provider (speakpho.latency): per turn, from the end of
    the learner's speech (the provider's turn signal) to the coach's first audio."""
    turns: TurnCount
    p50Ms: LatencyMs
    p95Ms: LatencyMs
    histogram: list[BucketCount] = Field(min_length=HISTOGRAM_LENGTH, max_length=HISTOGRAM_LENGTH,
                                         description="turns per bucket of speakpho.latency.LATENCY_BUCKETS_MS "
                                                     "(<= each bound, and one above the last); they add up to turns")
    firstAudioMs: LatencyMs | None = Field(default=None, description="from connecting to the coach's first audio")

    @field_validator("histogram")
    @classmethod
    def _histogram_adds_up(cls, histogram: list[int], info: ValidationInfo) -> list[int]:
        # turns is validated first (declared before): without a valid one there is nothing to add up to.
        problem = "turns" in info.data and histogram_problem(histogram, info.data["turns"])
        if problem:
            raise ValueError(problem)
        return histogram


class EndSessionRequest(StrictModel):
    sessionId: str = Field(min_length=1, max_length=MAX_ID)
    conversationId: str | None = Field(default=None, max_length=MAX_ID)
    disconnectCode: int | None = Field(default=None, ge=1000, le=4999)
    disconnectReason: str | None = Field(default=None, max_length=MAX_REASON)
    messageCount: int | None = Field(default=None, ge=0, le=1_000_000)
    provider: Provider | None = None
    providerSwitched: bool | None = None
    messages: list[MessageIn] = Field(default_factory=list, max_length=MAX_MESSAGES)
    corrections: list[CorrectionIn] = Field(default_factory=list, max_length=MAX_CORRECTIONS)
    events: list[ClientEvent] = Field(default_factory=list, max_length=MAX_EVENTS_PARSED)
    sentAt: int | None = Field(default=None, ge=0, le=10**15,
                               description="epoch ms on the client's clock when it sent this call: the server "
                                           "moves the events' times by its own clock's offset beyond 2 s")
    # The learner's own page is closing (tab closed, navigation): the session ends because the
    # learner left, whatever the close code (the client sends 1001, "Going away").
    pageClosed: bool | None = Field(default=None, strict=True)
    # The latency the learner felt, per provider it talked to (speakpho.latency).
    latency: dict[Provider, ProviderLatency] | None = None


class AllowanceRequest(StrictModel):
    secondsLimit: int = Field(ge=0, le=31 * 24 * 3600)
    reason: str = Field(min_length=1, max_length=MAX_REASON)

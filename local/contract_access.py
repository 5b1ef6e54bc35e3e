"""The contract's shapes of provider access (speakpho.access, speakpho.metering.access):
what a client gets to reach its voice provider. local/contract.py uses them in its routes."""
from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, Field

Epoch = Annotated[int, Field(ge=0, description="epoch milliseconds")]


class GeminiAccess(BaseModel):
    # speakpho.access.grant.gemini_access: a one-use ephemeral token locking the coach's setup.
    provider: Literal["gemini"]
    transport: Literal["websocket"]
    url: str = Field(description="the Live API's constrained endpoint: connect with ?access_token=<token>")
    token: str = Field(description="the ephemeral token (one new connection; resumption does not use it up)")
    expiresAt: Epoch = Field(description="after it the token is refused: the minutes left plus the grace, "
                                         "at most one lease")
    newSessionExpiresAt: Epoch = Field(description="a new connection must open before it")


class OpenAIAccess(BaseModel):
    # speakpho.access.grant.openai_access: the call is placed by the server with the browser's offer.
    provider: Literal["openai"]
    transport: Literal["webrtc"]
    connectPath: Literal["/api/session/connect"] = Field(description="where the browser sends its SDP offer")
    expiresAt: Epoch = Field(description="the server hangs the call up by then (the limit plus the grace)")


ProviderAccess = Annotated[Union[GeminiAccess, OpenAIAccess], Field(discriminator="provider")]


class ProviderInfo(BaseModel):
    id: Literal["gemini", "openai"]
    available: bool = Field(description="false when the server holds no key for it")
    transport: Literal["websocket", "webrtc"]
    model: str = Field(description="the model a client names in its setup (Gemini)")


class Providers(BaseModel):
    providers: list[ProviderInfo]


class AccessGranted(BaseModel):
    sessionId: str
    providerAccess: GeminiAccess


class CallPlaced(BaseModel):
    # speakpho.metering.access.connect_call.
    provider: Literal["openai"]
    sdp: str = Field(description="the SDP answer for the browser's peer connection")
    callId: str = Field(description="OpenAI's call id (from the Location header)")
    expiresAt: Epoch = Field(description="the server hangs the call up by then")


RenewedAccess = Optional[GeminiAccess]

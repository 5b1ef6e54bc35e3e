"""Session area routes: start, heartbeat, switch provider, events, end, usage."""
from __future__ import annotations

from typing import Annotated, Optional

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from speakpho import idempotency, metering
from speakpho.api import IdempotencyKey, caller, keyed_responses, ok, refusal
from speakpho.clock import clock
from speakpho.config import get_settings
from speakpho.deps import metering_store, provider_ports
from speakpho.metering import access
from speakpho.models import (ConnectRequest, EndSessionRequest, SessionEventsRequest, SessionRef,
                             StartSessionRequest, SwitchProviderRequest)
from speakpho.providers.catalog import provider_list

from session import telemetry

router = Router()


def _user() -> metering.UserRef:
    who = caller(router)
    return metering.UserRef(user_id=who.user_id, email=who.email, email_verified=who.email_verified is True)


@router.post("/api/session/start", summary="Admit and reserve a voice session",
             responses={**keyed_responses(201, "the session started",
                                          "start_contended (too many starts of the learner at once)"),
                        402: refusal("limit_reached: no voice minutes left in this period"),
                        403: refusal("email_unverified: the token's email is not verified"),
                        502: refusal("provider_error: the provider refused to grant access; nothing started"),
                        503: refusal("provider_unavailable: the provider has no key; details.available names "
                                     "those that do; nothing started"),
                        429: refusal("start_rate_limited (starts an hour) or daily_session_limit (sessions "
                                     "a day): nothing started; retry after Retry-After seconds",
                                     retry_after=True)})
def start(body: Annotated[Optional[StartSessionRequest], Body()] = None,
          idempotency_key: IdempotencyKey = None):
    request = body or StartSessionRequest()
    user = _user()
    settings = get_settings()
    # With a key, the start's own transaction records it: a retry gets the first answer.
    once = idempotency.keyed(("start", user.user_id), idempotency_key, request.model_dump(),
                             ttl_seconds=settings.idempotency_ttl_seconds)
    tokens = []
    data, replayed = metering.start_or_replay(metering_store(), settings, clock, user, request, once=once,
                                              ports=provider_ports(), admitted=tokens.append)
    if not replayed:   # a replayed answer is not counted again
        telemetry.session_started(data, first_start_of_hour=bool(tokens) and tokens[0].first_of_hour)
    return ok(data, 201)


@router.post("/api/session/heartbeat", summary="Record that a session is alive")
def heartbeat(body: Annotated[SessionRef, Body()]):
    return ok(metering.heartbeat(metering_store(), get_settings(), clock, _user(), body.sessionId, provider_ports()))


@router.post("/api/session/switch-provider", summary="Switch to the other voice provider, with its access",
             responses={429: refusal("switch_limit: the session made its switches, or access_limit: it had its "
                                     "grants; nothing switched"),
                        502: refusal("provider_error: the provider refused access (the switch is recorded)"),
                        503: refusal("provider_unavailable: nothing switched")})
def switch_provider(body: Annotated[SwitchProviderRequest, Body()]):
    data = metering.switch_provider(metering_store(), get_settings(), clock, _user(), body.sessionId, body.provider,
                                    body.disconnectCode, body.disconnectReason, provider_ports())
    telemetry.provider_switched(data)
    return ok(data)


@router.post("/api/session/events", summary="Record the client's connection events (each eventId once)")
def events(body: Annotated[SessionEventsRequest, Body()]):
    return ok(metering.record_events(metering_store(), get_settings(), clock, _user(), body))


@router.post("/api/session/end", summary="End a session, charge it once and store its transcript")
def end(body: Annotated[EndSessionRequest, Body()]):
    data, recorded = metering.end_session(metering_store(), get_settings(), clock, _user(), body, provider_ports())
    if recorded:
        telemetry.session_ended(data, recorded)
    return ok(data)


@router.get("/api/usage", summary="The caller's voice minutes in the current period")
def usage():
    return ok(metering.get_usage(metering_store(), get_settings(), clock, _user()))


@router.get("/api/session/providers", summary="The voice providers, how each connects, and which are available")
def providers():
    return ok({"providers": provider_list(get_settings(), provider_ports().keys)})


@router.post("/api/session/access", summary="A new Gemini token for a live session (a reconnect or a renewal)",
             responses={402: refusal("limit_reached: the session has no minutes left"),
                        429: refusal("access_limit: the session had its grants"),
                        502: refusal("provider_error: Gemini refused the token"),
                        503: refusal("provider_unavailable: Gemini has no key")})
def provider_access(body: Annotated[SessionRef, Body()]):
    return ok(access.grant_access(metering_store(), provider_ports(), get_settings(), clock, _user(), body.sessionId))


@router.post("/api/session/connect", summary="Place the session's OpenAI call with the browser's WebRTC offer",
             responses={**keyed_responses(200, "the call is placed: the SDP answer and the call id",
                                          "wrong_transport (a Gemini session), session_not_active or "
                                          "connect_contended"),
                        402: refusal("limit_reached: the session has no minutes left"),
                        429: refusal("access_limit: the session had its grants"),
                        502: refusal("provider_error: OpenAI refused the call"),
                        503: refusal("provider_unavailable: OpenAI has no key")})
def connect(body: Annotated[ConnectRequest, Body()], idempotency_key: IdempotencyKey = None):
    user = _user()
    settings = get_settings()
    once = idempotency.keyed(("connect", user.user_id), idempotency_key, body.model_dump(),
                             ttl_seconds=settings.idempotency_ttl_seconds)
    data, _ = access.connect_call(metering_store(), provider_ports(), settings, clock, user, body.sessionId,
                                  body.sdp, once=once)
    return ok(data)

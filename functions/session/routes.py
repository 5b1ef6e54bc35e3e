"""Session area routes: start, heartbeat, switch provider, events, end, usage."""
from __future__ import annotations

from typing import Annotated, Optional

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from speakpho import idempotency, metering
from speakpho.api import IdempotencyKey, caller, keyed_responses, ok, refusal
from speakpho.clock import clock
from speakpho.config import get_settings
from speakpho.deps import metering_store
from speakpho.models import (EndSessionRequest, SessionEventsRequest, SessionRef, StartSessionRequest,
                             SwitchProviderRequest)

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
                        429: refusal("start_rate_limited (starts this hour) or daily_session_limit (sessions "
                                     "this UTC day): nothing started; retry after Retry-After seconds",
                                     retry_after=True)})
def start(body: Annotated[Optional[StartSessionRequest], Body()] = None,
          idempotency_key: IdempotencyKey = None):
    request = body or StartSessionRequest()
    user = _user()
    settings = get_settings()
    # With a key, the start's own transaction records it: a retry gets the first answer.
    once = idempotency.keyed(("start", user.user_id), idempotency_key, request.model_dump(),
                             ttl_seconds=settings.idempotency_ttl_seconds)
    data, replayed = metering.start_or_replay(metering_store(), settings, clock, user, request, once=once)
    if not replayed:
        telemetry.session_started(data)  # a replayed answer is not counted again
    return ok(data, 201)


@router.post("/api/session/heartbeat", summary="Record that a session is alive")
def heartbeat(body: Annotated[SessionRef, Body()]):
    return ok(metering.heartbeat(metering_store(), get_settings(), clock, _user(), body.sessionId))


@router.post("/api/session/switch-provider", summary="Record a switch to the other voice provider")
def switch_provider(body: Annotated[SwitchProviderRequest, Body()]):
    data = metering.switch_provider(metering_store(), clock, _user(), body.sessionId, body.provider,
                                    body.disconnectCode, body.disconnectReason)
    telemetry.provider_switched(data)
    return ok(data)


@router.post("/api/session/events", summary="Record the client's connection events (each eventId once)")
def events(body: Annotated[SessionEventsRequest, Body()]):
    return ok(metering.record_events(metering_store(), clock, _user(), body))


@router.post("/api/session/end", summary="End a session, charge it once and store its transcript")
def end(body: Annotated[EndSessionRequest, Body()]):
    data, recorded = metering.end_session(metering_store(), get_settings(), clock, _user(), body)
    if recorded:
        telemetry.session_ended(data, recorded)
    return ok(data)


@router.get("/api/usage", summary="The caller's voice minutes in the current period")
def usage():
    return ok(metering.get_usage(metering_store(), get_settings(), clock, _user()))

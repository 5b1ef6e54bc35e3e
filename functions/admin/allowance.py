"""Admin: set a learner's voice allowance for the current period (kept with who and why)."""
from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from speakpho import metering
from speakpho.api import caller, ok
from speakpho.clock import clock, utc_month
from speakpho.config import get_settings
from speakpho.deps import metering_store
from speakpho.models import AllowanceRequest

from admin import audit

router = Router()
# A learner's id as the API hands it out (a Cognito sub): URL-unreserved characters only, so a
# percent-encoded path is refused instead of becoming a user of its own.
UserId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._~-]+$")]


@router.put("/api/admin/users/<userId>/allowance", summary="Set a user's allowance for the current period")
def set_allowance(userId: UserId, body: Annotated[AllowanceRequest, Body()]):
    who = caller(router)
    result = metering.set_allowance(metering_store(), get_settings(), clock,
                                    metering.UserRef(who.user_id, who.email),
                                    userId, body.secondsLimit, body.reason)
    return ok(result)


@router.get("/api/admin/users/<userId>/allowance", summary="A user's allowance, usage and its change history")
def get_allowance(userId: UserId):
    store = metering_store()
    period = utc_month(clock.now_ms())
    usage = metering.get_usage(store, get_settings(), clock, metering.UserRef(userId))
    changes = metering.allowance_history(store, userId, period)
    audit.read_on(router, audit.ALLOWANCE, learner_id=userId, rows=len(changes))
    return ok({"userId": userId, "usage": usage, "changes": changes})

"""Hanging up OpenAI calls the server no longer wants: at the end, at a sweep, when a newer
start or a switch moves away, when a second connect replaces the call, and at the limit.

The decision is recorded (a `call_hung_up` entry) by the same write that closes or moves the
session; the hangup itself follows that write. A hangup that fails is retried here, then
logged with the call and the session, and its schedule is kept: the Scheduler's hangup at
the limit (with its own retries and dead-letter queue) is the backstop.
"""
from __future__ import annotations

import logging
import time

from speakpho import story
from speakpho.providers.ports import ProviderError, ProviderPorts

logger = logging.getLogger(__name__)
ATTEMPTS = 3
BACKOFF_SECONDS = 0.2


def hung_up_entry(call_id: str, why: str, now: int) -> dict:
    return story.server_entry("call_hung_up", now, callId=call_id, why=why)


def hang_up(ports: ProviderPorts, *, session_id: str, call_id: str, why: str, cancel_schedule: bool = True) -> bool:
    """Hangs up `call_id` (retried); True once done. The schedule is deleted only then."""
    key = ports.keys.key("openai")
    for attempt in range(ATTEMPTS):
        try:
            if key is None:
                raise ProviderError("openai", "no key to hang up with")
            ports.openai.hangup(key, call_id)
            break
        except ProviderError as error:
            if attempt == ATTEMPTS - 1:
                logger.error("hangup failed", extra={"sessionId": session_id, "callId": call_id, "why": why,
                                                     "provider": error.provider, "status": error.status,
                                                     "detail": error.detail})
                return False
            time.sleep(BACKOFF_SECONDS * (attempt + 1))
    if cancel_schedule:
        try:
            ports.schedules.cancel(session_id)
        except Exception as exc:  # noqa: BLE001 - a leftover schedule only hangs up a call that is over
            logger.warning("hangup schedule not deleted", extra={"sessionId": session_id, "error": type(exc).__name__})
    return True

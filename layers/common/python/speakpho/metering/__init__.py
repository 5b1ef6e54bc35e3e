"""Voice-minute metering: admit and reserve, heartbeat, switch provider, end, sweep, allowance.

Domain logic only: each function takes plain data, the settings, a MeteringStore and the
clock; it knows nothing of HTTP, nor of the AWS SDK or the AttributeValue codec (a lost
race comes back from the store as speakpho.errors.ConditionLost). Usage is metered in whole
seconds. A session may use at most what remained of the period when it started
(`remainingAtStart`); it is charged once, when it ends.

    usage.py      the period's totals, elapsed time, a live session's charge; GET /api/usage
    start.py      admit and reserve (closing the previous active session as stale); a keyed start's replay
    limits.py     the learner's start limits: starts per UTC hour, sessions per UTC day (pure)
    live.py       heartbeat and provider switch of a live session
    end.py        end: charge once (net of the credit), store the transcript once, the end reason
    events.py     the client's connection events (POST /api/session/events, and those of the end)
    sweep.py      close sessions whose heartbeats stopped
    allowance.py  admins set a learner's allowance (with its audit trail)
    grants.py     provider access inside a live session: a Gemini token, recorded (speakpho.access)
    access.py     POST /api/session/access and /connect, and the hangup at the limit

Callers use the package: `from speakpho import metering; metering.start_session(...)`.
"""
from __future__ import annotations

from speakpho.metering.allowance import allowance_history, set_allowance
from speakpho.metering.end import end_session
from speakpho.metering.events import record_events
from speakpho.metering.live import heartbeat, switch_provider
from speakpho.metering.start import start_or_replay, start_session
from speakpho.metering.sweep import close_stale_sessions
from speakpho.metering.usage import UserRef, get_usage

__all__ = ["UserRef", "get_usage", "start_session", "start_or_replay", "heartbeat", "switch_provider", "end_session",
           "record_events", "close_stale_sessions", "set_allowance", "allowance_history"]

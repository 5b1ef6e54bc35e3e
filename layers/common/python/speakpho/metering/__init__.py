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

import importlib

# Each name is loaded from its module on first use (PEP 562): a function that needs only the
# allowance (the admin function) does not pay at cold start for start, end and provider access.
_HOMES = {
    "allowance_history": "allowance", "set_allowance": "allowance", "end_session": "end",
    "record_events": "events", "heartbeat": "live", "switch_provider": "live", "start_or_replay": "start",
    "start_session": "start", "close_stale_sessions": "sweep", "UserRef": "usage", "get_usage": "usage",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value

"""The lease arithmetic: pure functions of the settings, the time and the minutes left
(table-driven tests: tests/unit/test_lease.py).

A Gemini token is the lease: it expires at now + min(seconds left + grace, one lease), so no
client can talk past its minutes by more than the grace, and a client that stops following
the protocol holds at most one lease. A new connection must open within the new-session
window (and never after the token's expiry).
"""
from __future__ import annotations

from speakpho.config import Settings

# A session gets provider access (a token, a call) at most this many times: a client looping
# on grants costs the provider calls of one session, not more.
MAX_GRANTS_PER_SESSION = 100


def seconds_left(started_at: int, cap_seconds: int, now: int) -> int:
    """What the session may still use: its cap less the time since it started."""
    return max(0, int(cap_seconds) - max(0, (now - int(started_at)) // 1000))


def gemini_lease(settings: Settings, now: int, left_seconds: int) -> tuple[int, int]:
    """(expireTime, newSessionExpireTime) in epoch ms of a token minted at `now`."""
    expires = now + min(left_seconds + settings.lease_grace_seconds, settings.lease_max_seconds) * 1000
    return expires, min(expires, now + settings.new_session_window_seconds * 1000)


def renewal_due(settings: Settings, access_until: int | None, now: int, left_seconds: int) -> bool:
    """The heartbeat carries the next token once the current one has less than renew_before left,
    and only when the next one would last longer by at least a heartbeat interval: near the end
    of the minutes every new token would expire when the current one does (a mint for nothing)."""
    if access_until is None:
        return left_seconds > 0
    if int(access_until) - now >= settings.renew_before_seconds * 1000:
        return False
    return gemini_lease(settings, now, left_seconds)[0] >= int(access_until) + settings.heartbeat_interval_seconds * 1000


def hangup_at(settings: Settings, started_at: int, cap_seconds: int) -> int:
    """When the server hangs up an OpenAI call at the latest: the limit plus the grace."""
    return int(started_at) + (int(cap_seconds) + settings.lease_grace_seconds) * 1000

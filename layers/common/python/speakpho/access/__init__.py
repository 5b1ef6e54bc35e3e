"""Provider access for a session: the lease arithmetic, the grants (a Gemini token, an OpenAI
call's terms) and the hangups (docs/providers.md).

    lease.py    pure: a token's expiry from the minutes left, when to renew, when to hang up
    grant.py    a Gemini ephemeral token as providerAccess, and its story entry
    hangup.py   hanging up OpenAI calls the server no longer wants (and their schedules)

The session transitions that use these live in speakpho.metering (start, switch, heartbeat
renewal, POST /api/session/access and /connect, end, sweep). Imports flow one way:
speakpho.metering -> speakpho.access -> speakpho.providers / speakpho.coach.
"""

"""Provider access as the client gets it (`providerAccess`), and the story entry recording it."""
from __future__ import annotations

from speakpho import story
from speakpho.access.lease import gemini_lease
from speakpho.coach import coach_profile, gemini_setup
from speakpho.config import Settings
from speakpho.errors import BadGateway
from speakpho.providers.catalog import TRANSPORTS
from speakpho.providers.ports import ProviderError, ProviderPorts

CONNECT_PATH = "/api/session/connect"


def provider_failed(error: ProviderError) -> BadGateway:
    """502 provider_error: the provider's status and short detail, never a key or a token."""
    return BadGateway(f"{error.provider} did not grant access; try again or use the other provider",
                      {"provider": error.provider, "status": error.status})


def gemini_access(ports: ProviderPorts, settings: Settings, *, key: str, session: dict, now: int,
                  left_seconds: int) -> tuple[dict, dict]:
    """(providerAccess, its access_granted entry): a one-use token locking the coach's setup."""
    expires, new_session = gemini_lease(settings, now, left_seconds)
    setup = gemini_setup(settings.gemini_model, coach_profile(session["topic"], session["difficulty"],
                                                              session["mode"]))
    try:
        token = ports.gemini.mint(key, setup=setup, uses=1, expire_at_ms=expires, new_session_expire_at_ms=new_session)
    except ProviderError as error:
        raise provider_failed(error) from None
    access = {"provider": "gemini", "transport": TRANSPORTS["gemini"], "url": settings.gemini_live_url,
              "token": token, "expiresAt": expires, "newSessionExpiresAt": new_session}
    return access, story.server_entry("access_granted", now, provider="gemini", expiresAt=expires)


def openai_access(hangup_at: int) -> dict:
    """What an OpenAI session's client gets: where to send its offer; the call ends by hangup_at."""
    return {"provider": "openai", "transport": TRANSPORTS["openai"], "connectPath": CONNECT_PATH,
            "expiresAt": hangup_at}

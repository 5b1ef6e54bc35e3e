"""Granting provider access inside a live session: a Gemini token (the /access route, a
switch to Gemini, a heartbeat's renewal) recorded with its story entry on the session and
its period's live meter (AccessStore.record_access)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from speakpho.access.grant import gemini_access
from speakpho.access.lease import seconds_left
from speakpho.errors import AppError, LimitReached
from speakpho.metering.usage import sweep_at
from speakpho.providers.catalog import require_key

if TYPE_CHECKING:
    from speakpho.config import Settings
    from speakpho.metering_store import MeteringStore
    from speakpho.providers.ports import ProviderPorts

logger = logging.getLogger(__name__)


def left_in_session(session: dict, now: int) -> int:
    """Seconds the session may still use; 402 limit_reached when none."""
    left = seconds_left(session["startedAt"], session["remainingAtStart"], now)
    if left <= 0:
        raise LimitReached("this session has used all the minutes it had", {"sessionId": session["sessionId"]})
    return left


def grant_gemini(store: MeteringStore, ports: ProviderPorts, settings: Settings, session: dict, now: int, *,
                 extra_entries: tuple[dict, ...] = (), drop_call: bool = False) -> dict:
    """Mints a token for the session (which must be on Gemini) and records it; the
    providerAccess. ConditionLost when the session changed meanwhile (the caller decides)."""
    left = left_in_session(session, now)
    key = require_key(settings, ports.keys, "gemini")
    access, entry = gemini_access(ports, settings, key=key, session=session, now=now, left_seconds=left)
    store.record_access(user_id=session["userId"], period=session["period"], session_id=session["sessionId"],
                        provider="gemini", now=now, sweep_at=sweep_at(settings, now), entries=[*extra_entries, entry],
                        access_until=access["expiresAt"], **({"call_id": None} if drop_call else {}))
    return access


def renew_gemini(store: MeteringStore, ports: ProviderPorts, settings: Settings, session_id: str,
                 now: int) -> dict | None:
    """A heartbeat's renewal: the next token, or None when it cannot be given now (the
    session moved on, or the provider refused: the next heartbeat tries again). Never fails
    the heartbeat itself."""
    session = store.get_session(session_id, consistent=True)
    if not session or session.get("status") != "active" or session.get("provider") != "gemini":
        return None
    try:
        return grant_gemini(store, ports, settings, session, now)
    except AppError as refused:
        logger.warning("token renewal refused", extra={"sessionId": session_id, "code": refused.code})
    except Exception as exc:  # noqa: BLE001 - ConditionLost or a store error: the heartbeat still answers
        logger.warning("token renewal skipped", extra={"sessionId": session_id, "error": type(exc).__name__})
    return None

"""One session for admins: the session (with its user), its timeline, its transcript and its
corrections. The timeline is on the session item: no request of its own, but for a live
session, whose events wait in their batches (one Query)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho import close_codes, story
from speakpho.errors import NotFound
from speakpho.views import correction_view, message_view

from admin.health.listing import admin_session_row

if TYPE_CHECKING:
    from admin.health.ports import SessionDetails

# What a timeline entry shows, in this order (eventIds stay in the store).
TIMELINE_FIELDS = ("at", "type", "source", "provider", "code", "label", "reason", "connectMs", "from", "to",
                   "endReason", "endedBy", "receivedAt", "clientAt", "skewMs", "expiresAt", "callId", "why")


def timeline_entry(entry: dict) -> dict:
    shown = dict(entry)
    if entry.get("code") is not None:
        shown["label"] = close_codes.label(int(entry["code"]))
    return {name: shown[name] for name in TIMELINE_FIELDS if shown.get(name) is not None}


def timeline_view(entries: list[dict] | None) -> list[dict]:
    """The story in order (speakpho.story.ordered), each code with its label."""
    return [timeline_entry(e) for e in story.ordered(entries or [])]


def live_story(store: SessionDetails, session: dict) -> list[dict]:
    """The story; a live session's events are still in their batches (speakpho.metering.fold)."""
    entries = session.get("story") or []
    if session.get("status") != "active":
        return entries
    return entries + story.batched_entries(store.event_batches(session["sessionId"]), session.get("eventIds"))


def session_detail(store: SessionDetails, session_id: str) -> dict:
    session = store.get_session(session_id)
    if not session:
        raise NotFound("session not found")
    return {
        "session": admin_session_row(session),   # as its list row: switchCause and reconnects too
        "timeline": timeline_view(live_story(store, session)),
        "messages": [message_view(m) for m in store.session_messages(session_id)],
        "corrections": [correction_view(c) for c in store.session_corrections(session_id)],
    }

"""One session for admins: the session (with its user), its transcript and its corrections."""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho.errors import NotFound
from speakpho.views import correction_view, message_view, session_view

if TYPE_CHECKING:
    from admin.health.ports import SessionDetails


def session_detail(store: SessionDetails, session_id: str) -> dict:
    session = store.get_session(session_id)
    if not session:
        raise NotFound("session not found")
    return {
        "session": session_view(session, include_user=True),
        "messages": [message_view(m) for m in store.session_messages(session_id)],
        "corrections": [correction_view(c) for c in store.session_corrections(session_id)],
    }

"""A live session's event batches folded into its story by the write that closes it (the
learner's end, the sweeper's close, a newer start's close), so that every reader of a closed
session (the end's credit, the rollups on the sessions stream, the admin's detail and export)
finds the whole story on the item, as before the batches existed.

An events call writes its batch, then reads the status (speakpho.metering.events): a close
that committed before that read is seen, and the call puts its events on the item itself. A
close that commits after it may still have read the batches before the batch was written, so
after its commit the closer looks once more (fold_stragglers) and puts what it missed on the
item. Either way each eventId lands once: the item's writes are conditioned on the eventIds
it holds.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho import story
from speakpho.errors import Conflict, PayloadTooLarge
from speakpho.metering.events import record_on_item
from speakpho.metering.usage import UserRef

if TYPE_CHECKING:
    from speakpho.story_store import StoryStore


def within(entries: list[dict], low: int, high: int) -> list[dict]:
    """The entries clamped into the closed session's span [low, high]: a batch's times were
    clamped to its call's time, which a close's `endedAt` (a last heartbeat) may precede."""
    kept = []
    for entry in entries:
        at = story.clamp(entry["at"], low, high)
        if at != entry["at"]:
            entry = {**entry, "at": at, "clientAt": entry.get("clientAt", entry["at"] - int(entry.get("skewMs") or 0))}
        kept.append(entry)
    return kept


def pending_events(store: StoryStore, session_id: str, on_item, low: int, high: int) -> list[dict]:
    """The events of the session's batches not on its item yet, clamped into [low, high]."""
    return within(story.batched_entries(store.event_batches(session_id), on_item), low, high)


def fold_into_closing(store: StoryStore, closing: dict, row: dict) -> dict:
    """A server's close (speakpho.metering.usage.stale_closing, from the period row) with the
    session's batched events put before its own entries and their ids in `foldedIds`."""
    pending = pending_events(store, closing["sessionId"], (), int(row["activeStartedAt"]), int(closing["endedAt"]))
    return {**closing, "storyEntries": pending + list(closing["storyEntries"]),
            "foldedIds": [e["eventId"] for e in pending]}


def fold_stragglers(store: StoryStore, *, user_id: str, session_id: str, folded, now: int) -> int:
    """After a close committed: the batches' events it did not fold (written while it
    committed) put on the item, as events of a closed session. Returns how many."""
    missed = story.batched_entries(store.event_batches(session_id), folded)
    if not missed:
        return 0
    put = 0
    for start in range(0, len(missed), story.MAX_EVENTS_PER_CALL):
        chunk = missed[start:start + story.MAX_EVENTS_PER_CALL]
        session = store.get_session(session_id, consistent=True)
        try:
            answer = record_on_item(store, UserRef(user_id), session, chunk, received=len(chunk), now=now,
                                    entries_of=within)
        except (Conflict, PayloadTooLarge):
            break   # the session's story is full (the same refusal the call itself would have had)
        put += answer["accepted"]
    return put

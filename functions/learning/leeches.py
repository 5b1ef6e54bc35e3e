"""Leeches: a correction the learner keeps forgetting is suspended from review (Anki's rule:
8 lapses). Domain rules only (plain data); review.py and conversation.py apply them.

* A lapse is an FSRS review rated Again, from the Review tab (confidenceLevel 0-2) or from
  conversation (the original mistake said again, conversation.py). Each adds 1 to the
  correction's ``lapses``.
* At LEECH_LAPSES the correction becomes a leech: ``leech = true`` and no ``dueAt``, so it
  leaves the sparse corrections_due index (the review queue and dueCount), as a disputed one
  does. Conversation reviews skip it too.
* PATCH {leech: false} resumes it: ``lapses`` starts again from 0 (8 new lapses make it a leech
  again, not the next one) and it is back in the queue when its review is due (``nextReviewAt``,
  or now for a never-rated one), unless it is also disputed. PATCH {leech: true} suspends it
  by hand. PATCH {explanation} rephrases its explanation (a leech is often a badly explained
  correction).
"""
from __future__ import annotations

LEECH_LAPSES = 8
LAPSE_RATING = "Again"


def lapse_changes(item: dict, rating: str) -> dict:
    """What a review rated `rating` sets besides its schedule: the lapse count and, at
    LEECH_LAPSES, the leech flag (queue_changes then takes it out of the queue)."""
    if rating != LAPSE_RATING:
        return {}
    lapses = int(item.get("lapses") or 0) + 1
    return {"lapses": lapses, "leech": True} if lapses >= LEECH_LAPSES else {"lapses": lapses}


def suspension_changes(item: dict, *, leech: bool | None, explanation: str | None) -> tuple[dict, tuple[str, ...]]:
    """(sets, removes) of PATCH {leech} and/or {explanation}."""
    sets: dict = {}
    removes: tuple[str, ...] = ()
    if explanation is not None and explanation != item.get("explanation"):
        sets["explanation"] = explanation
    if leech is not None and leech != bool(item.get("leech")):
        if leech:
            sets["leech"] = True
        else:
            sets["lapses"] = 0
            removes = ("leech",)
    return sets, removes


def suspended(item: dict) -> bool:
    """Out of the review queue: flagged as wrong, or a leech."""
    return bool(item.get("disputed")) or bool(item.get("leech"))


def queue_changes(before: dict, after: dict, now: int) -> tuple[dict, tuple[str, ...]]:
    """(sets, removes) keeping the sparse corrections_due index right once `before` became
    `after`: a suspended correction has no dueAt; one no longer suspended is back in the queue
    when its review is due (nextReviewAt, or now for a never-rated one)."""
    if suspended(after):
        return {}, ("dueAt",) if "dueAt" in after else ()
    if suspended(before):
        return {"dueAt": after.get("nextReviewAt") or min(after["createdAt"], now)}, ()
    return {}, ()

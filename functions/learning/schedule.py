"""FSRS scheduling of one correction's card: a rating from the Review tab (review.py) or from
conversation (conversation.py) goes through the same code.

Spaced repetition uses the maintained `fsrs` package (FSRS-6: the default parameters, or the
learner's own once the optimiser has fitted them, at the learner's desired retention, 90 % by
default: learning/memory.py). Each correction is one card:

* card id: fsrs wants an int; it is the top 64 bits of the correction's UUID
  (``uuid.UUID(correctionId).int >> 64``): stable, derived from the correction id alone,
  and small enough for a DynamoDB number.
* card state: ``card.to_dict()`` stored on the correction item as ``fsrsCard`` with
  ``fsrsSchema = 1``; read back with ``fsrs.Card.from_dict``.
* a PATCH carrying ``confidenceLevel`` is one review at the clock's time, rated on the
  six-grade self-assessment scale the way FSRS's maintainers map such scales:

  ==================  =============
  confidenceLevel     fsrs.Rating
  ==================  =============
  0, 1, 2             Again
  3                   Hard
  4                   Good
  5                   Easy
  ==================  =============

* each review appends ``[reviewedAtMs, rating]`` to the card's ``reviewLog`` (the optimiser's
  history) and adds 1 to the learner's ``#memory`` row's ``reviewCount``, in the review's own
  write;
* ``nextReviewAt`` = the card's due time in epoch ms, and ``dueAt`` (the key of the
  corrections_due index) follows it. A never-rated correction is due from its creation,
  so the review queue holds never-rated cards and rated cards whose time has come.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from speakpho.errors import Conflict

from learning import leeches, memory

FSRS_SCHEMA = 1
RATING_BY_CONFIDENCE = {0: "Again", 1: "Again", 2: "Again", 3: "Hard", 4: "Good", 5: "Easy"}
REVIEW_LOG_LIMIT = 100   # reviews kept in a card's reviewLog (the optimiser's history); later ones schedule, unlogged


def fsrs_card_id(correction_id: str) -> int:
    return uuid.UUID(correction_id).int >> 64


def utc_datetime(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def scheduler():
    """The default scheduler (FSRS-6 defaults, 90 % retention); warmed before a SnapStart snapshot."""
    return memory.scheduler_for(None)


def schedule_review(item: dict, confidence_level: int, review_time: datetime, memory_row: dict | None = None) -> dict:
    """The fields one review writes: the new card state, its schema, the next due time and the
    card's review log with this review appended ([reviewedAtMs, rating], at most REVIEW_LOG_LIMIT).
    Scheduled with the learner's own parameters and desired retention (learning/memory.py)."""
    return schedule_rating(item, RATING_BY_CONFIDENCE[confidence_level], review_time, memory_row)


def schedule_rating(item: dict, rating_name: str, review_time: datetime, memory_row: dict | None = None) -> dict:
    """schedule_review with an fsrs.Rating's name ("Again", "Good"...): a review from conversation
    (learning/conversation.py) is scheduled by the same code as a rating from the Review tab."""
    import fsrs

    stored = item.get("fsrsCard")
    if stored is not None:
        if item.get("fsrsSchema") != FSRS_SCHEMA:
            raise Conflict("this correction's review state was written by a newer version; retry",
                           code="card_schema_unknown")
        card = fsrs.Card.from_dict(stored)
    else:
        card = fsrs.Card(card_id=fsrs_card_id(item["correctionId"]), due=utc_datetime(item["createdAt"]))
    rating = fsrs.Rating[rating_name]
    card, _log = memory.scheduler_for(memory_row).review_card(card, rating, review_datetime=review_time)
    due = _epoch_ms(card.due)
    log = list(item.get("reviewLog") or [])
    if len(log) < REVIEW_LOG_LIMIT:
        log.append([_epoch_ms(review_time), int(rating)])
    return {"fsrsCard": card.to_dict(), "fsrsSchema": FSRS_SCHEMA, "nextReviewAt": due, "dueAt": due,
            "reviewLog": log, **leeches.lapse_changes(item, rating_name)}


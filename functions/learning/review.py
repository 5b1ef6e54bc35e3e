"""Corrections review: lists with filters and counters, reviews scheduled with FSRS, the
review queue, and the import of corrections kept in the browser's localStorage.

Domain logic only (plain data, a LearningStore, the clock); no HTTP here.

Spaced repetition: learning/schedule.py (FSRS, one card per correction); the review queue holds
never-rated cards and rated cards whose time has come.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from speakpho import cursors
from speakpho.clock import Clock
from speakpho.corrections import (CORRECTION_LISTS, IMPORTED, IMPORTED_COUNTER, imported_correction_id, index_keys,
                                  list_key_attributes, new_correction_item)
from speakpho.errors import ConditionLost, Conflict, NotFound, PayloadTooLarge, Unprocessable
from speakpho.idempotency import KeyedCall
from speakpho.views import correction_stats_view, correction_view
from speakpho.tables import is_correction_id

from learning import leeches, memory
from learning.requests import CorrectionReview, CorrectionsImport
# review's own names too: handler.py warms review.scheduler; tests read RATING_BY_CONFIDENCE, FSRS_SCHEMA.
from learning.schedule import (FSRS_SCHEMA, RATING_BY_CONFIDENCE, scheduler, schedule_review,  # noqa: F401
                               utc_datetime)

if TYPE_CHECKING:  # the store is passed in; the domain never imports botocore through it
    from speakpho.config import Settings

    from learning.learning_store import LearningStore

REVIEW_ATTEMPTS = 3
CONTENDED_RETRY_AFTER_SECONDS = 1
DUE_COUNT_CAP = 99   # the review queue counts due corrections up to here ("99+" past it)
MAX_FUTURE_CREATED_MS = 24 * 3600 * 1000  # imported createdAt may run ahead of us by a clock skew, not more


# --------------------------------------------------------------------------- lists
def _correction_list(user_id: str, reviewed: bool | None, category: str | None) -> tuple[str, str, str]:
    index, attribute = CORRECTION_LISTS[(reviewed is not None, category is not None)]
    if attribute == "userId":
        return index, attribute, user_id
    keys = index_keys(user_id, category, bool(reviewed))
    return index, attribute, keys[attribute]


def _start_key(cursor: str, user_id: str, attribute: str, value: str) -> dict:
    key = cursors.decode(cursor).get("k")
    expected = list_key_attributes(attribute)
    if (not isinstance(key, dict) or sorted(key) != sorted(expected) or key.get("userId") != user_id
            or key.get(attribute) != value or not cursors.is_int(key.get("createdAt"))
            or not cursors.is_str(key.get("correctionId"), max_length=128)):
        raise cursors.invalid()  # malformed, someone else's, or made for other filters
    return key


def lifetime_bounds(settings: Settings) -> dict:
    """What the learner's data is bounded by (docs/learning.md "Lifetime bounds"), shown on the
    learning page's account card with stats.total."""
    return {"correctionsLimit": settings.corrections_limit,
            "transcriptRetentionDays": settings.transcript_retention_days}


def list_corrections(store: LearningStore, settings: Settings, user_id: str, *, reviewed: bool | None,
                     category: str | None, limit: int, cursor: str | None) -> dict:
    """Newest first, from the one index matching the filters; stats cover every correction,
    bounds come from the settings (no read)."""
    index, attribute, value = _correction_list(user_id, reviewed, category)
    start = _start_key(cursor, user_id, attribute, value) if cursor else None
    items, more = store.list_corrections(index=index, partition_attribute=attribute, partition_value=value,
                                         limit=limit, start_key=start)
    result = {
        "corrections": [correction_view(i) for i in items],
        "stats": correction_stats_view(store.get_stats(user_id)),
        "bounds": lifetime_bounds(settings),
    }
    if more and items:
        last = items[-1]
        result["nextCursor"] = cursors.encode({"k": {a: last[a] for a in list_key_attributes(attribute)}})
    return result


def review_queue(store: LearningStore, clock: Clock, user_id: str, *, limit: int) -> dict:
    """The `limit` most overdue corrections and how many are due, counted up to
    DUE_COUNT_CAP: past it, dueCount = DUE_COUNT_CAP and dueCountCapped (the page shows
    "99+"), so the count costs the same however large the backlog. When the page holds
    every due correction, its length is the count (no second query)."""
    now = clock.now_ms()
    items, complete = store.due_corrections(user_id, now, limit)
    counted = len(items) if complete and len(items) < limit else \
        store.count_due(user_id, now, at_most=DUE_COUNT_CAP + 1)
    return {"corrections": [correction_view(i) for i in items], "dueCount": min(counted, DUE_COUNT_CAP),
            "dueCountCapped": counted > DUE_COUNT_CAP}


# --------------------------------------------------------------------------- review
def _check_review(request: CorrectionReview) -> None:
    if all(v is None for v in (request.reviewed, request.confidenceLevel, request.disputed, request.leech,
                                request.explanation)):
        raise Unprocessable("give reviewed, confidenceLevel, disputed, leech and/or explanation", {"field": "body"})
    if request.reviewed is False and request.confidenceLevel is not None:
        raise Unprocessable("a confidenceLevel is a review: it cannot come with reviewed=false",
                            {"field": "reviewed"})
    if request.disputed is not None and request.confidenceLevel is not None:
        raise Unprocessable("disputed comes alone or with reviewed, not with a confidenceLevel",
                            {"field": "disputed"})
    if request.leech is not None and request.confidenceLevel is not None:
        raise Unprocessable("leech comes without a confidenceLevel (resume it, then rate it)", {"field": "leech"})


def _review_changes(item: dict, user_id: str, request: CorrectionReview, now: int,
                    memory_row: dict | None = None) -> tuple[dict, tuple[str, ...]]:
    """(attributes to set, attributes to remove) for this request on this item."""
    sets: dict = {}
    removes: list[str] = []
    if request.reviewed is not None or request.confidenceLevel is not None:
        reviewed = True if request.confidenceLevel is not None else bool(request.reviewed)
        sets.update({"reviewed": reviewed, **index_keys(user_id, item.get("category"), reviewed)})
        if reviewed:
            sets["reviewedAt"] = now
        else:
            removes.append("reviewedAt")
    if request.confidenceLevel is not None:
        sets["confidenceLevel"] = request.confidenceLevel
        # the same clock reading as reviewedAt (clock.now_datetime() of that instant)
        sets.update(schedule_review(item, request.confidenceLevel, utc_datetime(now), memory_row))
    if request.disputed is not None and request.disputed != bool(item.get("disputed")):
        if request.disputed:
            sets["disputed"] = True
        else:
            removes.append("disputed")
    suspension_sets, suspension_removes = leeches.suspension_changes(item, leech=request.leech,
                                                                     explanation=request.explanation)
    sets.update(suspension_sets)
    removes.extend(suspension_removes)
    # Disputed or a leech: out of the sparse corrections_due index (the queue); neither any
    # more: back in it when its review is due (never rated: now).
    after = {k: v for k, v in {**item, **sets}.items() if k not in removes}
    queue_sets, queue_removes = leeches.queue_changes(item, after, now)
    sets.update(queue_sets)
    for name in queue_removes:
        sets.pop(name, None)
        removes.append(name)
    return sets, tuple(removes)


def review_correction(store: LearningStore, clock: Clock, user_id: str, correction_id: str,
                      request: CorrectionReview, *, once: KeyedCall | None = None) -> dict:
    """Marks reviewed/unreviewed, flags disputed or not and, with a confidenceLevel,
    records an FSRS review.

    A confidenceLevel implies reviewed=true (reviewed=false with one is refused) and is
    refused on a disputed correction (409 correction_disputed). Without a confidenceLevel
    the schedule is left as it is. A disputed correction has no dueAt (it leaves the
    review queue and the due count); unflagging gives it back dueAt = nextReviewAt, or
    its creation for a never-rated one. The write is conditioned on the version read, so
    concurrent reviews each apply once (the loser re-reads and retries).

    With `once` (an Idempotency-Key), the read also reads the key's record and the write puts
    it (speakpho.idempotency): a repeat answers the first answer and reviews nothing, however
    the first call ended; a write lost to this key's own earlier call re-reads and finds it.
    """
    _check_review(request)
    if not is_correction_id(correction_id):   # the learner's #stats and #memory rows are no corrections
        raise NotFound("correction not found")
    for _ in range(REVIEW_ATTEMPTS):
        memory_row = None
        if once:
            item, record, memory_row = store.get_correction_and_key(user_id, correction_id, once.record_id)
            replayed = once.replay(record, clock.now_ms())
            if replayed is not None:
                return replayed
        elif request.confidenceLevel is not None:   # an FSRS review: the learner's parameters too
            item, memory_row = store.get_correction_and_memory(user_id, correction_id)
        else:
            item = store.get_correction(user_id, correction_id)
        if not item:
            raise NotFound("correction not found")
        if request.confidenceLevel is not None and item.get("disputed"):
            raise Conflict("this correction is flagged as wrong: unflag it (disputed: false) before rating it",
                           code="correction_disputed")
        if request.confidenceLevel is not None and item.get("leech"):
            raise Conflict("this correction is a leech, suspended from review: resume it (leech: false) "
                           "before rating it", code="correction_leech")
        now = clock.now_ms()
        sets, removes = _review_changes(item, user_id, request, now, memory_row)
        updated = {**item, **sets}
        for name in removes:
            updated.pop(name, None)
        answer = {
            "id": correction_id,
            "reviewed": bool(updated.get("reviewed")),
            "reviewedAt": updated.get("reviewedAt"),
            "confidenceLevel": updated.get("confidenceLevel", 0),
            "nextReviewAt": updated.get("nextReviewAt"),
            "disputed": bool(updated.get("disputed")),
            "leech": bool(updated.get("leech")),
            "lapses": int(updated.get("lapses") or 0),
            "explanation": updated.get("explanation"),
        }
        if sets or removes:   # nothing to change (e.g. flagging a flagged one) writes nothing
            delta = int(sets.get("reviewed", bool(item.get("reviewed")))) - int(bool(item.get("reviewed")))
            try:
                store.save_review(user_id=user_id, correction_id=correction_id, version=item.get("version", 0),
                                  sets=sets, removes=removes, reviewed_delta=delta,
                                  key_record=once.record(answer, now) if once else None,
                                  memory_update=store.memory_review_update(
                                      user_id, memory.review_update(memory_row, now))
                                  if request.confidenceLevel is not None else None)
            except ConditionLost:
                continue  # reviewed meanwhile (another device, this key's own earlier call): re-read
        return answer
    raise Conflict("this correction is being reviewed elsewhere; retry", code="review_contended",
                   retry_after=CONTENDED_RETRY_AFTER_SECONDS)


# --------------------------------------------------------------------------- import
def import_corrections(store: LearningStore, settings: Settings, clock: Clock, user_id: str,
                       request: CorrectionsImport) -> dict:
    """Migrates localStorage corrections. Ids are derived from the content, so importing
    the same list again finds every item present and adds (and counts) nothing. A learner
    holds at most `settings.imported_corrections_limit` imported corrections: an import whose
    new items do not fit answers 413 import_limit_reached and writes nothing (the store's
    first transaction is conditioned on the room for all of them)."""
    now = clock.now_ms()
    items: dict[str, dict] = {}
    for i, c in enumerate(request.corrections):
        if c.createdAt is not None and c.createdAt > now + MAX_FUTURE_CREATED_MS:
            raise Unprocessable("createdAt is in the future", {"field": f"corrections.{i}.createdAt"})
        correction_id = imported_correction_id(user_id, c.original, c.correction, c.createdAt)
        if correction_id in items:
            continue
        created = c.createdAt if c.createdAt is not None else now
        item = new_correction_item(user_id=user_id, correction_id=correction_id, session_id=None, index=None,
                                   original=c.original, correction=c.correction, explanation=c.explanation,
                                   category=c.category, created_at=created)
        item["dueAt"] = min(created, now)
        item["source"] = IMPORTED
        items[correction_id] = item
    limit = settings.imported_corrections_limit
    imported, refused = store.insert_new_corrections(user_id, list(items.values()), imported_limit=limit)
    if refused:
        held = int((store.get_stats(user_id) or {}).get(IMPORTED_COUNTER, 0))   # read only when refused
        raise PayloadTooLarge(f"a learner keeps at most {limit} imported corrections; room for "
                              f"{max(0, limit - held)} more, this import has {refused} new",
                              {"field": "body.corrections", "limit": limit, "held": held, "new": refused,
                               "imported": imported}, code="import_limit_reached")
    return {"imported": imported, "skipped": len(request.corrections) - imported}

"""Corrections mastered in conversation: once a session's transcript is stored, the learner's
lines are checked against their open corrections, and each correction said in them is one
FSRS review, scheduled by the same code as a rating on the Review tab (schedule.schedule_rating,
with the learner's own parameters and retention, learning/memory.py):

* the corrected form said (phrase_match.USED_CORRECTLY) is a review rated Good;
* the original mistake said again (phrase_match.REPEATED_MISTAKE) is a lapse, rated Again (it
  counts toward a leech, learning/leeches.py).

Per correction and session, one review: a repeated mistake anywhere in the session wins (the
learner got it wrong unprompted), else the first line that used it correctly. Its evidence
{sessionId, at, outcome, text} is kept on the correction (the last EVIDENCE_KEPT), `at` being
the line's time within the session's span.

Which corrections: the DUE_CANDIDATES most overdue and the RECENT_CANDIDATES newest (two
bounded Queries, never a scan), less the session's own (made by the coach in this very
conversation), the disputed ones and the leeches.

Exactly once: a correction keeps ``evidenceThrough``, the start of the latest session that
reviewed it; a session that did not start after it reviews nothing on it. A learner has one
session at a time, so sessions start in order; a replayed stream record or a second end
finds every correction already past it. The write is conditioned on the version read (a
review from the Review tab meanwhile: re-read and try again). The review also counts in the
learner's #memory row: reviewCount (the optimiser's threshold), conversationUsedCorrectly /
conversationRepeatedMistake (the Review tab's counts).

Runs in the conversation function (learning/conversation_handler.py) on the sessions stream:
the end itself sends no request more.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from speakpho.clock import Clock
from speakpho.errors import ConditionLost
from speakpho.tables import is_correction_id

from learning import leeches, memory, phrase_match
from learning.schedule import schedule_rating

if TYPE_CHECKING:
    from learning.learning_store import LearningStore

DUE_CANDIDATES = 100
RECENT_CANDIDATES = 100
EVIDENCE_KEPT = 5
WRITE_ATTEMPTS = 3
RATING = {phrase_match.USED_CORRECTLY: "Good", phrase_match.REPEATED_MISTAKE: "Again"}
COUNTER = {phrase_match.USED_CORRECTLY: "conversationUsedCorrectly",
           phrase_match.REPEATED_MISTAKE: "conversationRepeatedMistake"}


def transcript_stored(new_image: dict | None, old_image: dict | None) -> dict | None:
    """The session when this change is the one that stored its transcript (contentStoredAt set
    now, not before), with learner content to check; else None. The deployed mapping's filter
    (infra) lets only such changes through; this check is the same rule for make dev."""
    if not new_image or not new_image.get("contentStoredAt") or (old_image or {}).get("contentStoredAt"):
        return None
    if not new_image.get("messageCount") or not new_image.get("historyUser") or new_image.get("contentWithdrawnAt"):
        return None
    return new_image


def session_outcomes(lines: list[dict], corrections: list[dict], session: dict) -> dict[str, tuple[str, dict]]:
    """{correctionId: (outcome, line)} for the corrections the session's lines said."""
    started = int(session.get("startedAt") or 0)
    found: dict[str, tuple[str, dict]] = {}
    said = [(phrase_match.words(line.get("text") or ""), line) for line in lines]
    for c in corrections:
        if (not is_correction_id(c["correctionId"]) or c.get("sessionId") == session["sessionId"]
                or leeches.suspended(c) or int(c.get("evidenceThrough") or -1) >= started):
            continue
        original, corrected = phrase_match.words(c["original"]), phrase_match.words(c["correction"])
        for words, line in said:
            result = phrase_match.outcome(words, original, corrected)
            if result == phrase_match.REPEATED_MISTAKE:
                found[c["correctionId"]] = (result, line)
                break
            if result and c["correctionId"] not in found:
                found[c["correctionId"]] = (result, line)
    return found


def _evidence(session: dict, outcome: str, line: dict) -> dict:
    low = int(session.get("startedAt") or 0)
    high = int(session.get("endedAt") or session.get("contentStoredAt") or low)
    at = min(max(int(line.get("timestamp") or high), low), max(low, high))
    return {"sessionId": session["sessionId"], "at": at, "outcome": outcome, "text": line["text"]}


def review_changes(item: dict, outcome: str, line: dict, session: dict, now: int,
                   memory_row: dict | None) -> tuple[dict, tuple[str, ...]]:
    """(sets, removes) of one conversation review on a correction."""
    review_time = datetime.fromtimestamp(now / 1000, tz=timezone.utc)
    sets = schedule_rating(item, RATING[outcome], review_time, memory_row)
    sets["evidence"] = [*(item.get("evidence") or []), _evidence(session, outcome, line)][-EVIDENCE_KEPT:]
    sets["evidenceThrough"] = int(session.get("startedAt") or 0)
    after = {**item, **sets}
    queue_sets, queue_removes = leeches.queue_changes(item, after, now)   # a lapse may make it a leech
    sets.update(queue_sets)
    for name in queue_removes:
        sets.pop(name, None)
    return sets, queue_removes


def review_session(store: LearningStore, clock: Clock, session: dict) -> dict:
    """Reviews the corrections this session's transcript said; returns the counts by outcome."""
    counts = {phrase_match.USED_CORRECTLY: 0, phrase_match.REPEATED_MISTAKE: 0}
    lines = store.learner_lines(session["sessionId"])
    if not lines:
        return counts
    user_id = session["userId"]
    now = clock.now_ms()
    candidates = store.open_corrections(user_id, now, due=DUE_CANDIDATES, recent=RECENT_CANDIDATES)
    found = session_outcomes(lines, candidates, session)
    if not found:
        return counts
    memory_row = store.get_memory(user_id)
    by_id = {c["correctionId"]: c for c in candidates}
    for correction_id, (outcome, line) in found.items():
        if _review_one(store, clock, user_id, by_id[correction_id], outcome, line, session, memory_row):
            counts[outcome] += 1
    return counts


def _review_one(store: LearningStore, clock: Clock, user_id: str, item: dict | None, outcome: str, line: dict,
                session: dict, memory_row: dict | None) -> bool:
    """One correction's review; False when it no longer applies (deleted, suspended, already
    reviewed from this session) or stays contended."""
    for _ in range(WRITE_ATTEMPTS):
        if (not item or leeches.suspended(item)
                or int(item.get("evidenceThrough") or -1) >= int(session.get("startedAt") or 0)):
            return False
        now = clock.now_ms()
        sets, removes = review_changes(item, outcome, line, session, now, memory_row)
        change = memory.review_update(memory_row, now)
        change["add"][COUNTER[outcome]] = 1
        try:
            store.save_review(user_id=user_id, correction_id=item["correctionId"], version=item.get("version", 0),
                              sets=sets, removes=removes, reviewed_delta=0,
                              memory_update=store.memory_review_update(user_id, change))
        except ConditionLost:   # reviewed meanwhile (the Review tab), or deleted: read it again
            item = store.get_correction(user_id, item["correctionId"])
            continue
        memory_row = {**(memory_row or {}), "reviewCount": int((memory_row or {}).get("reviewCount", 0)) + 1}
        return True
    return False

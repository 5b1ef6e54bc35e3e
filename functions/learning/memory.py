"""The learner's memory model: which FSRS-6 parameters schedule their reviews (the defaults,
or their own once the optimiser has computed them), their desired retention, and the
request that flags them for optimisation. Domain logic only (plain data, a store, the clock).

It all lives on one row of the learner's corrections partition, "#memory" (speakpho.tables
memory_key):

* ``reviewCount``: FSRS reviews so far (each review adds 1 in its own transaction);
* ``desiredRetention``: 0.80..0.95, absent = DEFAULT_RETENTION;
* ``fsrsParameters`` (21 numbers), ``computedAt``, ``computedFrom`` (reviews), ``fitStage``,
  ``evaluation`` {default, own: {logLoss, rmse}}, ``workload`` {"0.80": reviews a day, ...}:
  written by the optimiser (optimizer.py);
* ``conversationUsedCorrectly`` / ``conversationRepeatedMistake``: the reviews that came from
  conversation (learning/conversation.py);
* ``optimiseDue`` / ``optimiseRequestedAt``: the keys of the sparse memory_optimise_due index,
  set by the review that makes the count reach a threshold (fsrs_fit.optimisation_due), removed
  by the optimiser.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

from speakpho.clock import Clock
from speakpho.tables import OPTIMISE_DUE

from learning import fsrs_fit

if TYPE_CHECKING:
    from learning.learning_store import LearningStore

DEFAULT_RETENTION = 0.90
MIN_RETENTION, MAX_RETENTION = 0.80, 0.95
# A flag older than this without a result is set again by the next review (a lost run).
REQUEST_RETRY_MS = 24 * 3600 * 1000


def desired_retention(row: dict | None) -> float:
    return float((row or {}).get("desiredRetention", DEFAULT_RETENTION))


def own_parameters(row: dict | None) -> tuple[float, ...] | None:
    """The learner's own parameters, when the optimiser found some that differ from the defaults."""
    stored = (row or {}).get("fsrsParameters")
    if not stored or len(stored) != fsrs_fit.PARAMETER_COUNT:
        return None
    own = tuple(float(w) for w in stored)
    return None if own == tuple(fsrs_fit.default_parameters()) else own


@lru_cache(maxsize=64)
def _scheduler(parameters: tuple[float, ...] | None, retention: float):
    import fsrs

    if parameters is None:
        return fsrs.Scheduler(desired_retention=retention)
    return fsrs.Scheduler(parameters=parameters, desired_retention=retention)


def scheduler_for(row: dict | None):
    """The fsrs Scheduler for this learner: their parameters (or the defaults) at their retention."""
    return _scheduler(own_parameters(row), desired_retention(row))


def review_update(row: dict | None, now: int) -> dict:
    """What one FSRS review does to the memory row: {"add": {...}, "set": {...}}. It counts the
    review and, when the new count makes optimisation due and no request is pending (or the
    pending one is older than REQUEST_RETRY_MS), flags the learner for the optimiser."""
    row = row or {}
    count = int(row.get("reviewCount", 0)) + 1
    sets: dict = {}
    requested = row.get("optimiseRequestedAt")
    if fsrs_fit.optimisation_due(count, row.get("computedFrom")) and (
            requested is None or now - int(requested) >= REQUEST_RETRY_MS):
        sets = {"optimiseDue": OPTIMISE_DUE, "optimiseRequestedAt": now}
    return {"add": {"reviewCount": 1}, "set": sets}


def memory_view(row: dict | None, stats_total: int) -> dict:
    """GET /api/learning/memory."""
    row = row or {}
    retention = desired_retention(row)
    own = own_parameters(row)
    evaluation = row.get("evaluation") or {}
    workload = row.get("workload")
    expected = fsrs_fit.interpolate_workload(workload, retention)
    if expected is None:   # no optimiser run yet: the defaults' workload for the corrections held
        expected = fsrs_fit.expected_reviews_per_day(fsrs_fit.default_parameters(), stats_total,
                                                     retentions=(retention,))[f"{retention:.2f}"]
    return {
        "parameters": "own" if own else "default",
        "reviewCount": int(row.get("reviewCount", 0)),
        "computedAt": row.get("computedAt"),
        "computedFrom": row.get("computedFrom"),
        "fitStage": row.get("fitStage") or fsrs_fit.fit_stage(0),
        "evaluation": {side: _figures(evaluation.get(side)) for side in ("default", "own")},
        "desiredRetention": retention,
        "expectedReviewsPerDay": expected,
        # Reviews from conversation (learning/conversation.py), counted in reviewCount too.
        "conversationReviews": {"usedCorrectly": int(row.get("conversationUsedCorrectly", 0)),
                                "repeatedMistake": int(row.get("conversationRepeatedMistake", 0))},
    }


def _figures(figures: dict | None) -> dict | None:
    if not figures:
        return None
    return {"logLoss": float(figures["logLoss"]), "rmse": float(figures["rmse"])}


def get_memory(store: LearningStore, user_id: str) -> dict:
    row, stats = store.get_memory_and_stats(user_id)
    return memory_view(row, int((stats or {}).get("total", 0)))


def set_desired_retention(store: LearningStore, user_id: str, retention: float) -> dict:
    """PUT /api/learning/memory (the bounds are the request model's: 422 outside them)."""
    store.set_desired_retention(user_id, round(float(retention), 4))
    return get_memory(store, user_id)


# --------------------------------------------------------------------------- the optimiser's side
def optimise_learner(store: LearningStore, clock: Clock, user_id: str, requested_at: int | None) -> dict:
    """Fits the learner's parameters on every review log they hold, evaluates the defaults and
    the fit on that history, simulates the workload, and stores it all on the memory row
    (clearing the request it answered). Returns what it stored."""
    logs, deck = store.review_logs(user_id)
    sequences = fsrs_fit.training_sequences(logs)
    review_count = sum(len(log) for log in logs)
    parameters = _checked(fsrs_fit.fit(sequences)) if fsrs_fit.fit_stage(review_count) != "none" \
        else fsrs_fit.default_parameters()
    result = {
        "fsrsParameters": parameters,
        "computedAt": clock.now_ms(),
        "computedFrom": review_count,
        "fitStage": fsrs_fit.fit_stage(review_count),
        "evaluation": {"default": fsrs_fit.evaluate(fsrs_fit.default_parameters(), sequences),
                       "own": fsrs_fit.evaluate(parameters, sequences)},
        "workload": fsrs_fit.expected_reviews_per_day(parameters, deck),
    }
    store.save_parameters(user_id, result, answered_request=requested_at)
    return result


def _checked(parameters: Sequence[float]) -> list[float]:
    """The fit, if the scheduler takes it (same FSRS-6 layout and bounds); else the defaults."""
    import fsrs

    try:
        fsrs.Scheduler(parameters=tuple(parameters))
    except (ValueError, TypeError):
        return fsrs_fit.default_parameters()
    return [float(w) for w in parameters]

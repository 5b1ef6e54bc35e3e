"""A learner's own FSRS-6 parameters from their review logs, with fsrs-rs (`fsrs-rs-python`,
the optimiser Anki uses): the items it trains on, the fit, its evaluation and the workload
its simulator expects. Pure functions of plain data; no store, no clock.

A review log is what each FSRS review appends to its correction (`reviewLog`, review.py):
``[[reviewedAtMs, rating], ...]`` with rating 1..4 (Again, Hard, Good, Easy). fsrs-rs
counts time in days: ``delta_t`` is the number of UTC days between a review and the one
before it (0 for the first review and for same-day, short-term reviews).

Scheduling (the `fsrs` 6.3.2 Scheduler, review.py) and this fit both speak FSRS-6: 21
parameters in the same order (tests/learning/test_fsrs_fit.py checks that the Scheduler
takes what the fit returns).
"""
from __future__ import annotations

from typing import Iterable, Sequence

DAY_MS = 86_400_000
PARAMETER_COUNT = 21                      # FSRS-6
INITIAL_FIT_REVIEWS = 8                   # fsrs-rs: the four initial stabilities
FULL_FIT_REVIEWS = 64                     # fsrs-rs: every parameter
WORKLOAD_RETENTIONS = (0.80, 0.85, 0.90, 0.95)
WORKLOAD_DAYS = 365
WORKLOAD_NEW_PER_DAY = 10                 # the simulated learner learns their held corrections at up to this rate
WORKLOAD_MAX_DECK = 2000                  # bounds the simulation's work (~0.2 s for four retentions)

CardLog = Sequence[Sequence[int]]         # [[reviewedAtMs, rating], ...]


def fit_stage(review_count: int) -> str:
    """What fsrs-rs can fit from this many reviews: "none", "initial" (the four initial
    stabilities) or "full"."""
    if review_count < INITIAL_FIT_REVIEWS:
        return "none"
    return "initial" if review_count < FULL_FIT_REVIEWS else "full"


def optimisation_due(review_count: int, computed_from: int | None) -> bool:
    """First at INITIAL_FIT_REVIEWS reviews, then each time the count doubles."""
    if review_count < INITIAL_FIT_REVIEWS:
        return False
    return computed_from is None or review_count >= 2 * max(int(computed_from), 1)


def default_parameters() -> list[float]:
    import fsrs_rs_python

    return [float(w) for w in fsrs_rs_python.DEFAULT_PARAMETERS]


def _day(at_ms: int) -> int:
    return int(at_ms) // DAY_MS


def card_reviews(log: CardLog) -> list[tuple[int, int]]:
    """(rating, delta_t in days) of each review, in time order."""
    out, previous = [], None
    for at, rating in sorted((int(a), int(r)) for a, r in log):
        out.append((rating, 0 if previous is None else _day(at) - _day(previous)))
        previous = at
    return out


def training_sequences(logs: Iterable[CardLog]) -> list[list[tuple[int, int]]]:
    """One sequence per review after a card's first, of the reviews up to it (fsrs-rs predicts
    each sequence's last review from the ones before), kept when it holds a review on another day."""
    sequences = []
    for log in logs:
        reviews = card_reviews(log)
        for end in range(2, len(reviews) + 1):
            prefix = reviews[:end]
            if any(delta > 0 for _, delta in prefix[1:]):
                sequences.append(prefix)
    return sequences


def evaluation_sequences(sequences: list[list[tuple[int, int]]]) -> list[list[tuple[int, int]]]:
    """The sequences fsrs-rs can evaluate: those whose last review is on a later day (it refuses a
    same-day last review: short-term reviews are not predicted)."""
    return [s for s in sequences if s[-1][1] > 0]


def _items(sequences):
    import fsrs_rs_python as F

    return [F.FSRSItem([F.FSRSReview(rating, delta) for rating, delta in s]) for s in sequences]


def fit(sequences: list[list[tuple[int, int]]]) -> list[float]:
    """fsrs-rs's own parameters for these sequences (its defaults when it finds too little data)."""
    import fsrs_rs_python as F

    if not sequences:
        return default_parameters()
    return [float(w) for w in F.FSRS(F.DEFAULT_PARAMETERS).compute_parameters(_items(sequences))]


def evaluate(parameters: Sequence[float], sequences: list[list[tuple[int, int]]]) -> dict | None:
    """{logLoss, rmse} (RMSE over fsrs-rs's bins) of these parameters' predictions, or None
    when there is nothing to evaluate."""
    import fsrs_rs_python as F

    usable = evaluation_sequences(sequences)
    if not usable:
        return None
    result = F.FSRS(list(parameters)).evaluate(_items(usable))
    return {"logLoss": round(float(result.log_loss), 6), "rmse": round(float(result.rmse_bins), 6)}


def expected_reviews_per_day(parameters: Sequence[float], deck_size: int,
                             retentions: Sequence[float] = WORKLOAD_RETENTIONS, seed: int = 42) -> dict[str, float]:
    """Mean reviews a day over the next WORKLOAD_DAYS at each retention, from fsrs-rs's simulator:
    a deck of the learner's corrections (at most WORKLOAD_MAX_DECK), learnt at up to
    WORKLOAD_NEW_PER_DAY a day. Keys are the retentions as "0.80"."""
    import fsrs_rs_python as F

    deck = max(1, min(int(deck_size), WORKLOAD_MAX_DECK))
    config = F.default_simulator_config()
    config.deck_size = deck
    config.learn_span = WORKLOAD_DAYS
    config.learn_limit = WORKLOAD_NEW_PER_DAY
    table = {}
    for retention in retentions:
        result = F.simulate(list(parameters), float(retention), config, seed)
        table[f"{retention:.2f}"] = round(sum(result.review_cnt_per_day) / WORKLOAD_DAYS, 2)
    return table


def interpolate_workload(table: dict[str, float] | None, retention: float) -> float | None:
    """Reviews a day at `retention`, linear between the table's retentions (clamped to its ends)."""
    if not table:
        return None
    points = sorted((float(k), float(v)) for k, v in table.items())
    if retention <= points[0][0]:
        return points[0][1]
    for (r0, v0), (r1, v1) in zip(points, points[1:]):
        if retention <= r1:
            return round(v0 + (v1 - v0) * (retention - r0) / (r1 - r0), 2)
    return points[-1][1]

"""learning/fsrs_fit.py and learning/memory.py's pure rules: when fsrs-rs fits what, when the
optimiser is due, the items it trains and evaluates on, and that the optimiser's parameters
are the scheduler's (FSRS-6: 21 numbers in the same order, taken by fsrs.Scheduler)."""
from __future__ import annotations

import fsrs
import fsrs_rs_python
import pytest

from bench.memory_learners import SimulatedLearner, card_logs, varied_parameters
from learning import fsrs_fit, memory
from speakpho.tables import OPTIMISE_DUE

DAY = fsrs_fit.DAY_MS


def fsrs_fit_datetime(at_ms: int):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(at_ms / 1000, tz=timezone.utc)


@pytest.mark.parametrize("reviews,stage", [
    (0, "none"), (7, "none"), (8, "initial"), (63, "initial"), (64, "full"), (5000, "full"),
])
def test_fit_stage_follows_fsrs_rs_thresholds(reviews, stage):
    assert fsrs_fit.fit_stage(reviews) == stage


@pytest.mark.parametrize("reviews,computed_from,due", [
    (7, None, False), (8, None, True), (9, None, True),
    (15, 8, False), (16, 8, True), (17, 8, True),
    (127, 64, False), (128, 64, True), (199, 100, False), (200, 100, True),
    (3, 0, False), (8, 0, True),
])
def test_optimisation_is_due_at_8_then_at_each_doubling(reviews, computed_from, due):
    assert fsrs_fit.optimisation_due(reviews, computed_from) is due


@pytest.mark.parametrize("row,now,flagged", [
    (None, 10, False),                                                    # the first review
    ({"reviewCount": 7}, 10, True),                                       # the 8th
    ({"reviewCount": 8, "optimiseRequestedAt": 5}, 10, False),            # already asked
    ({"reviewCount": 8, "optimiseRequestedAt": 5}, 5 + memory.REQUEST_RETRY_MS, True),   # asked long ago
    ({"reviewCount": 9, "computedFrom": 8}, 10, False),
    ({"reviewCount": 15, "computedFrom": 8}, 10, True),
])
def test_a_review_counts_and_flags_at_the_thresholds(row, now, flagged):
    change = memory.review_update(row, now)
    assert change["add"] == {"reviewCount": 1}
    assert change["set"] == ({"optimiseDue": OPTIMISE_DUE, "optimiseRequestedAt": now} if flagged else {})


@pytest.mark.parametrize("log,reviews", [
    ([[0, 3]], [(3, 0)]),
    ([[5 * DAY + 1, 3], [0, 1], [60_000, 3]], [(1, 0), (3, 0), (3, 5)]),    # sorted; same day = 0
    ([[DAY - 1, 3], [DAY, 3]], [(3, 0), (3, 1)]),                            # UTC days, not 24 h
])
def test_card_reviews_count_utc_days(log, reviews):
    assert fsrs_fit.card_reviews(log) == reviews


def test_training_and_evaluation_sequences():
    log = [[0, 1], [60_000, 3], [DAY, 3], [DAY + 60_000, 3], [4 * DAY, 4]]
    sequences = fsrs_fit.training_sequences([log])
    # prefixes ending at each later review, once one is on another day
    assert sequences == [[(1, 0), (3, 0), (3, 1)], [(1, 0), (3, 0), (3, 1), (3, 0)],
                         [(1, 0), (3, 0), (3, 1), (3, 0), (4, 3)]]
    assert fsrs_fit.evaluation_sequences(sequences) == [sequences[0], sequences[2]]


@pytest.mark.parametrize("table,retention,expected", [
    (None, 0.9, None), ({"0.80": 10, "0.90": 20}, 0.85, 15.0), ({"0.80": 10, "0.90": 20}, 0.80, 10),
    ({"0.80": 10, "0.90": 20}, 0.95, 20), ({"0.80": 10, "0.85": 12, "0.90": 20}, 0.87, 15.2),
])
def test_workload_interpolation(table, retention, expected):
    assert fsrs_fit.interpolate_workload(table, retention) == expected


def test_the_optimisers_parameters_are_fsrs6_and_the_scheduler_takes_them():
    """fsrs-rs 0.9.3 and fsrs 6.3.2 share FSRS-6's 21 defaults; a fit on a simulated history
    returns 21 numbers that fsrs.Scheduler accepts and that predict that history better."""
    assert len(fsrs_rs_python.DEFAULT_PARAMETERS) == fsrs_fit.PARAMETER_COUNT == len(fsrs.Scheduler().parameters)
    assert fsrs_fit.default_parameters() == pytest.approx(list(fsrs.Scheduler().parameters), abs=1e-6)

    learner = SimulatedLearner(varied_parameters(1), seed=1)
    schedule = fsrs.Scheduler(enable_fuzzing=False)          # what the server would do
    for n in range(60):
        at, card = n * DAY // 2, fsrs.Card(card_id=n + 1)
        while at < 120 * DAY:
            rating = learner.rate(f"c{n}", at)
            card, _ = schedule.review_card(card, fsrs.Rating(rating), fsrs_fit_datetime(at))
            at = max(int(card.due.timestamp() * 1000), at + 60_000)
    sequences = fsrs_fit.training_sequences(card_logs(learner.log))
    own = fsrs_fit.fit(sequences)
    assert len(own) == 21 and own != fsrs_fit.default_parameters()
    scheduler = fsrs.Scheduler(parameters=tuple(own))
    assert scheduler.parameters == tuple(own)
    assert memory.own_parameters({"fsrsParameters": own}) == tuple(own)
    assert memory.own_parameters({"fsrsParameters": fsrs_fit.default_parameters()}) is None
    default_fit, own_fit = (fsrs_fit.evaluate(w, sequences) for w in (fsrs_fit.default_parameters(), own))
    assert own_fit["logLoss"] < default_fit["logLoss"]


def test_fsrs_rs_keeps_its_defaults_below_its_thresholds():
    sequences = [[(3, 0), (3, 1)]] * 5
    assert fsrs_fit.fit(sequences) == fsrs_fit.default_parameters()
    assert fsrs_fit.fit([]) == fsrs_fit.default_parameters()
    assert fsrs_fit.evaluate(fsrs_fit.default_parameters(), [[(3, 0), (3, 0)]]) is None


def test_expected_reviews_rise_with_retention():
    table = fsrs_fit.expected_reviews_per_day(fsrs_fit.default_parameters(), 300)
    assert list(table) == ["0.80", "0.85", "0.90", "0.95"]
    assert table["0.80"] < table["0.85"] < table["0.90"] < table["0.95"]

"""Simulated learners whose memory follows known FSRS-6 parameters, studying through the real
API: corrections imported a few a day, the review queue read and every due card rated through
PATCH /api/learning/corrections/{id} on the injectable clock. Used by the learning-quality
figure of `make bench` (bench/learning_quality.py) and by tests/learning/test_memory_api.py.

A learner recalls a card with the probability their own parameters give (the `fsrs` package's
retrievability of the card's true memory state at that moment); a recalled card is rated Hard,
Good or Easy, a forgotten one Again. The server schedules with whatever parameters it holds
for them (the defaults, then their own once the optimiser has run).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone

CONFIDENCE_OF_RATING = {1: 1, 2: 3, 3: 4, 4: 5}    # fsrs.Rating -> the API's confidenceLevel
FIRST_RATING_WEIGHTS = (0.25, 0.10, 0.50, 0.15)    # Again, Hard, Good, Easy on a card's first review
RECALLED_WEIGHTS = (0.15, 0.75, 0.10)              # Hard, Good, Easy when recalled
ROUND_SECONDS = 15 * 60                            # review rounds within a day: learning steps are 1 and 10 min
ROUNDS_PER_DAY = 4
DAY_SECONDS = 86_400


def varied_parameters(seed: int) -> tuple[float, ...]:
    """FSRS-6 parameters around the defaults, varied the way learners differ most: initial
    stabilities (x0.3..x3), recall growth (w8 +-0.6) and the forgetting curve's decay (w20)."""
    import fsrs

    rng = random.Random(seed)
    w = list(fsrs.Scheduler().parameters)
    scale = rng.choice((0.3, 0.5, 2.0, 3.0))
    for i in range(4):
        w[i] = min(100.0, max(0.01, w[i] * scale))
    w[8] = min(4.5, max(0.5, w[8] + rng.uniform(-0.6, 0.6)))
    w[20] = rng.uniform(0.15, 0.6)
    return tuple(w)


@dataclass
class SimulatedLearner:
    parameters: tuple[float, ...]
    seed: int = 0
    cards: dict = field(default_factory=dict)        # correction id -> fsrs.Card of the true memory
    log: list = field(default_factory=list)          # (correction id, reviewed at ms, rating)

    def __post_init__(self) -> None:
        import fsrs

        self.rng = random.Random(self.seed)
        self.memory = fsrs.Scheduler(parameters=self.parameters, enable_fuzzing=False)

    def rate(self, correction_id: str, at_ms: int) -> int:
        """The rating (1..4) this learner gives the card now; their true memory moves with it."""
        import fsrs

        at = datetime.fromtimestamp(at_ms / 1000, tz=timezone.utc)
        card = self.cards.get(correction_id) or fsrs.Card(card_id=len(self.cards) + 1, due=at)
        if card.last_review is None:
            rating = self.rng.choices((1, 2, 3, 4), FIRST_RATING_WEIGHTS)[0]
        elif self.rng.random() >= self.memory.get_card_retrievability(card, at):
            rating = 1
        else:
            rating = self.rng.choices((2, 3, 4), RECALLED_WEIGHTS)[0]
        self.cards[correction_id], _ = self.memory.review_card(card, fsrs.Rating(rating), at)
        self.log.append((correction_id, at_ms, rating))
        return rating


def study(call, learner: SimulatedLearner, clock, *, days: int, new_per_day: int, each_day=None,
          label: str = "s") -> int:
    """`days` of study through the API: `call(method, path, body=None, query="") -> data`.
    Each day imports `new_per_day` corrections, then reviews what is due in ROUNDS_PER_DAY
    rounds ROUND_SECONDS apart; `each_day(day)` runs after (e.g. the optimiser's schedule).
    Returns how many reviews were made."""
    reviews = 0
    for day in range(days):
        start = clock.now_ms()
        if new_per_day:
            call("POST", "/api/learning/corrections/import", {"corrections": [
                {"original": f"{label} câu {day}.{n}", "correction": f"{label} câu đúng {day}.{n}",
                 "createdAt": start} for n in range(new_per_day)]})
        for _ in range(ROUNDS_PER_DAY):
            # In the order of their texts, not the queue's: cards due at the same moment come in the
            # order of their random ids, and the learner's draws follow the order they are rated in,
            # so the queue's order would make every run a different one.
            due = call("GET", "/api/learning/review", query="limit=50")["corrections"]
            for correction in sorted(due, key=lambda c: (c["original"], c["id"])):
                rating = learner.rate(correction["id"], clock.now_ms())
                call("PATCH", f"/api/learning/corrections/{correction['id']}",
                     {"confidenceLevel": CONFIDENCE_OF_RATING[rating]})
                reviews += 1
            clock.advance(ROUND_SECONDS)
        if each_day:
            each_day(day)
        clock.advance(DAY_SECONDS - (clock.now_ms() - start) // 1000)
    return reviews


def card_logs(log: list, before_ms: int | None = None) -> list[list[list[int]]]:
    """The learner's log as the store keeps it: per card, [[reviewedAtMs, rating], ...] (only
    reviews before `before_ms` when given)."""
    cards: dict[str, list] = {}
    for correction_id, at, rating in log:
        if before_ms is None or at < before_ms:
            cards.setdefault(correction_id, []).append([at, rating])
    return list(cards.values())

"""The common-mistakes rollups' pure parts, table-driven: the learner sketch's error, the
day cell's top-K refresh, the merge of days, and what a correction image counts."""
from __future__ import annotations

import pytest

from admin.mistakes import counts, sketch, topk
from admin.mistakes.ledger import deltas


# --------------------------------------------------------------------------- the learner sketch
@pytest.mark.parametrize("learners, tolerance", [
    (0, 0), (1, 0), (2, 0), (5, 0), (10, 1), (40, 4), (100, 15), (1000, 300),
])
def test_the_sketch_counts_distinct_learners_within_its_stated_error(learners, tolerance):
    s = None
    for i in range(learners):
        s = sketch.add(s, f"learner-{i}")
        s = sketch.add(s, f"learner-{i}")          # the same learner twice: counted once
    assert abs(sketch.estimate(s) - learners) <= tolerance
    assert s is None or len(s) == sketch.REGISTERS


def test_merged_sketches_count_the_union_not_the_sum():
    monday = tuesday = None
    for i in range(30):
        monday = sketch.add(monday, f"u{i}")
    for i in range(20, 50):                         # 10 learners on both days
        tuesday = sketch.add(tuesday, f"u{i}")
    assert abs(sketch.estimate(sketch.merge(monday, tuesday)) - 50) <= 4
    assert sketch.merge(monday, monday) == monday


def test_adding_a_learner_again_leaves_the_sketch_as_it_was():
    s = sketch.add(None, "alice")
    assert sketch.add(s, "alice") == s and sketch.estimate(s) == 1


@pytest.mark.parametrize("learners", [0, 1, 5, 20, 200])
def test_the_sets_of_elements_and_the_compact_form_hold_the_same_registers(learners):
    dense, elements = None, set()
    for i in range(learners):
        dense = sketch.add(dense, f"learner-{i}")
        elements.add(sketch.element(f"learner-{i}"))
    compact = sketch.of_elements(elements)
    assert sketch.merge(compact) == sketch.merge(dense) and sketch.estimate(compact) == sketch.estimate(dense)
    assert len(compact) <= sketch.REGISTERS
    if learners <= 20:                     # few registers set: the sparse form, shorter
        assert len(compact) == 2 * sum(1 for digit in sketch.merge(dense) if digit != "A") < sketch.REGISTERS
    assert sketch.compact(compact) == compact and sketch.compact(sketch.merge(dense)) == compact


# --------------------------------------------------------------------------- top-K refresh
def entry(n, s=1, o="o"):
    return {"o": o, "c": "c", "cat": "grammar", "n": n, "l": sketch.EMPTY, "s": s}


@pytest.mark.parametrize("top, pair, new, k, expected", [
    ({}, "p", entry(1), 2, {"p": entry(1)}),                                      # room: enters
    ({"a": entry(3)}, "a", entry(4), 2, {"a": entry(4)}),                         # held: takes the count
    ({"a": entry(3)}, "a", entry(3), 2, None),                                    # the same: no write
    ({"a": entry(3)}, "a", None, 2, {}),                                          # fell to 0: leaves
    ({"a": entry(3), "b": entry(1)}, "p", entry(1), 2, None),                    # full, not above the least
    ({"a": entry(3), "b": entry(1)}, "p", entry(2), 2, {"a": entry(3), "p": entry(2)}),   # replaces the least
    ({}, "p", None, 2, None),                                                     # nothing to add
])
def test_a_day_cell_keeps_its_top_k(top, pair, new, k, expected):
    assert topk.refreshed(top, pair, new, k) == expected


def test_merging_days_sums_counts_and_ranks_by_count_then_learners():
    day1 = {"a": {**entry(3, o="A"), "l": sketch.add(None, "x")}, "b": entry(2, o="B")}
    day2 = {"a": {**entry(1, o="A"), "l": sketch.add(None, "y")}, "c": entry(4, o="C")}
    pairs = topk.merged_pairs([day1, day2, None], limit=2)
    assert [(p["original"], p["count"], p["learners"]) for p in pairs] == [("A", 4, 2), ("C", 4, 0)]


def test_a_pair_outside_a_days_top_k_is_not_counted_that_day():
    top = {}
    for i, n in enumerate([5, 4, 3]):
        top = topk.refreshed(top, f"p{i}", entry(n), 2) or top
    assert set(top) == {"p0", "p1"}
    assert topk.merged_pairs([top]) == [
        {"original": "o", "correction": "c", "category": "grammar", "count": 5, "learners": 0},
        {"original": "o", "correction": "c", "category": "grammar", "count": 4, "learners": 0}]


@pytest.mark.parametrize("cells, expected", [
    ([], {}),
    ([{"cat_grammar": 2, "lapse_tone": 1}, {"cat_grammar": 1, "cat_tone": 0}], {"grammar": 3}),
])
def test_counters_are_summed_over_days(cells, expected):
    assert topk.summed(cells, "cat_") == expected


# --------------------------------------------------------------------------- what a correction counts
CORRECTION = {"userId": "alice", "correctionId": "c-1", "sessionId": "s-1", "original": "xin chao",
              "correction": "xin chào", "category": "tone", "createdAt": 1_794_300_000_000, "version": 1}


@pytest.mark.parametrize("raw, part", [
    ("Food", "food"), ("  Street   Food ", "street food"), ("a#b*", "a_b_"), (None, "unknown"), ("", "unknown"),
    ("x" * 100, "x" * 64),
])
def test_topics_become_bounded_key_parts(raw, part):
    assert counts.topic_part(raw) == part


@pytest.mark.parametrize("a, b, same", [
    (("Xin chao", "xin chào"), ("xin  chao", "Xin chào"), True),      # case and spacing
    (("xin chao", "xin chào"), ("xin chào", "xin chào"), False),      # diacritics are meaning
])
def test_pairs_compare_normalised_text(a, b, same):
    assert (counts.pair_id(*a, "tone") == counts.pair_id(*b, "tone")) is same


@pytest.mark.parametrize("image, lapses", [
    ({}, 0),
    ({"reviewLog": [[1, 1], [2, 3], [3, 1]]}, 2),            # Again = 1
    ({"reviewLog": [[1, 1]], "lapses": 5}, 5),                # a lapses counter wins
])
def test_lapses_come_from_the_again_reviews(image, lapses):
    assert counts.lapse_count(image) == lapses


@pytest.mark.parametrize("image", [None, {**CORRECTION, "correctionId": "#stats"}, {**CORRECTION, "original": ""}])
def test_rows_that_are_not_corrections_count_nowhere(image):
    assert counts.counted(image, None) is None


def test_a_creation_counts_in_four_cells_and_a_removal_takes_it_back():
    target = counts.counted(CORRECTION, {"topic": "Food", "difficulty": "beginner"})
    cells, pairs, fields = deltas(None, target, CORRECTION)
    day = "2026-11-10"
    assert set(cells) == {(day, "food", "beginner"), (day, "food", "*"), (day, "*", "beginner"), (day, "*", "*")}
    assert all(c == {"cat_tone": 1} for c in cells.values()) and set(pairs.values()) == {1}
    cells, pairs, after = deltas({**fields, "appliedVersion": 1}, None, None)
    assert all(c == {"cat_tone": -1} for c in cells.values()) and set(pairs.values()) == {-1}
    assert after["counted"] is False and after["lapses"] == 0
    assert (after["topic"], after["difficulty"], after["pair"]) == ("food", "beginner", target.pair)   # for replays


def test_a_lapse_counts_on_its_review_day_once():
    reviewed = {**CORRECTION, "reviewLog": [[1_794_400_000_000, 1]], "version": 2}
    target = counts.counted(reviewed, None)
    _, _, fields = deltas(None, counts.counted(CORRECTION, None), CORRECTION)
    cells, pairs, after = deltas(fields, target, reviewed)
    assert pairs == {} and cells[("2026-11-11", "*", "*")] == {"lapse_tone": 1} and after["lapses"] == 1
    assert deltas(after, target, reviewed)[:2] == ({}, {})

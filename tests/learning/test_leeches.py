"""Leeches (learning/leeches.py): 8 lapses suspend a correction from review; PATCH {leech: false}
resumes it, {explanation} rephrases it. The queue rules table-driven, the rest through the API."""
from __future__ import annotations

import pytest

from apitest import data, error
from learning import leeches
from learning_helpers import correction, run_session

NOW = 1_000_000


@pytest.mark.parametrize(("before", "after", "changes"), [
    ({}, {"dueAt": 5}, ({}, ())),                                              # stays in the queue
    ({}, {"dueAt": 5, "leech": True}, ({}, ("dueAt",))),                       # becomes a leech: out
    ({}, {"dueAt": 5, "disputed": True}, ({}, ("dueAt",))),                    # flagged: out
    ({"leech": True}, {"nextReviewAt": 7, "createdAt": 1}, ({"dueAt": 7}, ())),  # resumed: when due
    ({"leech": True}, {"createdAt": 2 * NOW}, ({"dueAt": NOW}, ())),          # never rated: now
    ({"leech": True, "disputed": True}, {"disputed": True, "createdAt": 1}, ({}, ())),  # still flagged
    ({"leech": True}, {"leech": True}, ({}, ())),                              # out, no dueAt to remove
])
def test_the_queue_holds_a_correction_neither_disputed_nor_a_leech(before, after, changes):
    assert leeches.queue_changes(before, after, NOW) == changes


@pytest.mark.parametrize(("lapses", "rating", "sets"), [
    (0, "Good", {}),
    (0, "Again", {"lapses": 1}),
    (6, "Again", {"lapses": 7}),
    (7, "Again", {"lapses": 8, "leech": True}),
])
def test_a_lapse_counts_and_the_eighth_makes_a_leech(lapses, rating, sets):
    assert leeches.lapse_changes({"lapses": lapses}, rating) == sets


def _leech(client, clock) -> dict:
    """A correction rated Wrong eight times on the Review tab."""
    run_session(client, clock, corrections=[correction(1)])
    [item] = data(client.get("/api/learning/review"))["corrections"]
    for n in range(8):
        answer = data(client.patch(f"/api/learning/corrections/{item['id']}", {"confidenceLevel": 1}))
        assert answer["lapses"] == n + 1 and answer["leech"] is (n == 7)
        clock.advance(3600)
    return item


def test_eight_lapses_on_cards_suspend_a_correction_until_it_is_resumed(alice, clock):
    item = _leech(alice, clock)
    queue = data(alice.get("/api/learning/review"))
    assert queue["corrections"] == [] and queue["dueCount"] == 0
    listed = data(alice.get("/api/learning/corrections"))["corrections"][0]
    assert listed["leech"] is True and listed["lapses"] == 8
    refused = error(alice.patch(f"/api/learning/corrections/{item['id']}", {"confidenceLevel": 4}), 409)
    assert refused["code"] == "correction_leech"

    resumed = data(alice.patch(f"/api/learning/corrections/{item['id']}", {"leech": False}))
    assert resumed["leech"] is False and resumed["lapses"] == 0   # eight new lapses before it is one again
    assert [c["id"] for c in data(alice.get("/api/learning/review"))["corrections"]] == [item["id"]]
    again = data(alice.patch(f"/api/learning/corrections/{item['id']}", {"confidenceLevel": 1}))
    assert again["leech"] is False and again["lapses"] == 1


def test_a_leech_can_be_rephrased_and_stays_suspended(alice, clock):
    item = _leech(alice, clock)
    answer = data(alice.patch(f"/api/learning/corrections/{item['id']}",
                              {"explanation": "Past tense: đã before the verb"}))
    assert answer["explanation"] == "Past tense: đã before the verb" and answer["leech"] is True
    assert data(alice.get("/api/learning/corrections"))["corrections"][0]["explanation"] == answer["explanation"]
    assert data(alice.get("/api/learning/review"))["dueCount"] == 0


def test_a_leech_unflagged_as_disputed_stays_out_of_the_queue(alice, clock):
    item = _leech(alice, clock)
    data(alice.patch(f"/api/learning/corrections/{item['id']}", {"disputed": True}))
    data(alice.patch(f"/api/learning/corrections/{item['id']}", {"disputed": False}))
    assert data(alice.get("/api/learning/review"))["dueCount"] == 0
    data(alice.patch(f"/api/learning/corrections/{item['id']}", {"leech": False, "disputed": True}))
    assert data(alice.get("/api/learning/review"))["dueCount"] == 0    # still flagged as wrong
    data(alice.patch(f"/api/learning/corrections/{item['id']}", {"disputed": False}))
    assert data(alice.get("/api/learning/review"))["dueCount"] == 1


@pytest.mark.parametrize("body", [{"leech": False, "confidenceLevel": 3}, {"explanation": ""}, {"leech": "no"}])
def test_malformed_leech_requests_are_refused(alice, clock, body):
    run_session(alice, clock, corrections=[correction(1)])
    [item] = data(alice.get("/api/learning/corrections"))["corrections"]
    assert error(alice.patch(f"/api/learning/corrections/{item['id']}", body), 422)

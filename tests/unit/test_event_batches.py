"""The pure parts of a live session's event batches: reading them (speakpho.story.batched_entries),
a batch's key and expiry (speakpho.metering.events) and clamping them into the closed span
(speakpho.metering.fold.within)."""
from __future__ import annotations

import pytest

from speakpho import story
from speakpho.metering.events import BATCH_GRACE_SECONDS, batch_expires_at, batch_id
from speakpho.metering.fold import within


def _entry(event_id: str, at: int = 1_000, **fields) -> dict:
    return {"type": "reconnect_attempt", "source": "client", "eventId": event_id, "at": at, "receivedAt": at,
            "provider": "gemini", **fields}


@pytest.mark.parametrize("batches, known, expected", [
    ([], (), []),
    ([{"entries": [_entry("a"), _entry("b")]}], (), ["a", "b"]),
    ([{"entries": [_entry("a")]}, {"entries": [_entry("a"), _entry("c")]}], (), ["a", "c"]),   # a repeat across
    ([{"entries": [_entry("a"), _entry("b")]}], {"b"}, ["a"]),                                # on the item already
    ([{"entries": []}, {}], (), []),
])
def test_batched_entries_gives_each_event_once_first_batch_first(batches, known, expected):
    assert [e["eventId"] for e in story.batched_entries(batches, known)] == expected


def test_a_batch_key_sorts_by_arrival_and_names_its_events_whatever_their_order():
    assert batch_id(5, ["b", "a"]) == batch_id(5, ["a", "b"])
    assert batch_id(5, ["a"]) != batch_id(5, ["b"])
    # the 10th batch after the 9th, whatever their events (a digest alone would order them by chance)
    keys = [batch_id(n, [f"{digit}"]) for n, digit in zip(range(12), "fedcba987654")]
    assert sorted(keys) == keys


def test_a_batch_outlives_the_latest_close_of_its_session():
    session = {"startedAt": 1_800_000_000_123, "remainingAtStart": 3_600}
    assert batch_expires_at(session) == 1_800_000_000 + 3_600 + BATCH_GRACE_SECONDS


@pytest.mark.parametrize("entry, low, high, at, client_at", [
    (_entry("a", 5_000), 1_000, 9_000, 5_000, None),                        # inside: as it was
    (_entry("a", 9_500), 1_000, 9_000, 9_000, 9_500),                       # after a sweep's endedAt
    (_entry("a", 9_500, clientAt=12_000), 1_000, 9_000, 9_000, 12_000),     # the client's own time kept
    (_entry("a", 9_500, skewMs=-500), 1_000, 9_000, 9_000, 10_000),         # less the skew applied
])
def test_within_clamps_into_the_closed_span_keeping_the_clients_time(entry, low, high, at, client_at):
    clamped, = within([entry], low, high)
    assert clamped["at"] == at and clamped.get("clientAt") == client_at
    assert entry["at"] in (5_000, 9_500)          # the batch's entry itself is left as it was

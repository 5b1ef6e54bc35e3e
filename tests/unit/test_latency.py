"""The latency rules (speakpho.latency): the buckets, the percentile read from a histogram, and
what the end's latency summary must be (speakpho.models.ProviderLatency)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from speakpho.latency import (HISTOGRAM_LENGTH, LATENCY_BUCKETS_MS, OVERFLOW, bucket_index, histogram_of,
                              histogram_problem, percentile)
from speakpho.models import EndSessionRequest


def hist(**by_bound: int) -> list[int]:
    """A histogram from {"le<bound>": count, "over": count}."""
    counts = [0] * HISTOGRAM_LENGTH
    for name, count in by_bound.items():
        counts[OVERFLOW if name == "over" else LATENCY_BUCKETS_MS.index(int(name[2:]))] = count
    return counts


def test_the_bounds_are_the_agreed_ones():
    assert LATENCY_BUCKETS_MS == (100, 200, 300, 400, 500, 700, 1000, 1500, 2000, 3000, 5000)
    assert HISTOGRAM_LENGTH == 12 and OVERFLOW == 11


@pytest.mark.parametrize("ms, index", [
    (0, 0), (100, 0),               # a bound is inclusive
    (100.5, 1), (101, 1), (200, 1),
    (450, 4), (501, 5), (700, 5), (701, 6),
    (5000, 10), (5000.1, OVERFLOW), (600_000, OVERFLOW),
])
def test_bucket_index(ms, index):
    assert bucket_index(ms) == index


def test_histogram_of_samples():
    assert histogram_of([50, 100, 150, 999, 6000]) == hist(le100=2, le200=1, le1000=1, over=1)
    assert histogram_of([]) == [0] * HISTOGRAM_LENGTH


# Nearest rank on buckets: rank = ceil(q/100 x total); the upper bound of the first bucket whose
# cumulative count reaches it; None when empty or when that bucket is the one above 5000 ms.
@pytest.mark.parametrize("histogram, p50, p95", [
    ([0] * HISTOGRAM_LENGTH, None, None),                     # no turns
    (hist(le300=1), 300, 300),                                # one turn: rank 1 for both
    (hist(le100=1, le200=1), 100, 200),                       # ranks 1 and 2
    (hist(le100=50, le2000=50), 100, 2000),                   # rank 50 is the last of the first bucket
    (hist(le100=49, le2000=51), 2000, 2000),                  # rank 50 crosses into the next
    (hist(le500=95, le3000=5), 500, 500),                     # rank 95 is the last of le500
    (hist(le500=94, le3000=6), 500, 3000),
    (hist(le700=19, over=1), 700, 700),                       # rank 19 of 20 (ceil 0.95 x 20)
    (hist(le700=18, over=2), 700, None),                      # rank 19 is above 5000 ms
    (hist(over=3), None, None),
    (hist(le100=1, le200=1, le300=1), 200, 300),              # ceil(1.5) = 2, ceil(2.85) = 3
])
def test_percentile_from_a_histogram(histogram, p50, p95):
    assert (percentile(histogram, 50), percentile(histogram, 95)) == (p50, p95)


def test_summed_histograms_give_the_range_percentiles_that_averaged_percentiles_miss():
    fast, slow = histogram_of([150] * 9), histogram_of([2500])
    summed = [a + b for a, b in zip(fast, slow)]
    assert (percentile(summed, 50), percentile(summed, 95)) == (200, 3000)
    assert percentile(fast, 95) == 200 and percentile(slow, 95) == 3000   # their mean, 1600, is neither


@pytest.mark.parametrize("histogram, turns, problem", [
    (hist(le100=2, over=1), 3, None),
    ([0] * HISTOGRAM_LENGTH, 0, None),
    ([1] * 11, 11, "histogram must have 12 counts"),
    ([0] * 13, 0, "histogram must have 12 counts"),
    (hist(le100=2), 3, "histogram counts add up to 2, not to turns (3)"),
])
def test_histogram_problem(histogram, turns, problem):
    found = histogram_problem(histogram, turns)
    assert (found is None) if problem is None else found.startswith(problem)


def end_with(figures: dict, provider: str = "gemini") -> EndSessionRequest:
    return EndSessionRequest.model_validate({"sessionId": "s-1", "latency": {provider: figures}})


VALID = {"turns": 3, "p50Ms": 300, "p95Ms": 900, "histogram": hist(le300=2, le1000=1), "firstAudioMs": 800}


def test_a_valid_summary_is_taken_as_sent():
    latency = end_with(VALID).latency["gemini"]
    assert latency.model_dump() == VALID
    assert end_with({k: v for k, v in VALID.items() if k != "firstAudioMs"}, "openai").latency["openai"].firstAudioMs \
        is None


@pytest.mark.parametrize("change, where, message", [
    ({"histogram": [1, 1, 1]}, ("latency", "gemini", "histogram"), "at least 12"),
    ({"histogram": [0] * 12 + [3]}, ("latency", "gemini", "histogram"), "at most 12"),
    ({"histogram": hist(le300=2)}, ("latency", "gemini", "histogram"), "add up to 2, not to turns (3)"),
    ({"histogram": ["3"] + [0] * 11}, ("latency", "gemini", "histogram", 0), "must be an integer"),
    ({"histogram": [True] + [0] * 11}, ("latency", "gemini", "histogram", 0), "must be an integer"),
    ({"histogram": [-1, 4] + [0] * 10}, ("latency", "gemini", "histogram", 0), "greater than or equal to 0"),
    ({"turns": 100_001, "histogram": hist(le100=100_001)}, ("latency", "gemini", "turns"), "less than or equal"),
    ({"p95Ms": 600_001}, ("latency", "gemini", "p95Ms"), "less than or equal to 600000"),
    ({"firstAudioMs": -1}, ("latency", "gemini", "firstAudioMs"), "greater than or equal to 0"),
    ({"extra": 1}, ("latency", "gemini", "extra"), "Extra inputs"),
])
def test_a_summary_refused_names_its_field(change, where, message):
    with pytest.raises(ValidationError) as refused:
        end_with({**VALID, **change})
    error = refused.value.errors()[0]
    assert error["loc"] == where and message in error["msg"]


def test_only_the_known_providers_are_keys():
    with pytest.raises(ValidationError) as refused:
        end_with(VALID, "livekit")
    assert refused.value.errors()[0]["loc"] == ("latency", "livekit", "[key]")

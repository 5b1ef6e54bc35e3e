"""The latency the learner feels: the fixed histogram buckets and the percentile rule. Pure,
without pydantic (the stream processor reads it at init).

A turn's latency runs from the end of the learner's speech (the provider's own turn signal) to
the coach's first audio; firstAudioMs from connecting to the coach's first audio on a provider.
The browser measures them and sends a summary per provider with the end: turns, p50Ms, p95Ms
and a histogram over LATENCY_BUCKETS_MS. Percentiles cannot be added up, histograms can: the
rollup cells sum the histograms, and a range's percentiles are read from the sum.

The bounds are mirrored in web/js/latency-buckets.js (tests/browser/test_latency_buckets.py
compares the two). They are fixed: the cells store counts by bucket index, so changing a bound
would need new counter names (admin.health.latency).
"""
from __future__ import annotations

from typing import Sequence

# Upper bounds (ms, inclusive) of the buckets; one more bucket holds everything above the last.
LATENCY_BUCKETS_MS: tuple[int, ...] = (100, 200, 300, 400, 500, 700, 1000, 1500, 2000, 3000, 5000)
HISTOGRAM_LENGTH = len(LATENCY_BUCKETS_MS) + 1
OVERFLOW = len(LATENCY_BUCKETS_MS)          # the index of the "over 5000 ms" bucket

MAX_LATENCY_MS = 600_000                    # a bound of what an end may report (10 minutes)
MAX_TURNS = 100_000                         # a bound of a count an end may report

PERCENTILES = (50, 95)


def bucket_index(ms: float) -> int:
    """The bucket a latency falls in: the first whose bound is >= ms; OVERFLOW above 5000 ms.
    (count i holds latencies <= bounds[i] and > bounds[i-1])"""
    for i, bound in enumerate(LATENCY_BUCKETS_MS):
        if ms <= bound:
            return i
    return OVERFLOW


def histogram_of(samples: Sequence[float]) -> list[int]:
    """The histogram of some latencies (what the browser sends, made the same way)."""
    counts = [0] * HISTOGRAM_LENGTH
    for ms in samples:
        counts[bucket_index(ms)] += 1
    return counts


def histogram_problem(histogram: Sequence[int], turns: int) -> str | None:
    """Why a reported histogram is refused, or None: it must have HISTOGRAM_LENGTH counts that
    add up to `turns` (the bounds of each count are the model's)."""
    if len(histogram) != HISTOGRAM_LENGTH:
        return f"histogram must have {HISTOGRAM_LENGTH} counts (one per bucket of {LATENCY_BUCKETS_MS} ms and one above)"
    if sum(histogram) != turns:
        return f"histogram counts add up to {sum(histogram)}, not to turns ({turns})"
    return None


def percentile(histogram: Sequence[int], q: int) -> int | None:
    """The q-th percentile (0 < q <= 100) of a histogram, by nearest rank on the buckets.

    rank = ceil(q/100 x total), at least 1; the answer is the upper bound of the first bucket
    where the cumulative count reaches the rank. None when the histogram is empty, or when the
    rank falls in the bucket above the last bound (it has no upper bound: "over 5000 ms").
    An answer is an upper bound: the true percentile lies in (previous bound, answer].
    """
    total = sum(histogram)
    if total <= 0:
        return None
    rank = max(1, -(-q * total // 100))
    seen = 0
    for i, count in enumerate(histogram):
        seen += count
        if seen >= rank:
            return LATENCY_BUCKETS_MS[i] if i < OVERFLOW else None
    return None


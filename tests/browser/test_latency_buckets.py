"""web/js/latency-buckets.js against speakpho.latency, the API's one home of the buckets: the
bounds, the bucket of each sample latency, the histogram of samples and the percentile rule
agree (the practice page sends histograms the rollups sum by bucket index)."""
from __future__ import annotations

import pytest
from speakpho import latency

pytestmark = pytest.mark.browser

SAMPLES = [0, 1, 99.5, 100, 100.4, 101, 200, 299, 300, 450, 500, 501, 700, 701, 1000, 1499, 1500, 2000, 2999,
           3000, 4999, 5000, 5000.1, 5001, 60_000, 600_000]
HISTOGRAMS = [[0] * 12, [1] + [0] * 11, [0] * 11 + [3], [9, 0, 1] + [0] * 9, [49, 0, 0, 0, 0, 0, 0, 0, 51, 0, 0, 0],
              [0, 0, 0, 0, 0, 18, 0, 0, 0, 0, 0, 2], [1, 1, 1] + [0] * 9, [5] * 12]


def test_latency_buckets_mirror_speakpho_latency(page, runner):
    page.goto(runner.base + "/config.json")
    web = page.evaluate("""async ([samples, histograms]) => {
        const m = await import('/js/latency-buckets.js');
        return { bounds: [...m.LATENCY_BUCKETS_MS], length: m.HISTOGRAM_LENGTH,
                 indexes: samples.map(m.bucketIndex), histogram: m.histogramOf(samples),
                 percentiles: histograms.map((h) => [m.percentileOfHistogram(h, 50), m.percentileOfHistogram(h, 95)]) };
    }""", [SAMPLES, HISTOGRAMS])
    assert web["bounds"] == list(latency.LATENCY_BUCKETS_MS)
    assert web["length"] == latency.HISTOGRAM_LENGTH
    assert web["indexes"] == [latency.bucket_index(ms) for ms in SAMPLES]
    assert web["histogram"] == latency.histogram_of(SAMPLES)
    assert web["percentiles"] == [[latency.percentile(h, 50), latency.percentile(h, 95)] for h in HISTOGRAMS]

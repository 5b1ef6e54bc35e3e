// The latency buckets the practice page measures turns into, for the end's `latency` summary.
// The bounds mirror layers/common/python/speakpho/latency.py, the API's one home of them (the
// rollups sum histograms by bucket index): tests/browser/test_latency_buckets.py loads this
// module in the browser and compares the bounds, bucketIndex and percentile with the Python
// module. Change both together.

/** Upper bounds (ms, inclusive) of the buckets; one more bucket holds everything above the last. */
export const LATENCY_BUCKETS_MS = Object.freeze([100, 200, 300, 400, 500, 700, 1000, 1500, 2000, 3000, 5000]);

/** A histogram has one count per bound and one above the last. */
export const HISTOGRAM_LENGTH = LATENCY_BUCKETS_MS.length + 1;

/** The bucket a latency falls in: the first whose bound is >= ms; the last one above 5000 ms. */
export function bucketIndex(ms) {
  const index = LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
  return index === -1 ? LATENCY_BUCKETS_MS.length : index;
}

/** The histogram of some latencies (ms): HISTOGRAM_LENGTH counts adding up to samples.length. */
export function histogramOf(samples) {
  const counts = new Array(HISTOGRAM_LENGTH).fill(0);
  for (const ms of samples) counts[bucketIndex(ms)] += 1;
  return counts;
}

/**
 * The q-th percentile of a histogram as the admin stats read it: nearest rank (ceil(q/100 x total),
 * at least 1) on the buckets, answered with the bucket's upper bound; null when empty or above 5000 ms.
 */
export function percentileOfHistogram(histogram, q) {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil((q * total) / 100));
  let seen = 0;
  for (let i = 0; i < histogram.length; i += 1) {
    seen += histogram[i];
    if (seen >= rank) return i < LATENCY_BUCKETS_MS.length ? LATENCY_BUCKETS_MS[i] : null;
  }
  return null;
}

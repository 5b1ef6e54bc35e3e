// The latency the learner feels, per provider: each turn from the end of the learner's speech
// (the provider's own signal of it) to the coach's first audio, and from connecting to the
// coach's first audio (firstAudioMs). The end carries the summary (speakpho.latency on the
// server): {provider: {turns, p50Ms, p95Ms, histogram, firstAudioMs?}}; the histogram's buckets
// are latency-buckets.js's, the one web copy of the server's bounds.

import { histogramOf } from '../latency-buckets.js';

const MAX_MS = 600_000; // the API's bound of one figure (10 minutes)

/** The q-th percentile of some samples, nearest rank (the session's own figure, not a bucket's bound). */
export function nearestRank(samples, q) {
  if (!samples.length) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((q * sorted.length) / 100)) - 1];
}

const clamp = (ms) => Math.min(MAX_MS, Math.max(0, Math.round(ms)));

export class TurnLatency {
  /** @param {() => number} [now]  ms, monotonic (performance.now by default) */
  constructor(now = () => performance.now()) {
    this.now = now;
    this.providers = new Map(); // provider -> {samples: [], firstAudioMs}
    this.connectingAt = null;
    this.speechEndedAt = null;
    this.provider = null;
  }

  of(provider) {
    if (!this.providers.has(provider)) this.providers.set(provider, { samples: [], firstAudioMs: null });
    return this.providers.get(provider);
  }

  /** A connection to `provider` begins (firstAudioMs runs from here to its first audio). */
  connecting(provider) {
    this.provider = provider;
    this.connectingAt = this.now();
    this.speechEndedAt = null;
  }

  /** The provider says the learner's speech ended (the latest signal of a turn wins). */
  speechEnded() { this.speechEndedAt = this.now(); }

  /** The coach's audio starts (at `at`, default now): closes the turn that was waiting for it. */
  coachAudio(at = this.now()) {
    if (!this.provider) return;
    const figures = this.of(this.provider);
    if (this.connectingAt !== null) {
      if (figures.firstAudioMs === null) figures.firstAudioMs = clamp(at - this.connectingAt);
      this.connectingAt = null;
    }
    if (this.speechEndedAt !== null) {
      figures.samples.push(clamp(at - this.speechEndedAt));
      this.speechEndedAt = null;
    }
  }

  /** The end's `latency`: providers with at least one turn; null when there is none. */
  summary() {
    const out = {};
    for (const [provider, { samples, firstAudioMs }] of this.providers) {
      if (!samples.length) continue;
      out[provider] = { turns: samples.length, p50Ms: nearestRank(samples, 50), p95Ms: nearestRank(samples, 95),
        histogram: histogramOf(samples) };
      if (firstAudioMs !== null) out[provider].firstAudioMs = firstAudioMs;
    }
    return Object.keys(out).length ? out : null;
  }
}

// The coach's voice from Gemini Live: base64 PCM16 chunks ("audio/pcm;rate=24000") played
// back to back through one AudioContext. stop() cuts it at once (barge-in: the provider's
// `interrupted`); onSpeaking(cb) says when the coach starts and stops being heard; play()
// answers when its chunk starts (performance.now() time), for turn-latency.js.

export const PLAYBACK_RATE = 24000;

/** Samples of base64 little-endian PCM16 as floats. */
export function pcm16ToFloats(base64) {
  const binary = atob(base64);
  const out = new Float32Array(binary.length >> 1);
  for (let i = 0; i < out.length; i += 1) {
    let value = binary.charCodeAt(2 * i) | (binary.charCodeAt(2 * i + 1) << 8);
    if (value >= 0x8000) value -= 0x10000;
    out[i] = value / 0x8000;
  }
  return out;
}

export class PcmPlayer {
  constructor({ sampleRate = PLAYBACK_RATE } = {}) {
    this.sampleRate = sampleRate;
    this.context = null;
    this.playing = new Set();
    this.nextAt = 0;
    this.speakingListeners = new Set();
    this.speaking = false;
  }

  onSpeaking(cb) { this.speakingListeners.add(cb); }

  setSpeaking(speaking) {
    if (speaking === this.speaking) return;
    this.speaking = speaking;
    for (const cb of this.speakingListeners) cb(speaking);
  }

  /** Queues one chunk; returns when it starts playing (performance.now() time). */
  play(base64) {
    if (!this.context) this.context = new AudioContext();
    if (this.context.state === 'suspended') this.context.resume().catch(() => {});
    const samples = pcm16ToFloats(base64);
    const started = performance.now();
    if (!samples.length) return started;
    const buffer = this.context.createBuffer(1, samples.length, this.sampleRate);
    buffer.copyToChannel(samples, 0);
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.context.destination);
    const at = Math.max(this.context.currentTime, this.nextAt);
    this.nextAt = at + buffer.duration;
    source.onended = () => {
      this.playing.delete(source);
      if (!this.playing.size) this.setSpeaking(false);
    };
    this.playing.add(source);
    source.start(at);
    this.setSpeaking(true);
    return started + Math.max(0, at - this.context.currentTime) * 1000;
  }

  /** Barge-in: everything queued stops now. */
  stop() {
    for (const source of this.playing) {
      source.onended = null;
      try { source.stop(); } catch (err) { /* already stopped */ }
    }
    this.playing.clear();
    this.nextAt = 0;
    this.setSpeaking(false);
  }

  close() {
    this.stop();
    if (this.context) this.context.close().catch(() => {});
    this.context = null;
  }
}

// The learner's microphone: opened once before a voice session starts (so that a denied or
// missing microphone starts nothing), then shared by the adapters. An AudioWorklet
// (pcm-capture-worklet.js) turns it into 16 kHz PCM16 chunks of 100 ms for Gemini Live and a
// level for the page's meter; OpenAI takes the track itself. Mute disables the track: the
// providers then hear silence.

export const CAPTURE_RATE = 16000;
const WORKLET_URL = new URL('./pcm-capture-worklet.js', import.meta.url);

/** Why the microphone cannot be used, in the learner's words (from getUserMedia's error). */
export function microphoneProblem(err) {
  const name = err && err.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return 'Microphone access was refused. Allow the microphone for this site in your browser, or choose Text practice.';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return 'No microphone was found. Connect one, or choose Text practice.';
  }
  if (name === 'NotReadableError') return 'The microphone is in use by another application. Close it, or choose Text practice.';
  return `The microphone could not be opened (${(err && err.message) || name || 'unknown error'}). Choose Text practice to type instead.`;
}

export class AudioCapture {
  /** Asks for the microphone; rejects with getUserMedia's error (see microphoneProblem). */
  static async open() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw Object.assign(new Error('This browser gives no access to a microphone.'), { name: 'NotFoundError' });
    }
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    const capture = new AudioCapture(stream);
    try {
      await capture.start();
    } catch (err) {
      capture.close();
      throw err;
    }
    return capture;
  }

  constructor(stream) {
    this.stream = stream;
    this.chunkListeners = new Set();
    this.levelListeners = new Set();
    this.muted = false;
  }

  async start() {
    this.context = new AudioContext();
    await this.context.audioWorklet.addModule(WORKLET_URL);
    this.source = this.context.createMediaStreamSource(this.stream);
    this.node = new AudioWorkletNode(this.context, 'pcm-capture', { numberOfInputs: 1, numberOfOutputs: 0 });
    this.node.port.onmessage = ({ data }) => {
      for (const cb of this.levelListeners) cb(data.level);
      for (const cb of this.chunkListeners) cb(data.pcm);
    };
    this.source.connect(this.node);
    if (this.context.state === 'suspended') await this.context.resume();
  }

  get track() { return this.stream.getAudioTracks()[0]; }

  /** cb(ArrayBuffer of PCM16 at 16 kHz); returns the unsubscribe. */
  onChunk(cb) { this.chunkListeners.add(cb); return () => this.chunkListeners.delete(cb); }

  /** cb(level 0..1) every 100 ms. */
  onLevel(cb) { this.levelListeners.add(cb); return () => this.levelListeners.delete(cb); }

  setMuted(muted) {
    this.muted = Boolean(muted);
    for (const track of this.stream.getAudioTracks()) track.enabled = !this.muted;
  }

  close() {
    for (const track of this.stream.getTracks()) track.stop();
    if (this.context) this.context.close().catch(() => {});
    this.chunkListeners.clear();
    this.levelListeners.clear();
  }
}

/** base64 of an ArrayBuffer (for Gemini's realtimeInput.audio.data). */
export function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

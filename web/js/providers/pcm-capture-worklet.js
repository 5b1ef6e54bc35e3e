// The AudioWorklet behind audio-capture.js: the microphone's samples (the context's rate, mono)
// downsampled to 16 kHz by averaging, as little-endian PCM16 in chunks of CHUNK_SAMPLES (100 ms),
// each posted with its level (RMS, 0..1) for the page's meter. Loaded with addModule from the
// site (script-src 'self').

const TARGET_RATE = 16000;
const CHUNK_SAMPLES = 1600;

class PcmCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / TARGET_RATE; // input samples per output sample
    this.carry = 0; // input position of the next output sample, within the next block
    this.sum = 0;
    this.count = 0;
    this.chunk = new Int16Array(CHUNK_SAMPLES);
    this.filled = 0;
    this.energy = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i += 1) {
      this.sum += channel[i];
      this.count += 1;
      if (this.count >= this.step - this.carry) {
        const value = Math.max(-1, Math.min(1, this.sum / this.count));
        this.carry = this.count - (this.step - this.carry);
        this.sum = 0;
        this.count = 0;
        this.push(value);
      }
    }
    return true;
  }

  push(value) {
    this.chunk[this.filled] = value < 0 ? value * 0x8000 : value * 0x7fff;
    this.energy += value * value;
    this.filled += 1;
    if (this.filled < CHUNK_SAMPLES) return;
    const pcm = this.chunk.buffer.slice(0);
    this.port.postMessage({ pcm, level: Math.sqrt(this.energy / CHUNK_SAMPLES) }, [pcm]);
    this.filled = 0;
    this.energy = 0;
  }
}

registerProcessor('pcm-capture', PcmCapture);

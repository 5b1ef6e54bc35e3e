// Gemini Live over the browser's own WebSocket (ai.google.dev/api/live), with the session's
// ephemeral token (providerAccess: url, token). JSON frames (the service sends them binary);
// the microphone as realtimeInput audio (16 kHz PCM16, audio-capture.js); the coach's 24 kHz
// PCM16 through audio-playback.js; transcriptions become lines; record_correction tool calls
// become corrections and are answered. A hand-over gives a new connection the conversation so
// far as clientContent turns (turnComplete: false: the coach waits for the learner, no greeting).
// goAway: a new connection resumes with the latest handle and the latest token (a heartbeat's
// renewal, else the current one; refused: POST /api/session/access), then the old one is closed.

import { toBase64 } from './audio-capture.js';
import { PcmPlayer } from './audio-playback.js';
import { VoiceAdapterBase, closeError } from './voice-adapter.js';

const decoder = new TextDecoder();
const decode = (data) => JSON.parse(typeof data === 'string' ? data : decoder.decode(data));
const AUDIO_MIME = 'audio/pcm;rate=16000';
// A browser may close a WebSocket with 1000 or 3000-4999 only.
const closableCode = (code) => (code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000);

export class GeminiLive extends VoiceAdapterBase {
  /**
   * @param {object} options
   * @param {import('../session-access.js').SessionAccess} options.access
   * @param {string} options.model              the model GET /api/session/providers names
   * @param {import('./audio-capture.js').AudioCapture} options.capture
   * @param {import('./turn-latency.js').TurnLatency} options.latency
   * @param {{role: string, text: string}[]} [options.history]  the conversation so far (a hand-over)
   */
  constructor({ access, model, capture, latency, history = [] }) {
    super('gemini');
    Object.assign(this, { access, model, capture, latency, history });
    this.player = new PcmPlayer();
    this.player.onSpeaking((speaking) => this.notify({ speaking }));
    this.ws = null;
    this.handle = null; // the latest session resumption handle
    this.turnHeard = false; // the coach's audio of this turn has started
  }

  async connect() {
    this.latency.connecting('gemini');
    let access = this.access.of('gemini');
    if (!access || access.used) access = await this.access.renew(); // a token opens one connection
    let ws;
    try {
      ws = await this.open(access, null);
    } catch (err) {
      if (err.code !== 1008 && err.code !== 1007) throw err;
      ws = await this.open(await this.access.renew(), null); // refused: once more with a new token
    }
    this.use(ws);
    this.handOver();
    this.stopAudio = this.capture.onChunk((pcm) => this.sendAudio(pcm));
  }

  /** Opens a connection and sends the setup; resolves the socket at setupComplete. */
  open(access, handle) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${access.url}?access_token=${encodeURIComponent(access.token)}`);
      ws.binaryType = 'arraybuffer';
      let ready = false;
      ws.onopen = () => {
        const setup = { model: `models/${String(this.model).replace(/^models\//, '')}` };
        if (handle) setup.sessionResumption = { handle };
        this.sendOn(ws, { setup });
      };
      ws.onmessage = (event) => {
        let message;
        try { message = decode(event.data); } catch (err) { return; }
        if (!ready && message.setupComplete) {
          ready = true;
          access.used = true;
          resolve(ws);
        } else if (ws === this.ws) {
          this.receive(message);
        }
      };
      ws.onclose = (event) => {
        if (!ready) reject(closeError(event.code, event.reason || 'Gemini refused the connection'));
        else if (ws === this.ws) this.finish(event.code, event.reason);
      };
    });
  }

  use(ws) {
    this.ws = ws;
  }

  sendOn(ws, message, isAudio = false) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(message));
    this.record(message, isAudio);
  }

  sendAudio(pcm) {
    this.sendOn(this.ws, { realtimeInput: { audio: { data: toBase64(pcm), mimeType: AUDIO_MIME } } }, true);
  }

  handOver() {
    const turns = this.history.filter((m) => m.text).map((m) => ({
      role: m.role === 'user' ? 'user' : 'model', parts: [{ text: m.text }] }));
    if (turns.length) this.sendOn(this.ws, { clientContent: { turns, turnComplete: false } });
  }

  receive(message) {
    const update = message.sessionResumptionUpdate;
    if (update && update.newHandle && update.resumable !== false) this.handle = update.newHandle;
    if (message.toolCall) this.answerTools(message.toolCall.functionCalls || []);
    if (message.serverContent) this.content(message.serverContent);
    if (message.goAway) this.resume();
  }

  content(content) {
    if (content.inputTranscription && content.inputTranscription.text) {
      this.hear('user', content.inputTranscription.text);
      this.latency.speechEnded(); // the latest piece of the learner's words marks the end of their turn
    }
    const parts = (content.modelTurn && content.modelTurn.parts) || [];
    for (const part of parts) {
      const audio = part.inlineData;
      if (!audio || !String(audio.mimeType || '').startsWith('audio/pcm')) continue;
      this.flush('user');
      const at = this.player.play(audio.data);
      if (!this.turnHeard) this.latency.coachAudio(at);
      this.turnHeard = true;
    }
    if (content.outputTranscription && content.outputTranscription.text) {
      this.flush('user');
      this.hear('coach', content.outputTranscription.text);
    }
    if (content.interrupted) this.player.stop(); // barge-in: the learner talks over the coach
    if (content.turnComplete || content.interrupted) {
      this.flush('user');
      this.flush('coach');
      this.turnHeard = false;
    }
  }

  answerTools(calls) {
    const functionResponses = calls.map(({ id, name, args }) => {
      const recorded = name === 'record_correction' && this.correction(args);
      return { id, name, response: recorded ? { result: 'recorded' } : { error: `unknown function ${name}` } };
    });
    if (functionResponses.length) this.sendOn(this.ws, { toolResponse: { functionResponses } });
  }

  /** goAway: the same conversation on a new connection (no dialog); the old one closes after. */
  async resume() {
    if (this.resuming || this.finished) return;
    this.resuming = true;
    const old = this.ws;
    const began = performance.now();
    this.notify({ resuming: true });
    try {
      let ws;
      try {
        ws = await this.open(this.access.of('gemini') || await this.access.renew(), this.handle);
      } catch (err) {
        ws = await this.open(await this.access.renew(), this.handle); // the token was refused
      }
      if (this.finished) { ws.close(1000, 'Session ended'); return; }
      this.use(ws);
      if (!this.handle) this.handOver();
      old.close(1000, 'Resumed on a new connection');
      this.notify({ resumed: { connectMs: performance.now() - began } });
    } catch (err) {
      // Not resumed: the old connection closes at the goAway's deadline and the page hears that close.
    } finally {
      this.resuming = false;
    }
  }

  teardown() {
    if (this.stopAudio) this.stopAudio();
    this.player.close();
  }

  close(code = 1000, reason = 'Session ended') {
    const ws = this.ws;
    this.finish(code, reason);
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(closableCode(code), String(reason).slice(0, 120));
  }
}

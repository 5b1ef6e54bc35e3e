// OpenAI Realtime over WebRTC with a call our server places (docs/providers.md): a peer
// connection with the microphone's track and the `oai-events` data channel; the SDP offer goes to
// POST /api/session/connect and its answer comes back; the remote track plays the coach. Events
// (developers.openai.com realtime server events) become lines, corrections and latency marks; a
// hand-over creates the conversation so far as items before the first response.create.
//
// Close codes (WebRTC has none; docs/web.md "Close codes of a WebRTC call"): the peer connection
// `failed` -> 1006; an `error` session_expired (OpenAI's 60-minute cap) then the channel closing
// -> 1001; the channel closing otherwise (the server hung the call up, or the provider dropped it)
// -> 1011; our own close -> what the page asked (1000).

import { VoiceAdapterBase, closeError } from './voice-adapter.js';

const CHANNEL = 'oai-events';
const GATHER_MS = 2000; // the offer goes with the candidates gathered by then (no trickle ICE)
const OPEN_MS = 15000;
const LINGER_MS = 5000; // our close leaves the hangup to the server this long

function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === 'complete') resolve(); };
    pc.addEventListener('icegatheringstatechange', done);
    setTimeout(resolve, GATHER_MS);
  });
}

export class OpenAIRealtime extends VoiceAdapterBase {
  /** Options as GeminiLive's (no model: the server chose it with the call). */
  constructor({ access, capture, latency, history = [] }) {
    super('openai');
    Object.assign(this, { access, capture, latency, history });
    this.expired = false;
    this.lingerMs = 0;
  }

  async connect() {
    this.latency.connecting('openai');
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.addTrack(this.capture.track, this.capture.stream);
    pc.ontrack = (event) => {
      this.audio = new Audio();
      this.audio.autoplay = true;
      this.audio.srcObject = event.streams[0] || new MediaStream([event.track]);
      this.audio.play().catch(() => {}); // autoplay refused: the page was clicked (Start), so rare
    };
    const channel = pc.createDataChannel(CHANNEL);
    this.channel = channel;
    const opened = new Promise((resolve, reject) => {
      channel.onopen = resolve;
      setTimeout(() => reject(closeError(1006, 'The call did not open in time')), OPEN_MS);
    });
    channel.onmessage = (event) => { try { this.receive(JSON.parse(event.data)); } catch (err) { /* not JSON */ } };
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    let answer;
    try {
      answer = await this.access.connect(pc.localDescription.sdp);
    } catch (err) {
      this.teardown();
      throw closeError(err.status >= 500 || err.status === 0 ? 1011 : 1008, `Could not place the call: ${err.message}`);
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    this.callId = answer.callId;
    try {
      await opened;
    } catch (err) {
      this.teardown();
      throw err;
    }
    channel.onclose = () => this.finish(this.expired ? 1001 : 1011,
      this.expired ? 'OpenAI ended the session (session_expired)' : 'OpenAI closed the call');
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') this.finish(1006, 'The WebRTC connection failed');
    };
    this.handOver();
  }

  emitEvent(event) {
    if (!this.channel || this.channel.readyState !== 'open') return;
    this.channel.send(JSON.stringify(event));
    this.record(event);
  }

  /** The conversation so far as items, then the first response: a greeting, or the coach going on. */
  handOver() {
    for (const { role, text } of this.history) {
      if (!text) continue;
      const user = role === 'user';
      this.emitEvent({ type: 'conversation.item.create', item: { type: 'message', role: user ? 'user' : 'assistant',
        content: [{ type: user ? 'input_text' : 'output_text', text }] } });
    }
    this.emitEvent({ type: 'response.create' });
  }

  receive(event) {
    switch (event.type) {
      case 'input_audio_buffer.speech_started': this.flush('coach'); break;
      case 'input_audio_buffer.speech_stopped': this.latency.speechEnded(); break;
      case 'conversation.item.input_audio_transcription.completed':
        this.hear('user', event.transcript);
        this.flush('user');
        break;
      case 'response.output_audio_transcript.done':
        this.hear('coach', event.transcript);
        this.flush('coach');
        break;
      case 'output_audio_buffer.started':
        this.latency.coachAudio();
        this.notify({ speaking: true });
        break;
      case 'output_audio_buffer.stopped': case 'output_audio_buffer.cleared':
        this.notify({ speaking: false });
        break;
      case 'response.function_call_arguments.done': this.answerCall(event); break;
      case 'error':
        if (event.error && event.error.code === 'session_expired') this.expired = true;
        break;
      default:
    }
  }

  answerCall({ call_id: callId, name, arguments: raw }) {
    let args = null;
    try { args = JSON.parse(raw); } catch (err) { args = null; }
    const recorded = name === 'record_correction' && this.correction(args);
    this.emitEvent({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId,
      output: JSON.stringify(recorded ? { result: 'recorded' } : { error: `could not record ${name}` }) } });
    this.emitEvent({ type: 'response.create' });
  }

  /** Stops hearing and being heard; the peer connection closes now, or after `this.lingerMs`. */
  teardown() {
    if (this.channel) this.channel.onclose = null;
    if (this.audio) this.audio.srcObject = null;
    const pc = this.pc;
    if (!pc) return;
    pc.onconnectionstatechange = null;
    pc.getSenders().forEach((sender) => sender.replaceTrack(null).catch(() => {}));
    if (this.lingerMs) setTimeout(() => pc.close(), this.lingerMs);
    else pc.close();
  }

  /**
   * Our close. The call is the server's: the end (or the switch) hangs it up, and the fake's log
   * shows who did. So the page lets the call live a few seconds, silent, before it lets go itself.
   */
  close(code = 1000, reason = 'Session ended') {
    this.lingerMs = LINGER_MS;
    this.finish(code, reason);
  }
}

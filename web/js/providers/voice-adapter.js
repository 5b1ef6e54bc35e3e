// What the two voice adapters (gemini-live.js, openai-realtime.js) share: the VoiceAdapter's
// listeners (onMessage, onClose, and the optional onNotice: {speaking}, {resuming}, {resumed:
// {connectMs}}), the transcript lines a provider sends in pieces, a correction from
// record_correction's arguments, and the debug hook the browser tests read (window.__speakphoSent,
// only when a test made it: every message an adapter sent, to check against the providers' SDKs).

const AUDIO_KEPT = 20; // audio messages kept in the debug hook (the rest are the same shape)

export class VoiceAdapterBase {
  constructor(provider) {
    this.provider = provider;
    this.listeners = { message: [], close: [], notice: [] };
    this.pending = { user: '', coach: '' };
    this.finished = false;
    this.audioSent = 0;
  }

  onMessage(cb) { this.listeners.message.push(cb); }

  onClose(cb) { this.listeners.close.push(cb); }

  onNotice(cb) { this.listeners.notice.push(cb); }

  notify(notice) { for (const cb of this.listeners.notice) cb(notice); }

  emit(message) { if (!this.finished) for (const cb of this.listeners.message) cb(message); }

  /** A piece of a line the provider transcribed ('user' heard, 'coach' said). */
  hear(role, text) { this.pending[role] += text || ''; }

  /** The line so far becomes a transcript line (the learner's before the coach's). */
  flush(role) {
    const text = this.pending[role].replace(/\s+/g, ' ').trim();
    this.pending[role] = '';
    if (text) this.emit({ role, text });
  }

  /** record_correction's arguments as the page's correction, or null. */
  correction(args) {
    if (!args || typeof args.original !== 'string' || typeof args.correction !== 'string') return null;
    const out = { original: args.original, correction: args.correction };
    if (typeof args.explanation === 'string' && args.explanation) out.explanation = args.explanation;
    if (typeof args.category === 'string' && args.category) out.category = args.category;
    this.emit({ correction: out });
    return out;
  }

  /** Once: the connection is over (the code and reason go to the page). */
  finish(code, reason) {
    if (this.finished) return;
    this.flush('user');
    this.flush('coach');
    this.finished = true;
    this.notify({ speaking: false });
    this.teardown();
    for (const cb of this.listeners.close) cb(code, reason || '');
  }

  teardown() {}

  /** The debug hook: a test that set window.__speakphoSent = [] reads what was sent. */
  record(message, isAudio = false) {
    const sent = globalThis.__speakphoSent;
    if (!Array.isArray(sent) || (isAudio && ++this.audioSent > AUDIO_KEPT)) return;
    sent.push({ provider: this.provider, message });
  }

  send() {} // the learner speaks: the microphone goes through the provider's own media path
}

/** An Error carrying a close code (what connect() rejects with). */
export function closeError(code, reason) {
  return Object.assign(new Error(reason || `closed with ${code}`), { code });
}

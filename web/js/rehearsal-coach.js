// A scripted, text-based coach that runs in the browser behind the same adapter interface
// as a realtime voice provider (import('./session-types.js').VoiceAdapter): connect(),
// send(text), onMessage(cb), onClose(cb(code, reason)), close(). It answers from a script,
// corrects a few known mistakes in coach mode (in the seed's shape: original, correction,
// explanation, category), and can drop the connection with a chosen close code (drop(1006),
// drop(1011)) so that the disconnect flow runs in `make dev` and in the tests. No network.

import script from './coach-script.json' with { type: 'json' };

// The script (greetings, replies per difficulty, the mistakes corrected in coach mode) is one
// JSON file shared with the local provider fakes (local/fakes/coach_script.py).

/** Mistakes the coach corrects in coach mode: a pattern of the learner's line, and the correction. */
export const MISTAKES = script.mistakes.map(({ pattern, ...mistake }) => ({
  pattern: new RegExp(pattern.source, pattern.flags), ...mistake }));

const REPLIES = script.replies;

/** A script line with its {placeholders} filled. */
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? '');

const PROVIDER_NAMES = { gemini: 'Gemini', openai: 'OpenAI' };

export class RehearsalCoach {
  /**
   * @param {object} [options]
   * @param {'gemini' | 'openai'} [options.provider]  only shown: the coach plays that provider's part
   * @param {'free' | 'coach'} [options.mode]          coach mode corrects; free mode only talks
   * @param {string} [options.topic]
   * @param {'beginner' | 'intermediate' | 'advanced'} [options.difficulty]
   * @param {number} [options.connectDelayMs]  how long connect() takes
   * @param {number} [options.replyDelayMs]    how long the coach "thinks"
   * @param {number} [options.failConnect]     a close code: the next connect() fails with it
   */
  constructor({ provider = 'gemini', mode = 'coach', topic = 'general', difficulty = 'intermediate',
    connectDelayMs = 120, replyDelayMs = 150, failConnect = null } = {}) {
    Object.assign(this, { provider, mode, topic, difficulty, connectDelayMs, replyDelayMs, failConnect });
    this.state = 'new'; // new -> connecting -> open -> closed
    this.messageHandlers = [];
    this.closeHandlers = [];
    this.turn = 0;
    this.timers = new Set();
  }

  onMessage(callback) {
    this.messageHandlers.push(callback);
  }

  onClose(callback) {
    this.closeHandlers.push(callback);
  }

  later(fn, ms) {
    const timer = setTimeout(() => { this.timers.delete(timer); fn(); }, ms);
    this.timers.add(timer);
  }

  emit(message) {
    if (this.state !== 'open') return;
    for (const handler of this.messageHandlers) handler(message);
  }

  /** Resolves once "connected", then greets; rejects when the connection could not be opened. */
  connect() {
    if (this.state !== 'new') return Promise.reject(new Error('a rehearsal coach connects once; make a new one'));
    this.state = 'connecting';
    return new Promise((resolve, reject) => {
      this.later(() => {
        if (this.state !== 'connecting') {
          reject(new Error('closed while connecting'));
          return;
        }
        if (this.failConnect) {
          this.state = 'closed';
          reject(Object.assign(new Error(`could not connect to ${PROVIDER_NAMES[this.provider]}`), { code: this.failConnect }));
          return;
        }
        this.state = 'open';
        resolve();
        const greeting = script.greetings[this.difficulty] || script.greetings.intermediate;
        this.later(() => this.emit({ role: 'coach', text: fill(greeting, { topic: this.topic }) }), this.replyDelayMs);
      }, this.connectDelayMs);
    });
  }

  /** The learner's line: echoed as heard (as a voice provider's transcript would be), then answered. */
  send(text) {
    if (this.state !== 'open') throw new Error('the coach is not connected');
    const line = String(text).trim();
    if (!line) return;
    this.emit({ role: 'user', text: line });
    const mistake = this.mode === 'coach' ? MISTAKES.find((m) => m.pattern.test(line)) : null;
    const replies = REPLIES[this.difficulty] || REPLIES.intermediate;
    const reply = replies[this.turn % replies.length];
    this.turn += 1;
    this.later(() => {
      if (mistake) {
        const { original, correction, explanation, category } = mistake;
        this.emit({ correction: { original, correction, explanation, category } });
        this.emit({ role: 'coach', text: fill(script.correctionReply, { correction, reply }) });
      } else {
        this.emit({ role: 'coach', text: reply });
      }
    }, this.replyDelayMs);
  }

  finish(code, reason) {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const handler of this.closeHandlers) handler(code, reason);
  }

  /** Closes from our side (1000 by default); onClose handlers hear it, as a WebSocket's would. */
  close(code = 1000, reason = 'Normal closure') {
    this.finish(code, reason);
  }

  /** Rehearsal only: the connection drops as if the network (1006) or the provider (1011) failed. */
  drop(code = 1006, reason = code === 1011 ? 'Internal error on the provider side' : '') {
    this.finish(code, reason);
  }
}

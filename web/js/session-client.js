// The practice session's protocol with the API, for any page that owns a voice connection
// (the practice page here, the real practice app later): start (Idempotency-Key, safe
// retries), heartbeats, connection events, provider switch, end with the transcript (never
// lost: see end-queue.js), the latest usage and the 80 % / 100 % notices. It knows nothing
// of the DOM beyond the window's page-closing events. docs/web.md explains the rules (types: session-types.js).

import { PENDING_ENDS_KEY, deliverEnd, flushPendingEnds, queueEnd, sendOnPageClose, tokenSubject } from './end-queue.js';
import { Emitter } from './emitter.js';
import { onPageClose } from './page-close.js';
import { EventBatcher, MAX_EVENTS_PER_CALL } from './session-events.js';
import {
  LimitReachedError, SessionApiError, backoffMs, heartbeatMsOf, isRetryable, request, send, sleep, usageOfEnd,
} from './session-http.js';
import { LIMITS, Transcript, clip } from './session-transcript.js';

export { LimitReachedError, MAX_EVENTS_PER_CALL, PENDING_ENDS_KEY, SessionApiError, flushPendingEnds, usageOfEnd };
export const NORMAL_CLOSURE = 1000;
export const GOING_AWAY = 1001;
export const THRESHOLDS = [80, 100];
// The learner's start limits (429 until the hour or UTC day ends) are shown, not waited out.
const LIMITED = new Set(['start_rate_limited', 'daily_session_limit']);
const startRetryable = (reply) => (isRetryable(reply) && !LIMITED.has(reply.error && reply.error.code))
  || (reply.status === 409 && reply.error && reply.error.code === 'start_contended');

/**
 * Events (`on(name, callback)`, from emitter.js): usage(usage), threshold(80 | 100, usage),
 * heartbeat(data), limit(usage) (stop: nothing left), ended(answer), endPending({reason}) (not delivered
 * yet, kept on this device), heartbeatFailed(reply), sessionLost(error) (the server no longer has it
 * active), pageClosing() (the page is going away; the client already sent the end).
 */
export class SessionClient extends Emitter {
  /**
   * @param {object} options
   * @param {() => (string | null)} options.getToken  the learner's bearer token
   * @param {string} [options.apiBase]     '' = same origin
   * @param {number} [options.heartbeatMs] fixes the interval (tests); else the start answer's (heartbeatMsOf)
   * @param {typeof fetch} [options.fetch]
   * @param {Storage} [options.storage]    localStorage by default (the pending ends)
   * @param {Window} [options.window]      whose closing ends the session (global window by default)
   */
  constructor({ getToken, apiBase = '', heartbeatMs, fetch, storage, window: win, random, sleep: wait } = {}) {
    super();
    this.transport = { apiBase, getToken, fetch, random, sleep: wait };
    this.fixedHeartbeatMs = heartbeatMs;   // this.heartbeatMs is set by each start
    this.storage = storage || globalThis.localStorage;
    this.window = win === undefined ? globalThis.window : win;
    this.usage = null;
    this.reset();
  }

  reset() {
    this.sessionId = null;
    /** idle → active → ending → ended */
    this.state = 'idle';
    this.transcript = new Transcript();
    this.events = new EventBatcher(this.transport, () => (this.state === 'active' ? this.sessionId : null));
    this.raised = new Set();
    this.provider = null;
    this.initialProvider = null;
    this.pendingEnd = null;
    this.ending = null;
    this.heartbeatFailures = 0;
  }

  // ------------------------------------------------------------------ start

  /**
   * Starts a session: one Idempotency-Key, retried with the same key and body.
   * @param {import('./session-types.js').StartOptions} options
   */
  async start(options = {}) {
    // An end still waiting for its answer may stay behind: it is queued, and its retries go on.
    if (this.state === 'active') throw new Error('a session is already running');
    this.reset();
    const body = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined && v !== ''));
    let data;
    try {
      data = await send(this.transport, 'POST', '/api/session/start', body, {
        headers: { 'Idempotency-Key': crypto.randomUUID() }, maxAttempts: 6, retryIf: startRetryable,
      });
    } catch (err) {
      if (err instanceof SessionApiError && err.status === 402) {
        const limit = new LimitReachedError({ status: 402, error: { code: err.code, details: err.details } });
        if (limit.usage) this.setUsage(limit.usage);
        throw limit;
      }
      throw err;
    }
    this.sessionId = data.sessionId;
    this.provider = data.provider || body.provider || 'gemini';
    this.initialProvider = this.provider;
    this.state = 'active';
    this.heartbeatMs = this.fixedHeartbeatMs || heartbeatMsOf(data);
    this.watchPageClose();
    if (data.usage) this.setUsage(data.usage);
    this.scheduleHeartbeat();
    return data;
  }

  // ------------------------------------------------------------------ usage and notices

  /** Keeps the latest usage and raises the 80 % and 100 % notices, once each per session. */
  setUsage(usage) {
    this.usage = usage;
    this.usageAt = Date.now();
    this.emit('usage', usage);
    if (this.state !== 'active' || !usage || !usage.secondsLimit) return;
    const share = (100 * usage.secondsUsed) / usage.secondsLimit;
    for (const level of THRESHOLDS) this.raise(level, share >= level);
  }

  raise(level, reached = true) {
    if (!reached || this.raised.has(level)) return;
    this.raised.add(level);
    this.emit('threshold', level, this.usage);
  }

  /** GET /api/usage (e.g. before a session, for the meter). */
  async refreshUsage() {
    const usage = await send(this.transport, 'GET', '/api/usage', undefined, { maxAttempts: 3 });
    this.setUsage(usage);
    return usage;
  }

  // ------------------------------------------------------------------ heartbeats

  scheduleHeartbeat(delay = this.heartbeatMs) {
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = setTimeout(() => this.heartbeat(), delay);
  }

  stopHeartbeats() { clearTimeout(this.heartbeatTimer); this.heartbeatTimer = null; }

  async heartbeat() {
    if (this.state !== 'active') return;
    const sessionId = this.sessionId;
    const reply = await request(this.transport, 'POST', '/api/session/heartbeat', { sessionId });
    if (this.state !== 'active' || sessionId !== this.sessionId) return;
    if (reply.ok) {
      this.heartbeatFailures = 0;
      this.emit('heartbeat', reply.data); // e.g. a renewed providerAccess (session-access.js keeps it)
      this.setUsage(reply.data.usage);
      if (reply.data.limitReached) return this.limitReached();
      return this.scheduleHeartbeat();
    }
    if (reply.status === 402) {
      if (reply.error && reply.error.details && reply.error.details.usage) this.setUsage(reply.error.details.usage);
      return this.limitReached();
    }
    if (isRetryable(reply) || reply.status === 401) {
      this.emit('heartbeatFailed', reply);
      const delay = backoffMs(this.heartbeatFailures, { baseMs: 1000, maxMs: this.heartbeatMs, random: this.transport.random });
      this.heartbeatFailures += 1;
      return this.scheduleHeartbeat(delay);
    }
    this.stopHeartbeats(); // 404 or 409 session_not_active: closed by the sweeper or a newer start
    this.emit('sessionLost', new SessionApiError(reply));
  }

  limitReached() {
    this.stopHeartbeats();
    this.raise(100);
    this.emit('limit', this.usage);
  }

  // ------------------------------------------------------------------ transcript and events

  /** @param {import('./session-types.js').Message} message */
  addMessage(message) { this.transcript.addMessage(message); }

  /** @param {import('./session-types.js').Correction} correction */
  addCorrection(correction) { this.transcript.addCorrection(correction); }

  /**
   * Records a connection event (a new eventId, `at` = now) and sends it soon, batched.
   * @param {import('./session-types.js').ClientEvent} event
   */
  recordEvent({ provider = this.provider, ...event }) {
    return this.events.record({ ...event, provider });
  }

  // ------------------------------------------------------------------ provider switch

  /** Moves the session to the other provider, saying why (the close code and reason). */
  async switchProvider(provider, { code, reason } = {}) {
    const body = { sessionId: this.sessionId, provider };
    if (code !== undefined && code !== null) body.disconnectCode = code;
    if (reason) body.disconnectReason = clip(reason, LIMITS.reason);
    let data;
    try {
      data = await send(this.transport, 'POST', '/api/session/switch-provider', body, { maxAttempts: 6 });
    } catch (err) {
      // Already on that provider: an earlier try whose answer was lost did it.
      if (!(err instanceof SessionApiError && err.status === 409 && err.code === 'provider_unchanged')) throw err;
      data = { sessionId: this.sessionId, provider };
    }
    this.provider = provider;
    return data;
  }

  // ------------------------------------------------------------------ end

  endBody({ disconnectCode, disconnectReason, pageClosed = false } = {}) {
    const body = {
      sessionId: this.sessionId,
      provider: this.provider,
      providerSwitched: this.provider !== this.initialProvider,
      messages: [...this.transcript.messages],
      corrections: [...this.transcript.corrections],
      events: this.events.forEnd(),
    };
    if (disconnectCode !== undefined && disconnectCode !== null) body.disconnectCode = disconnectCode;
    if (disconnectReason) body.disconnectReason = clip(disconnectReason, LIMITS.reason);
    if (pageClosed) body.pageClosed = true;
    const latency = this.latencySummary && this.latencySummary(); // set by the page: turn-latency.js
    if (latency) body.latency = latency;
    return body;
  }

  /**
   * Ends the session with the transcript, corrections and unsent events. The end is queued
   * in localStorage first, then sent with the same body until answered (backoff, no limit
   * while the page lives); `endPending` fires after the first failure. Resolves the API's
   * answer; rejects only for a 401 or a refusal (the end stays queued either way).
   */
  end({ disconnectCode = NORMAL_CLOSURE, disconnectReason } = {}) {
    if (this.state === 'ending' || this.state === 'ended') return this.ending;
    if (this.state !== 'active') return Promise.reject(new Error('no session is running'));
    this.ending = this.deliver(this.queueEnd({ disconnectCode, disconnectReason }));
    return this.ending;
  }

  /** Stops the heartbeats and writes the end to the queue (localStorage) before anything is sent. */
  queueEnd(fields) {
    this.state = 'ending';
    this.stopHeartbeats();
    this.pendingEnd = {
      sessionId: this.sessionId, user: tokenSubject(this.transport.getToken()), queuedAt: Date.now(),
      body: this.endBody(fields),
    };
    if (!queueEnd(this.pendingEnd, this.storage)) this.emit('queueUnavailable');
    return this.pendingEnd;
  }

  /** Sends a queued end until answered. Once a newer session has started, it goes on quietly (queue only). */
  async deliver(entry) {
    for (let attempt = 0; ; attempt += 1) {
      const { outcome, data, reply } = await deliverEnd(this.transport, entry, this.storage);
      const current = entry === this.pendingEnd;
      if (outcome === 'delivered') {
        if (!current) return data;
        this.state = 'ended';
        this.unwatchPageClose();
        if (data) this.setUsage(usageOfEnd(data));
        this.emit('ended', data);
        return data;
      }
      if (outcome !== 'retry') {
        if (current) this.emit('endPending', { reason: outcome, error: new SessionApiError(reply) });
        throw new SessionApiError(reply);
      }
      if (attempt === 0 && current) this.emit('endPending', { reason: 'network', error: new SessionApiError(reply) });
      await (this.transport.sleep || sleep)(Math.max(reply.retryAfterMs || 0,
        backoffMs(attempt, { baseMs: 1000, maxMs: 30_000, random: this.transport.random })));
    }
  }

  // ------------------------------------------------------------------ the page closing

  watchPageClose() {
    if (this.window && !this.unwatch) this.unwatch = onPageClose(this.window, () => this.pageClosing());
  }

  unwatchPageClose() {
    if (this.unwatch) this.unwatch();
    this.unwatch = null;
  }

  /**
   * The page is going away. A live session ends with 1001 "Going away" and pageClosed: true
   * (queued, then sent with keepalive); an end still waiting for its answer is sent again
   * with keepalive, as it is.
   */
  pageClosing() {
    if (this.state === 'active') {
      this.queueEnd({ disconnectCode: GOING_AWAY, disconnectReason: 'Going away: the page was closed', pageClosed: true });
      this.emit('pageClosing');
    }
    // pagehide and visibilitychange may both report the same closing: one keepalive per end.
    if (this.state !== 'ending' || !this.pendingEnd || this.sentOnClose === this.pendingEnd) return;
    this.sentOnClose = this.pendingEnd;
    sendOnPageClose(this.transport, this.pendingEnd, this.storage);
  }

  /** Stops timers and listeners (the session, if any, is left as it is). */
  dispose() {
    this.stopHeartbeats();
    this.unwatchPageClose();
  }
}

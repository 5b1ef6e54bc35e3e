// The session's connection events (POST /api/session/events): each gets a new eventId and
// the client's time, they travel in batches of at most 50, a failed call is retried (the
// server ignores eventIds it already has, so a repeat is harmless), and what is still
// unsent when the session ends goes in the end's body.

import { Cancelled, send } from './session-http.js';

export const MAX_EVENTS_PER_CALL = 50;
const MAX_REASON = 500;

export class EventBatcher {
  /**
   * @param {import('./session-http.js').Transport} transport
   * @param {() => (string | null)} liveSessionId  the session while it is active, else null
   */
  constructor(transport, liveSessionId) {
    this.transport = transport;
    this.liveSessionId = liveSessionId;
    this.pending = [];
    this.flight = null;
  }

  /** @param {import("./session-types.js").ClientEvent} input */
  record({ type, provider, code, reason, connectMs }) {
    const event = { eventId: crypto.randomUUID(), type, at: Date.now(), provider };
    if (type === 'provider_disconnected') {
      if (code !== undefined && code !== null) event.code = code;
      if (reason) event.reason = String(reason).slice(0, MAX_REASON);
    }
    if (type === 'provider_connected' && Number.isFinite(connectMs)) event.connectMs = Math.max(0, Math.round(connectMs));
    this.pending.push(event);
    if (!this.flight) this.flight = this.flush().finally(() => { this.flight = null; });
    return event;
  }

  /** Sends what is pending while the session is active; stops (keeping them) when the network fails. */
  async flush() {
    await Promise.resolve(); // events recorded in the same tick travel together
    let sessionId = this.liveSessionId();
    while (this.pending.length && sessionId) {
      const batch = this.pending.slice(0, MAX_EVENTS_PER_CALL);
      try {
        await send(this.transport, 'POST', '/api/session/events', { sessionId, events: batch }, {
          maxAttempts: 5, maxMs: 8000, isCancelled: () => !this.liveSessionId(),
        });
      } catch (err) {
        if (err instanceof Cancelled || err.status === 0 || err.status === 429 || err.status >= 500) return;
        // Any other 4xx refuses these events as they are: sending them again would not change that.
      }
      this.pending = this.pending.filter((e) => !batch.includes(e));
      sessionId = this.liveSessionId();
    }
  }

  /** The first 50 unsent events, for the end's body. */
  forEnd() {
    return this.pending.slice(0, MAX_EVENTS_PER_CALL);
  }
}

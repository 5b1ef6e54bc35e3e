// A voice session's provider access, next to the session client (session-client.js): the latest
// `providerAccess` the API gave (start, switch, a heartbeat's renewal, /access), a new Gemini
// token on demand (POST /api/session/access: a reconnect, a resumption whose token is refused),
// and the OpenAI call placed with the browser's offer (POST /api/session/connect). docs/providers.md
// says what the server does with them; docs/web.md how the page uses them.

import { send } from './session-http.js';

export class SessionAccess {
  /** @param {import('./session-client.js').SessionClient} client  whose session and transport are used */
  constructor(client) {
    this.client = client;
    this.latest = null;
    client.on('heartbeat', (data) => this.take(data && data.providerAccess));
  }

  /** Keeps an answer's providerAccess (start, switch, heartbeat, /access); null/undefined keeps the last. */
  take(access) {
    if (access) this.latest = access;
    return this.latest;
  }

  /** Forgets the access (a new session, a text session). */
  clear() { this.latest = null; }

  /** The access for `provider`, if the latest is for it. */
  of(provider) {
    return this.latest && this.latest.provider === provider ? this.latest : null;
  }

  /** A new Gemini token for the live session (POST /api/session/access). */
  async renew() {
    const data = await send(this.client.transport, 'POST', '/api/session/access',
      { sessionId: this.client.sessionId }, { maxAttempts: 3 });
    return this.take(data.providerAccess);
  }

  /**
   * Places the session's OpenAI call with the browser's SDP offer: {provider, sdp, callId, expiresAt}.
   * One Idempotency-Key for the tries of one offer: a retry whose first try did reach the server
   * gets the same call back instead of replacing it.
   */
  async connect(sdp) {
    return send(this.client.transport, 'POST', '/api/session/connect',
      { sessionId: this.client.sessionId, sdp },
      { headers: { 'Idempotency-Key': crypto.randomUUID() }, maxAttempts: 4 });
  }
}

// The session client's requests: one call (never throws; a network failure is status 0),
// the retry rule (network errors, 5xx, 429, 409 request_in_progress), exponential backoff
// with jitter, and Retry-After. Used by session-client.js and end-queue.js; it imports
// nothing of the pages, so the practice app can take these modules as they are.

/**
 * @typedef {object} Transport
 * @property {string} [apiBase]            the API's origin and stage ('' = this site)
 * @property {() => (string | null)} getToken  the bearer token, read at each call
 * @property {typeof fetch} [fetch]         defaults to the global fetch
 * @property {() => number} [random]        0..1, defaults to Math.random (tests pin it)
 * @property {(ms: number) => Promise<void>} [sleep]
 */

/**
 * @typedef {object} Reply
 * @property {number} status               HTTP status; 0 when the request never got an answer
 * @property {boolean} ok                  a 2xx with {success: true}
 * @property {any} [data]                  the envelope's data
 * @property {{code?: string, message?: string, details?: any}} [error]
 * @property {number} [retryAfterMs]       from a Retry-After header
 */

/** An answer the client gives up on (or must not retry): the HTTP status and the API's error. */
export class SessionApiError extends Error {
  /** @param {Reply} reply */
  constructor(reply, message) {
    const error = (reply && reply.error) || {};
    super(message || error.message || (reply && reply.status
      ? `The server answered HTTP ${reply.status}.` : 'Could not reach the server.'));
    this.name = 'SessionApiError';
    this.status = reply ? reply.status : 0;
    this.code = error.code || (this.status ? `http_${this.status}` : 'network_error');
    this.details = error.details;
  }
}

/** start answered 402: nothing is left this month. `usage` is the API's error.details.usage. */
export class LimitReachedError extends SessionApiError {
  constructor(reply) {
    super(reply, 'You have used all your voice minutes for this month.');
    this.name = 'LimitReachedError';
    this.usage = (reply.error && reply.error.details && reply.error.details.usage) || null;
  }
}

// The heartbeat interval when a start answer does not say (a replay of a start answered before the field).
export const DEFAULT_HEARTBEAT_MS = 60_000;

/** The heartbeat interval a start answer asks for (`heartbeatIntervalSeconds`, the server's setting), in ms. */
export function heartbeatMsOf(started) {
  const seconds = Number(started && started.heartbeatIntervalSeconds);
  return seconds >= 1 ? seconds * 1000 : DEFAULT_HEARTBEAT_MS;
}

/** The usage an end answer implies (it carries totals, not the usage view). */
export function usageOfEnd(answer) {
  const used = Number(answer.totalSecondsUsed || 0);
  const remaining = Number(answer.secondsRemaining || 0);
  return {
    secondsUsed: used, secondsRemaining: remaining, secondsLimit: used + remaining,
    minutesUsed: answer.totalMinutesUsed, minutesRemaining: answer.minutesRemaining,
  };
}

export const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Retry-After: delta seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value, now = Date.now()) {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Exponential backoff with jitter: attempt 0, 1, 2... waits between half and all of
 * min(maxMs, baseMs * 2^attempt), so retrying clients spread out instead of arriving together.
 */
export function backoffMs(attempt, { baseMs = 500, maxMs = 30_000, random = Math.random } = {}) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function url(transport, path) {
  return String(transport.apiBase || '').replace(/\/+$/, '') + path;
}

/** Headers of a JSON call with the bearer token. */
export function jsonHeaders(transport, extra = {}) {
  const headers = { ...extra, Accept: 'application/json', 'Content-Type': 'application/json' };
  const token = transport.getToken && transport.getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

/**
 * One call. `body` is sent as given when it is a string (a retry sends the same bytes).
 * @returns {Promise<Reply>}
 */
export async function request(transport, method, path, body, { headers = {}, keepalive = false } = {}) {
  const doFetch = transport.fetch || globalThis.fetch.bind(globalThis);
  const init = { method, headers: jsonHeaders(transport, headers), cache: 'no-store', keepalive };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  let res;
  try {
    res = await doFetch(url(transport, path), init);
  } catch (err) {
    return { status: 0, ok: false, error: { code: 'network_error', message: 'Could not reach the server.' } };
  }
  let payload = null;
  try {
    payload = await res.json();
  } catch (err) {
    payload = null;
  }
  const reply = { status: res.status, ok: res.ok && Boolean(payload) && payload.success === true };
  if (reply.ok) reply.data = payload.data;
  else reply.error = (payload && payload.error) || { code: `http_${res.status}` };
  const after = retryAfterMs(res.headers && res.headers.get && res.headers.get('Retry-After'));
  if (after !== undefined) reply.retryAfterMs = after;
  return reply;
}

/** Worth sending again as it was: no answer, 5xx, 429, or 409 request_in_progress (the same key is still running). */
export function isRetryable(reply) {
  return reply.status === 0 || reply.status === 429 || reply.status >= 500
    || (reply.status === 409 && Boolean(reply.error) && reply.error.code === 'request_in_progress');
}

/** Thrown by send() when isCancelled() turned true while it was waiting. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

/**
 * Sends one request until it is answered, with the same body (and headers) every time.
 * Retries what `retryIf` accepts (default isRetryable) up to `maxAttempts` calls, waiting
 * backoffMs() or the server's Retry-After, whichever is longer. Resolves the envelope's data;
 * throws SessionApiError for an answer it does not retry (or the last one), Cancelled when
 * `isCancelled()` becomes true.
 */
export async function send(transport, method, path, body, {
  headers = {}, maxAttempts = 6, baseMs = 500, maxMs = 30_000, retryIf = isRetryable,
  isCancelled = () => false, onRetry = () => {},
} = {}) {
  const bytes = body === undefined ? undefined : JSON.stringify(body);
  const wait = transport.sleep || sleep;
  for (let attempt = 0; ; attempt += 1) {
    if (isCancelled()) throw new Cancelled();
    const reply = await request(transport, method, path, bytes, { headers });
    if (reply.ok) return reply.data;
    if (!retryIf(reply) || attempt + 1 >= maxAttempts) throw new SessionApiError(reply);
    const delay = Math.max(reply.retryAfterMs || 0,
      backoffMs(attempt, { baseMs, maxMs, random: transport.random || Math.random }));
    onRetry(reply, attempt, delay);
    await wait(delay);
  }
}

// Session ends that have not been answered yet, kept in localStorage so that no transcript
// is lost: an end is written here BEFORE it is sent, and removed only after the server
// answered 2xx (or a 409 saying the session is no longer active). A page that closes sends
// it with fetch keepalive; whatever is still here is sent again by flushPendingEnds() on
// the next page load. The end is idempotent server-side (a repeat answers the stored result
// and records nothing), so sending one twice is harmless; it is recorded once.
//
// What this device keeps is bounded: a queued end expires QUEUED_END_MAX_AGE_MS after it was
// queued (dropped at the next flush), and signing out drops that learner's queued ends
// (forgetEndsOf): a shared device keeps no one's transcript after they leave. Either way the
// learner is told what was dropped (droppedNote).

import { backoffMs, request, sleep as defaultSleep } from './session-http.js';

/** localStorage key: a JSON array of PendingEnd, oldest first. */
export const PENDING_ENDS_KEY = 'speakpho.pendingEnds';
/** A queued end older than this is dropped, unsent: 7 days. */
export const QUEUED_END_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
/** fetch keepalive refuses bodies over 64 KiB (the browser's budget for a closing page). */
export const KEEPALIVE_MAX_BYTES = 60 * 1024;

/**
 * @typedef {object} PendingEnd
 * @property {string} sessionId
 * @property {string | null} user     the token's `sub` when it was queued: only that learner sends it
 * @property {object} body            the POST /api/session/end body, sent as it is on every try
 * @property {number} queuedAt        epoch ms
 * @property {{status: number, code: string, at: number}} [rejected]
 *   a 4xx that no retry can change (e.g. 404, 422): kept, never sent again automatically
 */

/** The `sub` of a JWT (for matching queued ends to the learner signed in), or null. */
export function tokenSubject(token) {
  try {
    const part = String(token).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
    return claims && claims.sub ? String(claims.sub) : null;
  } catch (err) {
    return null;
  }
}

/** @returns {PendingEnd[]} */
export function readQueue(storage = globalThis.localStorage) {
  try {
    const list = JSON.parse(storage.getItem(PENDING_ENDS_KEY) || '[]');
    return Array.isArray(list) ? list.filter((e) => e && e.sessionId && e.body) : [];
  } catch (err) {
    return [];
  }
}

function writeQueue(storage, list) {
  if (list.length) storage.setItem(PENDING_ENDS_KEY, JSON.stringify(list));
  else storage.removeItem(PENDING_ENDS_KEY);
}

/** Adds (or replaces, by sessionId) an end. False when localStorage refused it (full, disabled). */
export function queueEnd(entry, storage = globalThis.localStorage) {
  try {
    writeQueue(storage, [...readQueue(storage).filter((e) => e.sessionId !== entry.sessionId), entry]);
    return true;
  } catch (err) {
    return false;
  }
}

function updateQueue(storage, sessionId, change) {
  try {
    const list = readQueue(storage);
    writeQueue(storage, list.flatMap((e) => (e.sessionId === sessionId ? change(e) : [e])));
  } catch (err) {
    // storage unavailable: nothing to update
  }
}

export const removeEnd = (sessionId, storage = globalThis.localStorage) => updateQueue(storage, sessionId, () => []);

/** Removes the queued ends `drop` selects; returns them (none when storage is unavailable). */
function dropWhere(storage, drop) {
  try {
    const list = readQueue(storage);
    const dropped = list.filter(drop);
    if (dropped.length) writeQueue(storage, list.filter((e) => !drop(e)));
    return dropped;
  } catch (err) {
    return [];
  }
}

/** Signing out: drops every end queued by `user` (a token's sub); returns them. */
export function forgetEndsOf(user, storage = globalThis.localStorage) {
  return user && storage ? dropWhere(storage, (e) => e.user === user) : [];
}

/**
 * Drops every end queued more than QUEUED_END_MAX_AGE_MS before `now`, whoever queued it (an
 * end is never kept longer, even for a learner who does not come back); returns them. An end
 * with no readable queuedAt counts as expired.
 */
export function dropExpiredEnds(now = Date.now(), storage = globalThis.localStorage) {
  if (!storage) return [];
  return dropWhere(storage, (e) => !(Number(e.queuedAt) > now - QUEUED_END_MAX_AGE_MS));
}

/**
 * A sentence telling the learner which conversations were dropped from this device, unsent
 * (why: 'expired' or 'signedOut'), or '' for none. Dates as queued, in the learner's locale.
 */
export function droppedNote(dropped, why) {
  if (!dropped || !dropped.length) return '';
  const count = dropped.length === 1 ? '1 conversation' : `${dropped.length} conversations`;
  const dates = [...new Set(dropped.map((e) => (Number(e.queuedAt) > 0
    ? new Date(Number(e.queuedAt)).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' })
    : 'an unknown date')))].join(', ');
  const was = dropped.length === 1 ? 'was' : 'were';
  return why === 'expired'
    ? `${count} saved on this device (from ${dates}) could not be sent within 7 days and ${was} deleted from this device; ${dropped.length === 1 ? 'it is' : 'they are'} not in your history.`
    : `${count} saved on this device and not yet sent (from ${dates}) ${was} deleted from this device when you signed out; ${dropped.length === 1 ? 'it is' : 'they are'} not in your history.`;
}

/** A 409 that means the session is already over: the end has nothing more to do. */
const ALREADY_ENDED = new Set(['session_not_active', 'session_ended']);

/** A 422 that names only `pageClosed`: an API older than that field (see docs/web.md). */
function refusesPageClosed(reply) {
  if (reply.status !== 422 || !reply.error) return false;
  const details = [reply.error.details].flat().filter(Boolean);
  return details.length > 0 && details.every((d) => /(^|\.)pageClosed$/.test(String(d.field || '')));
}

/**
 * Sends one queued end once and settles the queue:
 * - delivered: 2xx (the answer is in `data`), or a 409 saying the session already ended;
 *   removed from the queue;
 * - retry: no answer, 5xx, 429: kept;
 * - unauthorized: 401, kept for the next sign-in;
 * - rejected: any other 4xx: kept, marked, not sent again automatically.
 * @returns {Promise<{outcome: 'delivered' | 'retry' | 'unauthorized' | 'rejected', data?: any, reply: any}>}
 */
export async function deliverEnd(transport, entry, storage = globalThis.localStorage) {
  let reply = await request(transport, 'POST', '/api/session/end', entry.body);
  if (refusesPageClosed(reply)) {
    // Nothing was written (a 422 changes nothing): the same end without the field.
    const body = { ...entry.body };
    delete body.pageClosed;
    entry.body = body;
    updateQueue(storage, entry.sessionId, (e) => [{ ...e, body }]);
    reply = await request(transport, 'POST', '/api/session/end', body);
  }
  if (reply.ok || (reply.status === 409 && ALREADY_ENDED.has(reply.error && reply.error.code))) {
    removeEnd(entry.sessionId, storage);
    return { outcome: 'delivered', data: reply.ok ? reply.data : null, reply };
  }
  if (reply.status === 401) return { outcome: 'unauthorized', reply };
  if (reply.status === 0 || reply.status === 429 || reply.status >= 500 || reply.status === 409) {
    return { outcome: 'retry', reply };
  }
  const rejected = { status: reply.status, code: (reply.error && reply.error.code) || '', at: Date.now() };
  updateQueue(storage, entry.sessionId, (e) => [{ ...e, rejected }]);
  return { outcome: 'rejected', reply };
}

/**
 * For a page that is closing: sends the end with fetch keepalive, which outlives the page.
 * A body over KEEPALIVE_MAX_BYTES cannot go that way; it stays queued for the next visit
 * (it is already in the queue). Returns whether a keepalive request was sent.
 */
export function sendOnPageClose(transport, entry, storage = globalThis.localStorage) {
  const bytes = JSON.stringify(entry.body);
  if (new TextEncoder().encode(bytes).length > KEEPALIVE_MAX_BYTES) return false;
  try {
    request(transport, 'POST', '/api/session/end', bytes, { keepalive: true }).then((reply) => {
      if (reply.ok) removeEnd(entry.sessionId, storage); // only if the page lived to see the answer
    });
    return true;
  } catch (err) {
    return false;
  }
}

async function withQueueLock(work) {
  // Two tabs flushing at once would only send repeats (harmless), but one at a time is tidier.
  if (globalThis.navigator && navigator.locks && navigator.locks.request) {
    return navigator.locks.request('speakpho.pendingEnds', work);
  }
  return work();
}

/**
 * Sends the ends queued by earlier visits of the learner signed in (the pages call this
 * on load). Each is tried up to `attempts` times with backoff; what is still unanswered
 * stays queued for the next load.
 * @param {{apiBase?: string, getToken: () => (string | null), fetch?: typeof fetch,
 *          storage?: Storage, attempts?: number, sleep?: (ms: number) => Promise<void>}} options
 * Ends older than QUEUED_END_MAX_AGE_MS are dropped first, unsent: the signed-in learner's
 * are reported in `expired` (the others' are dropped all the same).
 * @returns {Promise<{delivered: string[], kept: string[], expired: PendingEnd[]}>} session ids; the expired ends
 */
export async function flushPendingEnds({ storage = globalThis.localStorage, attempts = 3, now = Date.now(),
  ...transport } = {}) {
  const user = tokenSubject(transport.getToken && transport.getToken());
  const result = { delivered: [], kept: [], expired: [] };
  if (!user || !storage) return result;
  await withQueueLock(async () => {
    result.expired = dropExpiredEnds(now, storage).filter((e) => e.user === user);
    for (const entry of readQueue(storage)) {
      if (entry.user !== user || entry.rejected) continue;
      let outcome = 'retry';
      for (let attempt = 0; attempt < attempts && outcome === 'retry'; attempt += 1) {
        if (attempt) await (transport.sleep || defaultSleep)(backoffMs(attempt - 1, { baseMs: 1000, maxMs: 8000 }));
        ({ outcome } = await deliverEnd(transport, entry, storage));
      }
      (outcome === 'delivered' ? result.delivered : result.kept).push(entry.sessionId);
      if (outcome === 'unauthorized') break;
    }
  });
  return result;
}

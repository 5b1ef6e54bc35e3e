// The admin page's words for the API's values. Close-code labels come from the API
// (stats.closeCodeLabels / stats.closeCodes); the page keeps no copy of them.

import { providerName } from './format.js';

const codes = { labels: {}, details: {} };

/** Keeps the close-code words of the last stats answer. */
export function setCodeWords(stats) {
  codes.labels = (stats && stats.closeCodeLabels) || {};
  codes.details = (stats && stats.closeCodes) || {};
}

/** The API's label of a close code ("" when it gave none). */
export function codeLabel(code) {
  if (code === null || code === undefined) return '';
  const key = String(code);
  return codes.labels[key] || (codes.details[key] && codes.details[key].label) || '';
}

/** The seed's "Common cause" of a code, as the API sends it (stats.closeCodes[code].cause; "" when none). */
export function codeCause(code) {
  if (code === null || code === undefined) return '';
  const detail = codes.details[String(code)] || (Number(code) >= 1000 ? codes.details.other : null);
  return (detail && detail.cause) || '';
}

/** "1011 Server error", or just the code. */
export function codeText(code) {
  return `${code} ${codeLabel(code)}`.trim();
}

/** A code key of the API's breakdowns: "1011", "other" (outside the table) or "none". */
export function codeKeyText(key) {
  if (key === 'none') return 'no code';
  if (key === 'other') return (codes.details.other && codes.details.other.label) || 'other code';
  return codeText(key);
}

export const ENDED_BY = {
  learner: 'Learner',
  provider: 'Provider',
  network: 'Network',
  limit: 'Minute limit',
  client_vanished: 'Timed out (no heartbeat)',
  superseded: 'Newer session',
};

export function endedByText(endedBy) {
  return ENDED_BY[endedBy] || (endedBy ? String(endedBy) : '');
}

export const EVENT_NAMES = {
  started: 'Started',
  provider_connected: 'Connected',
  provider_disconnected: 'Disconnected',
  reconnect_attempt: 'Reconnect attempt',
  provider_switched: 'Switched provider',
  heartbeat_gap: 'Heartbeat gap',
  ended: 'Ended',
  timed_out: 'Timed out',
  superseded: 'Superseded by a newer session',
};

export function eventName(type) {
  return EVENT_NAMES[type] || String(type || 'event').replace(/_/g, ' ');
}

export const isLive = (session) => session.status === 'active';

/** Closed by the server without an end from the client: the sweeper (no heartbeat) or a newer start. */
export function isTimedOut(session) {
  if (isLive(session)) return false;
  if (session.endedBy === 'client_vanished' || session.endedBy === 'superseded') return true;
  const noCode = session.disconnectCode === null || session.disconnectCode === undefined;
  return noCode && (session.endReason === 'timeout' || session.endReason === 'stale');
}

/** Closed by a newer start of the same learner (not by the sweeper). */
function isReplaced(session) {
  return session.endedBy === 'superseded' || (!session.endedBy && session.endReason === 'stale');
}

/** What the Disconnect column and fact say. */
export function disconnectText(session) {
  if (isLive(session)) return 'Live: not ended yet';
  if (isTimedOut(session)) return isReplaced(session) ? 'No end (replaced by a newer session)' : 'No end (timed out)';
  const code = session.disconnectCode;
  return code === null || code === undefined ? 'Clean' : codeText(code);
}

/** "switched · 1011 Server error", "switched" when the API gives no cause. */
export function switchText(session) {
  const cause = session.switchCause;
  return cause ? `switched · ${codeKeyText(cause)}` : 'switched';
}

export function providerPath(session) {
  if (!session.providerSwitched) return providerName(session.provider);
  return `${providerName(session.initialProvider)} → ${providerName(session.provider)}`;
}

// One session for admins (GET /api/admin/sessions/{id}): facts, the timeline strip and list,
// transcript and corrections. Linked as /admin#session=<id>.

import { api, ApiError, describeError } from './api.js';
import { $, fill, h, setStatus } from './dom.js';
import { duration, minutes, plural, providerName, titleCase, utcDateTime } from './format.js';
import { bubble, correctionItem } from './transcript.js';
import { codeCause, codeKeyText, disconnectText, endedByText, isLive, providerPath } from './admin-words.js';
import { renderTimeline } from './admin-timeline.js';

let request = 0;
let forbidden = () => {};

/** onForbidden: what the page does when the API answers 403. */
export function initDetail({ onForbidden }) {
  forbidden = onForbidden;
  $('#detail-back').addEventListener('click', closeDetail);
}

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value === null || value === undefined || value === '' ? '—' : value)];
}

/** The session's own reply latency, per provider, as its end reported it (null: none reported). */
function latencyText(latency) {
  if (!latency || typeof latency !== 'object' || !Object.keys(latency).length) return null;
  return Object.keys(latency).sort().map((provider) => {
    const row = latency[provider] || {};
    const turns = Number(row.turns || 0);
    const replies = turns ? `p50 ${Number(row.p50Ms)} ms, p95 ${Number(row.p95Ms)} ms over ${plural(turns, 'turn')}`
      : 'no turns';
    const first = row.firstAudioMs !== undefined && row.firstAudioMs !== null
      ? `; first audio ${Number(row.firstAudioMs)} ms after connecting` : '';
    return `${providerName(provider)}: ${replies}${first}`;
  }).join(' · ');
}

function facts(session, messages) {
  const live = isLive(session);
  const credited = Number(session.creditedSeconds || 0);
  return [
    fact('User', session.userEmail),
    fact('User id', session.userId),
    fact('Session id', session.id),
    fact('Status', live ? h('span', { class: 'badge live' }, 'Live') : 'Ended'),
    fact('Started', utcDateTime(session.startedAt)),
    fact('Ended', live ? 'Not yet (live)' : utcDateTime(session.endedAt)),
    fact('Wall-clock length', live ? 'Running' : duration(Number(session.endedAt) - Number(session.startedAt))),
    fact('Charged', live ? 'Counted when it ends' : minutes(session.minutesUsed)),
    session.creditedSeconds !== undefined ? fact('Credited', credited
      ? `${duration(credited * 1000)} not charged (provider or network failure)` : 'None') : null,
    fact('Topic', session.topic),
    fact('Mode', titleCase(session.mode)),
    fact('Provider', session.providerSwitched
      ? `${providerPath(session)} (${plural(Number(session.switchCount || 1), 'switch', 'switches')})`
      : providerPath(session)),
    session.switchCause ? fact('Switch cause', codeKeyText(session.switchCause)) : null,
    fact('Disconnect', disconnectText(session)),
    codeCause(session.disconnectCode) ? fact('Common cause', codeCause(session.disconnectCode)) : null,
    session.hadDrop !== undefined && !live ? fact('Had a drop', session.hadDrop ? 'Yes: a provider or network drop in its story' : 'No') : null,
    fact('Disconnect reason', session.disconnectReason),
    fact('Ended by', live ? null : endedByText(session.endedBy)),
    fact('End reason', titleCase(session.endReason)),
    fact('Messages', String(session.messageCount ?? messages.length)),
    session.latency !== undefined ? fact('Reply latency', latencyText(session.latency)) : null,
  ];
}

export async function openDetail(id, { fromHash = false } = {}) {
  const mine = ++request;
  const section = $('#admin-detail');
  const status = $('#admin-detail-status');
  $('#sessions-section').hidden = true;
  section.hidden = false;
  $('#admin-detail-body').hidden = true;
  $('#admin-detail-heading').textContent = 'Session';
  setStatus(status, 'Loading the session…');
  if (!fromHash) window.history.replaceState(null, '', `${window.location.pathname}#session=${encodeURIComponent(id)}`);
  section.focus();
  let data;
  try {
    data = await api(`/api/admin/sessions/${encodeURIComponent(id)}`);
  } catch (err) {
    if (mine !== request) return;
    if (err instanceof ApiError && err.status === 403) return forbidden();
    setStatus(status, describeError('load this session', err), 'error');
    return;
  }
  if (mine !== request) return;
  const session = data.session || data;
  const messages = data.messages || [];
  const corrections = data.corrections || [];
  $('#admin-detail-heading').textContent = `Session of ${session.userEmail || session.userId || 'unknown user'}`;
  fill($('#detail-facts'), facts(session, messages));
  $('#admin-detail-body').hidden = false; // before the timeline: the tooltip measures laid-out markers
  renderTimeline(data, session);
  fill($('#admin-bubbles'), messages.map(bubble));
  if (!messages.length) $('#admin-bubbles').append(h('p', { class: 'meta' }, 'No transcript was saved for this session.'));
  fill($('#admin-corrections'), corrections.map(correctionItem));
  $('#admin-corrections-empty').hidden = corrections.length > 0;
  setStatus(status, '');
}

export function closeDetail() {
  request += 1;
  const id = decodeURIComponent((window.location.hash.match(/^#session=(.+)$/) || [])[1] || '');
  $('#admin-detail').hidden = true;
  $('#sessions-section').hidden = false;
  window.history.replaceState(null, '', window.location.pathname);
  const row = [...document.querySelectorAll('#sessions-body tr')].find((tr) => tr.dataset.sessionId === id);
  const target = row ? row.querySelector('button') : $('#sessions-heading');
  if (target) target.focus();
}

export function closeDetailIfOpen() {
  if (!$('#admin-detail').hidden) closeDetail();
}

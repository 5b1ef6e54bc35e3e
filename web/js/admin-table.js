// One row of the sessions table: user (opens the detail), time, duration (or Live), provider
// (with the switch and its cause), how it ended, who ended it, messages.

import { h } from './dom.js';
import { duration, minutes, plural, providerName, utcDateTime } from './format.js';
import { codeCause, codeLabel, disconnectText, endedByText, isLive, isTimedOut, switchText } from './admin-words.js';

export const COLUMNS = 7;

function durationCell(session) {
  if (isLive(session)) {
    return h('td', {}, h('span', { class: 'badge live', title: 'Still running: minutes are counted when it ends' }, 'Live'));
  }
  const credited = Number(session.creditedSeconds || 0);
  return h('td', { class: 'wrap' }, minutes(session.minutesUsed),
    credited ? h('span', { class: 'credit', title: 'Not charged: a provider or the network failed' },
      ` · ${duration(credited * 1000)} credited`) : null);
}

function providerCell(session) {
  const provider = session.provider || 'unknown';
  const reconnects = Number(session.reconnects || 0);
  return h('td', { class: 'wrap' },
    h('span', { class: `chip provider-${provider}` }, providerName(provider)),
    session.providerSwitched
      ? h('span', { class: 'switched', title: `Started on ${providerName(session.initialProvider || '?')}` },
        ` ${switchText(session)}`)
      : null,
    reconnects ? h('span', { class: 'reconnects' }, ` · ${plural(reconnects, 'reconnect')}`) : null);
}

function disconnectCell(session) {
  const text = disconnectText(session);
  if (isLive(session)) return h('td', { title: text }, '—');
  if (isTimedOut(session)) {    // no end code (not "ended with a disconnect code"); a drop only if its story had one
    return h('td', {}, h('span', { class: 'timed-out', title: session.hadDrop
      ? 'No end code; its story had a provider or network drop' : 'No end code and no drop in its story' }, text));
  }
  const code = session.disconnectCode;
  if (code === null || code === undefined) return h('td', {}, h('span', { class: 'clean' }, text));
  const tip = [codeLabel(code), codeCause(code)].filter(Boolean).join(': ');   // the seed's common cause
  return h('td', {}, h('span', { class: Number(code) === 1000 ? 'code-ok' : 'code-bad', title: tip || null },
    String(code), codeLabel(code) ? h('span', { class: 'code-label' }, ` ${codeLabel(code)}`) : null));
}

export function sessionRow(session, open) {
  return h('tr', { dataset: { sessionId: session.id, status: session.status || '' } },
    h('td', {}, h('button', {
      type: 'button', class: 'link', title: session.userId ? `User id: ${session.userId}` : null,
      'aria-label': `Open session of ${session.userEmail || session.userId} at ${utcDateTime(session.startedAt)}`,
      onclick: () => open(session.id),
    }, session.userEmail || session.userId || 'unknown user')),
    h('td', {}, utcDateTime(session.startedAt)),
    durationCell(session),
    providerCell(session),
    disconnectCell(session),
    h('td', { class: 'wrap' }, isLive(session) ? '—' : (endedByText(session.endedBy) || '—')),
    h('td', {}, String(session.messageCount ?? 0)));
}

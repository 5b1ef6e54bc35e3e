// The overview of GET /api/admin/sessions → stats (the whole filtered range): stat cards,
// close codes, provider reliability (with the reply latency: stats.providerLatency) and who
// ended the sessions. A card whose field the API does not give is hidden.

import { $, fill, h } from './dom.js';
import { duration, minutes, percent, plural, providerName } from './format.js';
import { codeCause, codeKeyText, codeLabel, endedByText, ENDED_BY, setCodeWords } from './admin-words.js';

const PROVIDER_ORDER = ['gemini', 'openai'];

const byProvider = (a, b) => {
  const rank = (p) => (PROVIDER_ORDER.includes(p) ? PROVIDER_ORDER.indexOf(p) : PROVIDER_ORDER.length);
  return rank(a) - rank(b) || a.localeCompare(b);
};

/** Code keys in a stable order: the table's codes by number, then "other", then "none". */
const byCodeKey = (a, b) => {
  const rank = (k) => (k === 'none' ? 2e9 : k === 'other' ? 1e9 : Number(k));
  return rank(a) - rank(b);
};

export function clearStats() {
  fill($('#close-codes'));
  fill($('#reliability-body'));
  fill($('#ended-by'));
  for (const id of ['#stat-total', '#stat-duration', '#stat-switch', '#stat-providers']) $(id).textContent = '—';
  for (const id of ['#reliability-card', '#ended-by-card']) $(id).hidden = true;
}

/** Renders the stats; answers the total number of sessions. */
export function renderStats(stats) {
  setCodeWords(stats);
  const providers = stats.providerBreakdown || {};
  const gemini = Number(providers.gemini || 0);
  const openai = Number(providers.openai || 0);
  const total = Number(stats.totalSessions || 0);
  $('#stat-total').textContent = String(total);
  $('#stat-duration').textContent = minutes(stats.avgDuration);
  $('#stat-switch').textContent = percent(stats.providerSwitchRate);
  $('#stat-providers').textContent = `${gemini} / ${openai}`;
  $('#stat-providers-note').textContent = gemini + openai ? `${percent(gemini / (gemini + openai))} Gemini` : 'No sessions';
  renderCloseCodes(stats.disconnectBreakdown || {}, total);
  renderReliability(stats);
  renderEndedBy(stats, total);
  return total;
}

function renderCloseCodes(breakdown, total) {
  const codes = Object.entries(breakdown)
    .map(([code, count]) => [String(code), Number(count)])
    .sort((a, b) => Number(a[0]) - Number(b[0]));
  fill($('#close-codes'), codes.map(([code, count]) => h('li', { class: 'code-item', dataset: { code } },
    h('span', { class: 'code' }, code),
    h('span', { class: 'count' }, String(count)),
    h('span', { class: 'code-label' }, codeLabel(code)),
    codeCause(code) ? h('span', { class: 'code-cause' }, codeCause(code)) : null,
    h('span', { class: 'share' }, total ? `${percent(count / total)} of sessions` : ''))));
  $('#codes-empty').hidden = codes.length > 0;
}

function failureRate(row) {
  if (row.failureRate !== undefined && row.failureRate !== null) return Number(row.failureRate);
  return Number(row.connections) ? Number(row.failures || 0) / Number(row.connections) : 0;
}

function codeCounts(counts) {
  const entries = Object.entries(counts || {}).filter(([, n]) => Number(n)).sort((a, b) => byCodeKey(a[0], b[0]));
  if (!entries.length) return 'none';
  return entries.map(([key, n]) => `${codeKeyText(key)} ×${n}`).join(', ');
}

/** "≤ 300 ms"; a percentile of summed histograms is a bucket's upper bound, null above the last. */
function bound(ms) {
  return ms === null || ms === undefined ? '> 5000 ms' : `≤ ${Number(ms)} ms`;
}

/** p50 / p95 of the turns: from the end of the learner's speech to the coach's first audio. */
function latencyText(row) {
  if (!row) return '—';
  const turns = Number(row.turns || 0);
  if (!turns) return 'no turns';
  return `${bound(row.p50Ms)} / ${bound(row.p95Ms)} (${plural(turns, 'turn')})`;
}

function renderReliability(stats) {
  const reliability = stats.providerReliability;
  const latency = stats.providerLatency || {};
  const card = $('#reliability-card');
  card.hidden = !reliability || typeof reliability !== 'object';
  if (card.hidden) return;
  const providers = Object.keys(reliability).sort(byProvider);
  fill($('#reliability-body'), providers.length
    ? providers.map((provider) => {
      const row = reliability[provider] || {};
      const failures = Number(row.failures || 0);
      return h('tr', { dataset: { provider } },
        h('th', { scope: 'row' }, h('span', { class: `chip provider-${provider}` }, providerName(provider))),
        h('td', { class: failures ? 'code-bad' : 'clean' }, percent(failureRate(row))),
        h('td', { class: 'latency' }, latencyText(latency[provider])),
        h('td', {}, `${failures} / ${Number(row.connections || 0)}`),
        h('td', {}, codeCounts(row.failuresByCode)));
    })
    : h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No connections in this range.')));

  const initial = stats.byInitialProvider;
  const initialLine = $('#initial-providers');
  initialLine.hidden = !initial || !Object.keys(initial).length;
  if (!initialLine.hidden) {
    initialLine.textContent = `Sessions by the provider they started on: ${Object.keys(initial).sort(byProvider)
      .map((p) => {
        const row = initial[p] || {};
        return `${providerName(p)} ${Number(row.sessions || 0)} (${Number(row.switchedAway || 0)} switched away, `
          + `${Number(row.failedSessions || 0)} with a failure)`;
      }).join('; ')}.`;
  }
  const causes = stats.switchCauses;
  const causeLine = $('#switch-causes');
  causeLine.hidden = !causes || !Object.values(causes).some(Number);
  if (!causeLine.hidden) causeLine.textContent = `Switch causes: ${codeCounts(causes)}.`;
}

function renderEndedBy(stats, total) {
  const breakdown = stats.endedByBreakdown;
  const card = $('#ended-by-card');
  card.hidden = !breakdown || typeof breakdown !== 'object';
  if (card.hidden) return;
  const known = Object.keys(ENDED_BY);
  const keys = Object.keys(breakdown).filter((k) => Number(breakdown[k]))
    .sort((a, b) => (known.indexOf(a) + 1 || 99) - (known.indexOf(b) + 1 || 99));
  fill($('#ended-by'), keys.length
    ? keys.map((key) => h('li', { class: 'code-item', dataset: { endedBy: key } },
      h('span', { class: 'count' }, String(Number(breakdown[key]))),
      h('span', { class: 'code-label' }, endedByText(key)),
      h('span', { class: 'share' }, total ? `${percent(Number(breakdown[key]) / total)} of sessions` : '')))
    : h('li', { class: 'meta' }, 'No session in this range has ended yet.'));
  const credited = $('#credited-note');
  credited.hidden = stats.creditedSeconds === undefined || stats.creditedSeconds === null;
  if (!credited.hidden) {
    credited.textContent = Number(stats.creditedSeconds)
      ? `${duration(Number(stats.creditedSeconds) * 1000)} of learners' time credited (not charged) for provider or network failures.`
      : 'No time was credited for provider or network failures.';
  }
}

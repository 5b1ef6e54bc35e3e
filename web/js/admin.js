// Session Health Monitor: stats, close codes, charts, filters, the sessions table with
// cursor paging, CSV export and one session's detail. Admins only: a 403 shows a
// "not authorised" notice and nothing else.

import { api, ApiError, describeError } from './api.js';
import { $, fill, h, setStatus } from './dom.js';
import { minutes, percent, plural, providerName, titleCase, utcDateTime } from './format.js';
import { boot } from './shell.js';
import { bubble, correctionItem } from './transcript.js';

const PALETTE = ['#d97706', '#dc2626', '#7c3aed', '#2563eb', '#db2777', '#0891b2', '#65a30d', '#78716c'];
const CLEAN_COLOUR = '#94a3b8';

const state = {
  user: null,
  filters: null,
  cursors: [null],
  pageIndex: 0,
  total: 0,
  labels: {},
  charts: {},
  detailRequest: 0,
  loadRequest: 0,
};

// ------------------------------------------------------------------ filters

function readFilters() {
  const form = $('#filters');
  return {
    from: form.elements.from.value,
    to: form.elements.to.value,
    provider: form.elements.provider.value,
    mode: form.elements.mode.value,
    hasDisconnect: form.elements.hasDisconnect.checked ? 'true' : '',
    limit: form.elements.limit.value,
  };
}

/** The filters every sessions call shares (list, export); empty ones are left out. */
function filterQuery(filters) {
  const { from, to, provider, mode, hasDisconnect } = filters;
  return { from, to, provider, mode, hasDisconnect };
}

// ------------------------------------------------------------------ loading

function showForbidden() {
  $('#dashboard').hidden = true;
  fill($('#sessions-body'));
  fill($('#close-codes'));
  for (const id of ['#stat-total', '#stat-duration', '#stat-switch', '#stat-providers']) $(id).textContent = '—';
  $('#forbidden-user').textContent = state.user.email || state.user.sub;
  $('#forbidden').hidden = false;
  setStatus($('#admin-status'), '');
}

function isForbidden(err) {
  return err instanceof ApiError && err.status === 403;
}

async function loadAll() {
  const filters = readFilters();
  const status = $('#admin-status');
  $('#admin-retry').hidden = true;
  if (filters.from && filters.to && filters.from > filters.to) {
    setStatus(status, 'The "From" day must be on or before the "To" day.', 'error');
    return;
  }
  const request = ++state.loadRequest;
  state.filters = filters;
  state.cursors = [null];
  state.pageIndex = 0;
  setStatus(status, 'Loading session health…');
  const [list, series] = await Promise.allSettled([
    api('/api/admin/sessions', { query: { ...filterQuery(filters), limit: filters.limit } }),
    api('/api/admin/sessions/timeseries', { query: filterQuery(filters) }),
  ]);
  if (request !== state.loadRequest) return; // newer filters were applied meanwhile
  if ([list, series].some((r) => r.status === 'rejected' && isForbidden(r.reason))) {
    showForbidden();
    return;
  }
  if (list.status === 'rejected') {
    setStatus(status, describeError('load the sessions', list.reason), 'error');
    $('#admin-retry').hidden = false;
    return;
  }
  $('#forbidden').hidden = true;
  $('#dashboard').hidden = false;
  renderStats(list.value.stats || {});
  renderRange(list.value);
  renderTable(list.value);
  if (series.status === 'fulfilled') {
    renderCharts(series.value.series || []);
    setStatus(status, '');
  } else {
    setStatus(status, describeError('load the daily chart data', series.reason), 'error');
  }
}

async function loadPage(index) {
  const request = ++state.loadRequest;
  const status = $('#table-status');
  setStatus(status, 'Loading sessions…');
  $('#sessions-body').setAttribute('aria-busy', 'true');
  let data;
  try {
    data = await api('/api/admin/sessions', {
      query: { ...filterQuery(state.filters), limit: state.filters.limit, cursor: state.cursors[index] },
    });
  } catch (err) {
    if (request !== state.loadRequest) return;
    $('#sessions-body').removeAttribute('aria-busy');
    if (isForbidden(err)) return showForbidden();
    setStatus(status, describeError('load this page of sessions', err), 'error');
    return;
  }
  if (request !== state.loadRequest) return;
  state.pageIndex = index;
  renderTable(data);
}

// ------------------------------------------------------------------ stats and close codes

function renderStats(stats) {
  const providers = stats.providerBreakdown || {};
  const gemini = Number(providers.gemini || 0);
  const openai = Number(providers.openai || 0);
  state.total = Number(stats.totalSessions || 0);
  state.labels = stats.closeCodeLabels || {};
  $('#stat-total').textContent = String(state.total);
  $('#stat-duration').textContent = minutes(stats.avgDuration);
  $('#stat-switch').textContent = percent(stats.providerSwitchRate);
  $('#stat-providers').textContent = `${gemini} / ${openai}`;
  $('#stat-providers-note').textContent = gemini + openai
    ? `${percent(gemini / (gemini + openai))} Gemini`
    : 'No sessions';
  const codes = Object.entries(stats.disconnectBreakdown || {})
    .map(([code, count]) => [String(code), Number(count)])
    .sort((a, b) => Number(a[0]) - Number(b[0]));
  fill($('#close-codes'), codes.map(([code, count]) => h('li', { class: 'code-item', dataset: { code } },
    h('span', { class: 'code' }, code),
    h('span', { class: 'count' }, String(count)),
    h('span', { class: 'code-label' }, labelFor(code)),
    h('span', { class: 'share' }, state.total ? `${percent(count / state.total)} of sessions` : ''))));
  $('#codes-empty').hidden = codes.length > 0;
}

function labelFor(code) {
  return state.labels[code] || state.labels[Number(code)] || '';
}

// ------------------------------------------------------------------ charts

function renderRange(data) {
  const form = $('#filters');
  if (data.from && !form.elements.from.value) form.elements.from.value = data.from;
  if (data.to && !form.elements.to.value) form.elements.to.value = data.to;
  const defaulted = !state.filters.from && !state.filters.to ? ' (the default: the last 7 days)' : '';
  $('#range-note').textContent = data.from && data.to
    ? `Sessions started from ${data.from} to ${data.to}, UTC days${defaulted}.`
    : '';
}

function renderCharts(series) {
  if (typeof window.Chart !== 'function') {
    setStatus($('#admin-status'), 'The charts are unavailable: the chart library did not load.', 'error');
    return;
  }
  const dates = series.map((day) => day.date);
  const codes = [...new Set(series.flatMap((day) => Object.keys(day.disconnects || {})))]
    .sort((a, b) => Number(a) - Number(b));
  const clean = series.map((day) => Math.max(0, Number(day.sessions || 0)
    - Object.values(day.disconnects || {}).reduce((sum, n) => sum + Number(n), 0)));
  const sessionsData = {
    labels: dates,
    datasets: [
      { label: 'No close code', data: clean, backgroundColor: CLEAN_COLOUR },
      ...codes.map((code, i) => ({
        label: `${code} ${labelFor(code)}`.trim(),
        data: series.map((day) => Number((day.disconnects || {})[code] || 0)),
        backgroundColor: PALETTE[i % PALETTE.length],
      })),
    ],
  };
  const switchData = {
    labels: dates,
    datasets: [{
      label: 'Sessions that switched provider (%)',
      data: series.map((day) => switchPercent(day)),
      borderColor: '#0f766e',
      backgroundColor: '#0f766e',
      tension: 0,
    }],
  };
  const totalSessions = series.reduce((sum, day) => sum + Number(day.sessions || 0), 0);
  const totalCodes = series.reduce((sum, day) => sum + Object.values(day.disconnects || {})
    .reduce((s, n) => s + Number(n), 0), 0);
  $('#chart-sessions').setAttribute('aria-label',
    `Sessions per day${dates.length ? ` from ${dates[0]} to ${dates[dates.length - 1]}` : ''}: `
    + `${plural(totalSessions, 'session')}, ${totalCodes} ended with a close code.`);
  drawChart('sessions', 'bar', sessionsData, {
    scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
  });
  drawChart('switch', 'line', switchData, {
    scales: { y: { beginAtZero: true, suggestedMax: 100, ticks: { callback: (v) => `${v}%` } } },
  });
}

function switchPercent(day) {
  const rate = day.switchRate !== undefined
    ? Number(day.switchRate)
    : (day.sessions ? Number(day.switches || 0) / Number(day.sessions) : 0);
  return Math.round(rate * 1000) / 10;
}

function drawChart(name, type, data, options) {
  const existing = state.charts[name];
  if (existing) existing.destroy();
  state.charts[name] = new window.Chart($(`#chart-${name}`), {
    type,
    data,
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom' } },
      ...options,
    },
  });
}

// ------------------------------------------------------------------ table

function renderTable(data) {
  $('#sessions-body').removeAttribute('aria-busy');
  const sessions = data.sessions || [];
  state.cursors[state.pageIndex + 1] = data.nextCursor || null;
  fill($('#sessions-body'), sessions.length
    ? sessions.map(sessionRow)
    : h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No sessions match these filters.')));
  const limit = Number(state.filters.limit);
  const pages = Math.max(1, Math.ceil(state.total / limit));
  $('#table-page').textContent = `Page ${state.pageIndex + 1} of ${pages} · ${plural(state.total, 'session')}`;
  $('#table-prev').disabled = state.pageIndex === 0;
  $('#table-next').disabled = !data.nextCursor;
  setStatus($('#table-status'), '');
}

function sessionRow(session) {
  const code = session.disconnectCode;
  const provider = session.provider || 'unknown';
  return h('tr', { dataset: { sessionId: session.id } },
    h('td', {}, h('button', {
      type: 'button', class: 'link', title: session.userId ? `User id: ${session.userId}` : null,
      'aria-label': `Open session of ${session.userEmail || session.userId} at ${utcDateTime(session.startedAt)}`,
      onclick: () => openDetail(session.id),
    }, session.userEmail || session.userId || 'unknown user')),
    h('td', {}, utcDateTime(session.startedAt)),
    h('td', {}, minutes(session.minutesUsed)),
    h('td', {},
      h('span', { class: `chip provider-${provider}` }, providerName(provider)),
      session.providerSwitched
        ? h('span', { class: 'switched', title: `Started on ${providerName(session.initialProvider || '?')}` }, ' switched')
        : null),
    h('td', {}, code === null || code === undefined
      ? h('span', { class: 'clean' }, 'Clean')
      : h('span', { class: Number(code) === 1000 ? 'code-ok' : 'code-bad', title: labelFor(code) || null },
        String(code), labelFor(code) ? h('span', { class: 'code-label' }, ` ${labelFor(code)}`) : null)),
    h('td', {}, String(session.messageCount ?? 0)));
}

// ------------------------------------------------------------------ CSV export

async function exportCsv() {
  const status = $('#export-status');
  const button = $('#export-csv');
  const filters = readFilters();
  button.disabled = true;
  setStatus(status, 'Preparing the CSV export…');
  try {
    const res = await api('/api/admin/sessions/export.csv', { query: filterQuery(filters), raw: true });
    const blob = await res.blob();
    const text = await blob.text();
    const disposition = res.headers.get('Content-Disposition') || '';
    const named = disposition.match(/filename="?([^";]+)"?/);
    const name = named ? named[1] : `sessions_${filters.from || 'default'}_${filters.to || 'range'}.csv`;
    const counted = Number(res.headers.get('X-Export-Rows'));
    const rows = Number.isFinite(counted) && res.headers.has('X-Export-Rows')
      ? counted
      : Math.max(0, text.split(/\r?\n/).filter((line) => line.length).length - 1);
    const truncated = res.headers.get('X-Export-Truncated') === 'true';
    const url = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
    const link = h('a', { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    setStatus(status, truncated
      ? `Exported the first ${plural(rows, 'session')} to ${name}: the export stopped at its row limit; narrow the range or filters for the rest.`
      : `Exported ${plural(rows, 'session')} to ${name}.`, truncated ? 'error' : 'success');
  } catch (err) {
    setStatus(status, describeError('export the sessions', err), 'error');
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ one session

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value === null || value === undefined || value === '' ? '—' : value)];
}

async function openDetail(id, { fromHash = false } = {}) {
  const request = ++state.detailRequest;
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
    if (request !== state.detailRequest) return;
    if (isForbidden(err)) return showForbidden();
    setStatus(status, describeError('load this session', err), 'error');
    return;
  }
  if (request !== state.detailRequest) return;
  const session = data.session || data;
  const messages = data.messages || [];
  const corrections = data.corrections || [];
  const code = session.disconnectCode;
  $('#admin-detail-heading').textContent = `Session of ${session.userEmail || session.userId || 'unknown user'}`;
  fill($('#detail-facts'),
    fact('User', session.userEmail),
    fact('User id', session.userId),
    fact('Session id', session.id),
    fact('Started', utcDateTime(session.startedAt)),
    fact('Ended', utcDateTime(session.endedAt)),
    fact('Duration', minutes(session.minutesUsed)),
    fact('Topic', session.topic),
    fact('Mode', titleCase(session.mode)),
    fact('Provider', session.providerSwitched
      ? `${providerName(session.initialProvider)} → ${providerName(session.provider)} (${plural(Number(session.switchCount || 1), 'switch', 'switches')})`
      : providerName(session.provider)),
    fact('Disconnect', code === null || code === undefined ? 'Clean' : `${code} ${labelFor(code)}`.trim()),
    fact('Disconnect reason', session.disconnectReason),
    fact('End reason', titleCase(session.endReason)),
    fact('Messages', String(session.messageCount ?? messages.length)));
  fill($('#admin-bubbles'), messages.map(bubble));
  if (!messages.length) $('#admin-bubbles').append(h('p', { class: 'meta' }, 'No transcript was saved for this session.'));
  fill($('#admin-corrections'), corrections.map(correctionItem));
  $('#admin-corrections-empty').hidden = corrections.length > 0;
  setStatus(status, '');
  $('#admin-detail-body').hidden = false;
}

function closeDetail() {
  state.detailRequest += 1;
  const id = decodeURIComponent((window.location.hash.match(/^#session=(.+)$/) || [])[1] || '');
  $('#admin-detail').hidden = true;
  $('#sessions-section').hidden = false;
  window.history.replaceState(null, '', window.location.pathname);
  const row = [...document.querySelectorAll('#sessions-body tr')].find((tr) => tr.dataset.sessionId === id);
  const target = row ? row.querySelector('button') : $('#sessions-heading');
  if (target) target.focus();
}

// ------------------------------------------------------------------ start

boot(async (user) => {
  state.user = user;
  $('#filters').addEventListener('submit', (event) => {
    event.preventDefault();
    closeDetailIfOpen();
    loadAll();
  });
  $('#reset-filters').addEventListener('click', () => {
    $('#filters').reset();
    closeDetailIfOpen();
    loadAll();
  });
  $('#admin-retry').addEventListener('click', () => loadAll());
  $('#export-csv').addEventListener('click', exportCsv);
  $('#table-prev').addEventListener('click', () => loadPage(state.pageIndex - 1));
  $('#table-next').addEventListener('click', () => loadPage(state.pageIndex + 1));
  $('#detail-back').addEventListener('click', closeDetail);
  await loadAll();
  const linked = window.location.hash.match(/^#session=(.+)$/);
  if (linked && !$('#dashboard').hidden) openDetail(decodeURIComponent(linked[1]), { fromHash: true });
});

function closeDetailIfOpen() {
  if (!$('#admin-detail').hidden) closeDetail();
}

// Session Health Monitor: stats, reliability, close codes, charts, filters (applied as they
// change), the sessions table with cursor paging, CSV export and one session's detail with its
// timeline. Admins only: a 403 shows a "not authorised" notice and nothing else. Deployed, the
// page signs in to the admin user pool (config.adminAuth, see shell.js).

import { api, ApiError, describeError } from './api.js';
import { $, fill, h, setStatus } from './dom.js';
import { plural } from './format.js';
import { boot } from './shell.js';
import { downloadCsv } from './download.js';
import { clearStats, renderStats } from './admin-stats.js';
import { renderCharts } from './admin-charts.js';
import { COLUMNS, sessionRow } from './admin-table.js';
import { closeDetailIfOpen, initDetail, openDetail } from './admin-detail.js';
import { initMistakes, loadMistakes } from './admin-mistakes.js';

const TYPING_DELAY_MS = 400; // the user id field applies once typing pauses

const state = {
  user: null,
  filters: null,
  applied: null,    // the filters of the last load, as a query string
  cursors: [null],
  pageIndex: 0,
  total: 0,
  loadRequest: 0,
  typing: null,
};

// ------------------------------------------------------------------ filters

function readFilters() {
  const { elements } = $('#filters');
  return {
    from: elements.from.value,
    to: elements.to.value,
    provider: elements.provider.value,
    initialProvider: elements.initialProvider.value,
    mode: elements.mode.value,
    status: elements.status.value,
    endedBy: elements.endedBy.value,
    userId: elements.userId.value.trim(),
    hasDisconnect: elements.hasDisconnect.checked ? 'true' : '',
    hadDrop: elements.hadDrop.checked ? 'true' : '',
    limit: elements.limit.value,
  };
}

/** The filters every sessions call shares (list, time series, export); empty ones are left out. */
function filterQuery(filters) {
  const { limit, ...query } = filters;
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ''));
}

/** The time series takes no hadDrop: it is a row filter (the list and the export), not a rollup's. */
function seriesQuery(filters) {
  const { hadDrop, ...query } = filterQuery(filters);
  return query;
}

const queryString = (filters) => new URLSearchParams({ ...filterQuery(filters), limit: filters.limit }).toString();

/** Applies the form's filters unless they are the ones shown already. */
function applyFilters({ force = false } = {}) {
  clearTimeout(state.typing);
  if (!force && queryString(readFilters()) === state.applied) return;
  closeDetailIfOpen();
  loadAll();
}

function wireFilters() {
  const form = $('#filters');
  form.addEventListener('change', (event) => {
    if (event.target.name === 'userId') return; // typing has its own timer; leaving the field changes nothing new
    applyFilters();
  });
  form.addEventListener('input', (event) => {
    if (event.target.name !== 'userId') return;
    clearTimeout(state.typing);
    state.typing = setTimeout(() => applyFilters(), TYPING_DELAY_MS);
  });
  form.addEventListener('submit', (event) => { // Enter in the user id field
    event.preventDefault();
    applyFilters();
  });
  $('#reset-filters').addEventListener('click', () => {
    form.reset();
    applyFilters({ force: true });
  });
}

// ------------------------------------------------------------------ loading

function showForbidden() {
  $('#dashboard').hidden = true;
  fill($('#sessions-body'));
  clearStats();
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
  state.applied = queryString(filters);
  state.cursors = [null];
  state.pageIndex = 0;
  setStatus(status, 'Loading session health…');
  const [list, series] = await Promise.allSettled([
    api('/api/admin/sessions', { query: { ...filterQuery(filters), limit: filters.limit } }),
    api('/api/admin/sessions/timeseries', { query: seriesQuery(filters) }),
  ]);
  if (request !== state.loadRequest) return; // newer filters were applied meanwhile
  if ([list, series].some((r) => r.status === 'rejected' && isForbidden(r.reason))) {
    showForbidden();
    return;
  }
  if (list.status === 'rejected') {
    state.applied = null; // so that the same filters can be tried again
    setStatus(status, describeError('load the sessions', list.reason), 'error');
    $('#admin-retry').hidden = false;
    return;
  }
  $('#forbidden').hidden = true;
  $('#dashboard').hidden = false;
  state.total = renderStats(list.value.stats || {});
  renderRange(list.value);
  renderTable(list.value);
  loadMistakes(); // its own status: the days the fields now hold
  const problem = series.status === 'fulfilled'
    ? renderCharts(series.value.series || [])
    : describeError('load the daily chart data', series.reason);
  setStatus(status, problem, problem ? 'error' : 'info');
  $('#dashboard').dataset.applied = state.applied; // what the page shows now (tests wait on it)
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

function renderRange(data) {
  const { elements } = $('#filters');
  if (data.from && !elements.from.value) elements.from.value = data.from;
  if (data.to && !elements.to.value) elements.to.value = data.to;
  // The fields now hold the range shown: the same filters with these days load nothing new.
  state.applied = queryString({ ...state.filters, from: elements.from.value, to: elements.to.value });
  const defaulted = !state.filters.from && !state.filters.to ? ' (the default: the last 7 days)' : '';
  const drops = state.filters.hadDrop
    ? ' "Had a drop" narrows the table and the export; the cards and charts count the other filters\' sessions.' : '';
  $('#range-note').textContent = data.from && data.to
    ? `Sessions started from ${data.from} to ${data.to}, UTC days${defaulted}.${drops}`
    : '';
}

function renderTable(data) {
  $('#sessions-body').removeAttribute('aria-busy');
  const sessions = data.sessions || [];
  state.cursors[state.pageIndex + 1] = data.nextCursor || null;
  fill($('#sessions-body'), sessions.length
    ? sessions.map((session) => sessionRow(session, openDetail))
    : h('tr', {}, h('td', { colspan: COLUMNS, class: 'empty' }, 'No sessions match these filters.')));
  const pages = Math.max(1, Math.ceil(state.total / Number(state.filters.limit)));
  $('#table-page').textContent = state.filters.hadDrop   // the stats' total counts sessions without a drop too
    ? `Page ${state.pageIndex + 1}${data.nextCursor ? '' : ' (the last)'} · sessions that had a drop`
    : `Page ${state.pageIndex + 1} of ${pages} · ${plural(state.total, 'session')}`;
  $('#table-prev').disabled = state.pageIndex === 0;
  $('#table-next').disabled = !data.nextCursor;
  setStatus($('#table-status'), '');
}

// ------------------------------------------------------------------ CSV export

async function exportCsv() {
  const status = $('#export-status');
  const button = $('#export-csv');
  const filters = readFilters();
  button.disabled = true;
  setStatus(status, 'Preparing the CSV export…');
  try {
    const { name, rows, truncated } = await downloadCsv('/api/admin/sessions/export.csv', filterQuery(filters),
      `sessions_${filters.from || 'default'}_${filters.to || 'range'}.csv`);
    setStatus(status, truncated
      ? `Exported the first ${plural(rows, 'session')} to ${name}: the export stopped at its row limit; narrow the range or filters for the rest.`
      : `Exported ${plural(rows, 'session')} to ${name}.`, truncated ? 'error' : 'success');
  } catch (err) {
    setStatus(status, describeError('export the sessions', err), 'error');
  } finally {
    button.disabled = false;
  }
}

// ------------------------------------------------------------------ start

boot(async (user) => {
  state.user = user;
  wireFilters();
  initDetail({ onForbidden: showForbidden });
  initMistakes({ onForbidden: showForbidden });
  $('#admin-retry').addEventListener('click', () => applyFilters({ force: true }));
  $('#export-csv').addEventListener('click', exportCsv);
  $('#table-prev').addEventListener('click', () => loadPage(state.pageIndex - 1));
  $('#table-next').addEventListener('click', () => loadPage(state.pageIndex + 1));
  await loadAll();
  const linked = window.location.hash.match(/^#session=(.+)$/);
  if (linked && !$('#dashboard').hidden) openDetail(decodeURIComponent(linked[1]), { fromHash: true });
}, { realm: 'admin' });

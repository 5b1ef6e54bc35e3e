// "Common mistakes" of the Session Health Monitor: GET /api/admin/corrections/stats for the
// page's From/To days (and this section's own topic and difficulty: the sessions' filters have
// neither) → corrections and lapses by category as a bar chart, the top pairs as a table; the
// same figures as CSV (export.csv, audited). A field the API does not give hides what it feeds.

import { api, ApiError, describeError } from './api.js';
import { $, fill, h, setStatus } from './dom.js';
import { plural, titleCase } from './format.js';
import { draw } from './admin-charts.js';
import { downloadCsv } from './download.js';

const TYPING_DELAY_MS = 400; // the topic applies once typing pauses
const CORRECTIONS_COLOUR = '#2563eb';
const LAPSES_COLOUR = '#dc2626';

const state = { request: 0, typing: null, onForbidden: () => {} };

/** The stats' query: the page's days (as the fields hold them) and this section's filters. */
function mistakesQuery() {
  const query = {
    from: $('#f-from').value,
    to: $('#f-to').value,
    topic: $('#m-topic').value.trim(),
    difficulty: $('#m-difficulty').value,
  };
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ''));
}

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

export function initMistakes({ onForbidden }) {
  state.onForbidden = onForbidden;
  const form = $('#mistakes-filters');
  form.addEventListener('change', (event) => {
    if (event.target.name !== 'topic') loadMistakes();
  });
  form.addEventListener('input', (event) => {
    if (event.target.name !== 'topic') return;
    clearTimeout(state.typing);
    state.typing = setTimeout(() => loadMistakes(), TYPING_DELAY_MS);
  });
  form.addEventListener('submit', (event) => { // Enter in the topic field
    event.preventDefault();
    loadMistakes();
  });
  $('#mistakes-csv').addEventListener('click', exportMistakes);
}

/** Loads the section for the page's days; called by admin.js whenever the sessions load. */
export async function loadMistakes() {
  clearTimeout(state.typing);
  const request = ++state.request;
  const query = mistakesQuery();
  const status = $('#mistakes-status');
  $('#mistakes-section').hidden = false;
  setStatus(status, 'Loading the common mistakes…');
  let data;
  try {
    data = await api('/api/admin/corrections/stats', { query });
  } catch (err) {
    if (request !== state.request) return;
    if (err instanceof ApiError && err.status === 403) {
      state.onForbidden();
      return;
    }
    setStatus(status, describeError('load the common mistakes', err), 'error');
    return;
  }
  if (request !== state.request) return; // newer days or filters were applied meanwhile
  const problem = renderMistakes(data || {});
  setStatus(status, problem, problem ? 'error' : 'info');
  $('#mistakes-section').dataset.shown = new URLSearchParams(query).toString(); // tests wait on it
}

function renderMistakes(data) {
  const byCategory = isObject(data.byCategory) ? data.byCategory : null;
  const lapses = isObject(data.lapsesByCategory) ? data.lapsesByCategory : null;
  const pairs = Array.isArray(data.topPairs) ? data.topPairs : null;
  const total = byCategory ? Object.values(byCategory).reduce((sum, n) => sum + Number(n || 0), 0) : 0;
  const lapsed = lapses ? Object.values(lapses).reduce((sum, n) => sum + Number(n || 0), 0) : 0;
  $('#mistakes-empty').hidden = !byCategory || total + lapsed > 0;
  renderPairs(pairs);
  return renderChart(byCategory, lapses, total, lapsed);
}

/** Corrections by category, with the lapses (reviews rated Again) as a second dataset. */
function renderChart(byCategory, lapses, total, lapsed) {
  const box = $('#mistakes-chart');
  box.hidden = !byCategory || total + lapsed === 0;
  if (box.hidden) return '';
  if (typeof window.Chart !== 'function') return 'The chart is unavailable: the chart library did not load.';
  const categories = [...new Set([...Object.keys(byCategory), ...Object.keys(lapses || {})])]
    .sort((a, b) => Number(byCategory[b] || 0) - Number(byCategory[a] || 0) || a.localeCompare(b));
  const label = (category) => titleCase(category) || 'No category';
  $('#chart-mistakes').setAttribute('aria-label', `Corrections by category: ${categories
    .map((c) => `${label(c)} ${Number(byCategory[c] || 0)}`).join(', ')} (${total} in all)`
    + (lapses ? `; ${plural(lapsed, 'lapse')} in reviews.` : '.'));
  const datasets = [{ label: 'Corrections', data: categories.map((c) => Number(byCategory[c] || 0)),
    backgroundColor: CORRECTIONS_COLOUR }];
  if (lapses) {
    datasets.push({ label: 'Lapses (reviews rated Again)', data: categories.map((c) => Number(lapses[c] || 0)),
      backgroundColor: LAPSES_COLOUR });
  }
  draw('mistakes', 'bar', { labels: categories.map(label), datasets },
    { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } });
  return '';
}

/** The top pairs; "≈ N" learners: a HyperLogLog estimate. A column no pair gives is hidden. */
function renderPairs(pairs) {
  const wrap = $('#mistakes-pairs');
  wrap.hidden = !pairs || !pairs.length;
  fill($('#mistakes-body'));
  if (wrap.hidden) return;
  const learners = pairs.some((pair) => pair.learners !== undefined && pair.learners !== null);
  $('#mistakes-learners-head').hidden = !learners;
  fill($('#mistakes-body'), pairs.map((pair) => h('tr', { dataset: { category: pair.category || '' } },
    h('td', { class: 'pair' }, h('del', {}, String(pair.original ?? '')), ' → ',
      h('ins', {}, String(pair.correction ?? ''))),
    h('td', {}, titleCase(pair.category) || '—'),
    h('td', { class: 'count' }, String(Number(pair.count || 0))),
    learners ? h('td', { class: 'learners' }, `≈ ${Number(pair.learners || 0)}`) : null)));
}

async function exportMistakes() {
  const status = $('#mistakes-export-status');
  const button = $('#mistakes-csv');
  const query = mistakesQuery();
  button.disabled = true;
  setStatus(status, 'Preparing the CSV…');
  try {
    const { name, rows } = await downloadCsv('/api/admin/corrections/export.csv', query,
      `corrections-${query.from || 'default'}-${query.to || 'range'}.csv`);
    setStatus(status, `Downloaded ${plural(rows, 'row')} to ${name}.`, 'success');
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) state.onForbidden();
    else setStatus(status, describeError('download the common mistakes', err), 'error');
  } finally {
    button.disabled = false;
  }
}

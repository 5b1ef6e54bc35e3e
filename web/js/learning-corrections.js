// The Corrections tab: every correction (GET /api/learning/corrections), filtered by
// category and by reviewed, paged with nextCursor ("Show more"), the counts by category
// (stats.byCategory) as a Chart.js bar chart and a list, and "Flag as wrong"
// (PATCH /api/learning/corrections/{id} {disputed}): a flagged correction leaves the review
// queue but stays here, marked. What later conversations said of each one, and the leeches'
// actions (resume, rephrase), are learning-leeches.js's.

import { api, describeError } from './api.js';
import { $, append, fill, h, setStatus } from './dom.js';
import { date, plural, titleCase } from './format.js';
import { evidenceNote, leechControls } from './learning-leeches.js';
import { correctionItem } from './transcript.js';

const PAGE_SIZE = 20;
export const CATEGORIES = ['grammar', 'tone', 'vocabulary', 'word_order', 'pronunciation'];

const state = { cursor: null, request: 0, chart: null, loaded: false, onDisputeChange: () => {} };

function filters() {
  return { category: $('#filter-category').value, reviewed: $('#filter-reviewed').value };
}

/** Loads the first page for the filters (or, with more: true, the next page after nextCursor). */
export async function loadCorrections({ more = false } = {}) {
  const request = ++state.request;
  const status = $('#corrections-status');
  const list = $('#all-corrections');
  $('#corrections-retry').hidden = true;
  $('#corrections-more').disabled = true;
  list.setAttribute('aria-busy', 'true');
  setStatus(status, more ? 'Loading more corrections…' : 'Loading your corrections…');
  let data;
  try {
    data = await api('/api/learning/corrections', {
      query: { ...filters(), limit: PAGE_SIZE, cursor: more ? state.cursor : undefined },
    });
  } catch (err) {
    if (request !== state.request) return;
    list.removeAttribute('aria-busy');
    setStatus(status, describeError('load your corrections', err), 'error');
    $('#corrections-retry').hidden = false;
    $('#corrections-retry').onclick = () => loadCorrections({ more });
    $('#corrections-more').disabled = false;
    return;
  }
  if (request !== state.request) return; // the filters changed meanwhile
  state.loaded = true;
  list.removeAttribute('aria-busy');
  const rows = (data.corrections || []).map(correctionRow);
  if (more) append(list, rows);
  else fill(list, rows);
  state.cursor = data.nextCursor || null;
  $('#corrections-more').hidden = !state.cursor;
  $('#corrections-more').disabled = false;
  const stats = data.stats || { total: 0, reviewed: 0, byCategory: {} };
  renderStats(stats);
  if (!list.children.length) {
    const filtered = filters().category || filters().reviewed;
    setStatus(status, filtered ? 'No corrections match these filters.'
      : 'You have no corrections yet. Practise in coach mode and the coach’s corrections will appear here.');
  } else {
    setStatus(status, '');
  }
}

function correctionRow(correction) {
  const item = correctionItem(correction);
  item.dataset.correctionId = correction.id;
  item.classList.toggle('disputed', correction.disputed === true);
  item.classList.toggle('leech', correction.leech === true);
  append(item, [
    h('p', { class: 'correction-meta' },
      correction.reviewed ? h('span', { class: 'chip reviewed' }, 'Reviewed') : null,
      correction.createdAt ? h('span', {}, date(correction.createdAt)) : null),
    correction.disputed ? h('p', { class: 'disputed-mark' }, 'Flagged as wrong: it is left out of your reviews.') : null,
    evidenceNote(correction),
    leechControls(correction, (updated) => { item.replaceWith(correctionRow(updated)); state.onDisputeChange(); }),
    h('button', {
      type: 'button',
      class: 'link flag',
      'aria-pressed': correction.disputed ? 'true' : 'false',
      onclick: () => setDisputed(correction, item, !correction.disputed),
    }, correction.disputed ? 'Unflag' : 'Flag as wrong')]);
  return item;
}

async function setDisputed(correction, item, disputed) {
  const status = $('#corrections-status');
  const button = item.querySelector('button.flag');
  button.disabled = true;
  setStatus(status, disputed ? 'Flagging the correction as wrong…' : 'Removing the flag…');
  let answer;
  try {
    answer = await api(`/api/learning/corrections/${encodeURIComponent(correction.id)}`, {
      method: 'PATCH', body: { disputed },
    });
  } catch (err) {
    setStatus(status, describeError(disputed ? 'flag this correction' : 'remove the flag', err), 'error');
    button.disabled = false;
    return;
  }
  const updated = { ...correction, ...(answer || {}), disputed: answer && typeof answer.disputed === 'boolean' ? answer.disputed : disputed };
  item.replaceWith(correctionRow(updated));
  setStatus(status, updated.disputed
    ? 'Flagged as wrong. It stays here, marked, and no longer comes up in your reviews.'
    : 'Flag removed. It comes back to your reviews when it is due.', 'success');
  state.onDisputeChange();
}

function renderStats(stats) {
  const byCategory = stats.byCategory || {};
  $('#corrections-totals').textContent = `${plural(Number(stats.total || 0), 'correction')} · ${Number(stats.reviewed || 0)} reviewed`;
  fill($('#category-counts'), CATEGORIES.map((c) => h('li', { dataset: { category: c } },
    h('span', {}, titleCase(c)), h('span', { class: 'count' }, String(byCategory[c] || 0)))));
  if (typeof window.Chart !== 'function') {
    $('#chart-categories').hidden = true; // the counts above still say it all
    return;
  }
  const data = {
    labels: CATEGORIES.map(titleCase),
    datasets: [{ label: 'Corrections', data: CATEGORIES.map((c) => Number(byCategory[c] || 0)), backgroundColor: '#0f766e' }],
  };
  if (state.chart) {
    state.chart.data = data;
    state.chart.update();
    return;
  }
  state.chart = new window.Chart($('#chart-categories'), {
    type: 'bar',
    data,
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { display: false } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}

/** Wires the filters and the pager; `onDisputeChange` runs after a flag changes (the review queue moves). */
export function setUpCorrections({ onDisputeChange }) {
  state.onDisputeChange = onDisputeChange;
  for (const id of ['#filter-category', '#filter-reviewed']) $(id).addEventListener('change', () => loadCorrections());
  $('#correction-filters').addEventListener('submit', (event) => event.preventDefault());
  $('#corrections-more').addEventListener('click', () => loadCorrections({ more: true }));
}

export const correctionsLoaded = () => state.loaded;

// Learning history: the learner's sessions (paged), one session's conversation and
// corrections, and the spaced-repetition review queue.

import { api, describeError } from './api.js';
import { $, fill, h, setStatus } from './dom.js';
import { date, dateTime, minutes, plural, providerName, titleCase } from './format.js';
import { boot } from './shell.js';
import { bubble, correctionItem } from './transcript.js';

const PAGE_SIZE = 10;
const REVIEW_BATCH = 20;
const RATINGS = [
  [0, 'Blank'], [1, 'Wrong'], [2, 'Almost'], [3, 'Hard'], [4, 'Good'], [5, 'Easy'],
];

const state = { page: 1, total: 0, selectedId: null, detailRequest: 0, queue: [], dueCount: 0 };
// One Idempotency-Key per card and rating until it is saved: if a save fails on the way back
// (the rating may have been recorded) and the learner clicks the same rating again, the
// server returns the first answer instead of reviewing the card twice.
const ratingKeys = new Map();

// ------------------------------------------------------------------ history list

async function loadHistory(page) {
  const status = $('#history-status');
  const list = $('#session-list');
  $('#history-retry').hidden = true;
  list.setAttribute('aria-busy', 'true');
  setStatus(status, 'Loading your sessions…');
  let data;
  try {
    data = await api('/api/learning/history', { query: { page, limit: PAGE_SIZE } });
  } catch (err) {
    list.removeAttribute('aria-busy');
    setStatus(status, describeError('load your sessions', err), 'error');
    $('#history-retry').hidden = false;
    $('#history-retry').onclick = () => loadHistory(page);
    return;
  }
  list.removeAttribute('aria-busy');
  const sessions = data.sessions || [];
  const pagination = data.pagination || {};
  state.page = Number(pagination.page || page);
  state.total = Number(pagination.total ?? sessions.length);
  const limit = Number(pagination.limit || PAGE_SIZE);
  const pages = Math.max(1, Math.ceil(state.total / limit));
  if (!sessions.length && state.total > 0 && page > pages) {
    return loadHistory(pages);
  }
  fill(list, sessions.map(sessionItem));
  if (!sessions.length) {
    setStatus(status, 'You have no sessions yet. Finish a practice session with the coach and it will appear here.');
  } else {
    setStatus(status, '');
  }
  const pager = $('#history-pager');
  pager.hidden = state.total <= limit;
  $('#page-info').textContent = `Page ${state.page} of ${pages} · ${plural(state.total, 'session')}`;
  $('#prev-page').disabled = state.page <= 1;
  $('#next-page').disabled = state.page >= pages;
}

function sessionItem(session) {
  const count = Number(session.correctionCount || 0);
  const button = h('button', {
    type: 'button',
    class: 'session-item',
    dataset: { sessionId: session.id },
    'aria-current': session.id === state.selectedId ? 'true' : null,
    onclick: () => openSession(session.id),
  },
  h('span', { class: 'session-topic' }, session.topic || 'Untitled session'),
  h('span', { class: 'session-date' }, dateTime(session.startedAt)),
  h('span', { class: 'session-tags' },
    h('span', { class: 'chip' }, titleCase(session.mode || 'unknown mode')),
    h('span', { class: count ? 'correction-count has' : 'correction-count' }, plural(count, 'correction'))));
  return h('li', {}, button);
}

// ------------------------------------------------------------------ one session

async function openSession(id) {
  state.selectedId = id;
  for (const item of document.querySelectorAll('.session-item')) {
    if (item.dataset.sessionId === id) item.setAttribute('aria-current', 'true');
    else item.removeAttribute('aria-current');
  }
  const request = ++state.detailRequest;
  const status = $('#detail-status');
  const body = $('#detail-body');
  body.hidden = true;
  setStatus(status, 'Loading the conversation…');
  $('#detail-heading').textContent = 'Conversation';
  let data;
  try {
    data = await api(`/api/learning/session/${encodeURIComponent(id)}`);
  } catch (err) {
    if (request === state.detailRequest) setStatus(status, describeError('load this session', err), 'error');
    return;
  }
  if (request !== state.detailRequest) return; // a later pick won
  const session = data.session || {};
  const messages = data.messages || [];
  const corrections = data.corrections || [];
  $('#detail-heading').textContent = session.topic || 'Conversation';
  $('#detail-meta').textContent = [
    dateTime(session.startedAt),
    titleCase(session.mode),
    titleCase(session.difficulty),
    session.provider ? `via ${providerName(session.provider)}` : null,
    session.minutesUsed !== undefined ? minutes(session.minutesUsed) : null,
    plural(messages.length, 'message'),
  ].filter(Boolean).join(' · ');
  fill($('#bubbles'), messages.map(bubble));
  if (!messages.length) {
    $('#bubbles').append(h('p', { class: 'meta' }, 'No messages were saved for this session.'));
  }
  fill($('#detail-corrections'), corrections.map(correctionItem));
  $('#corrections-empty').hidden = corrections.length > 0;
  setStatus(status, '');
  body.hidden = false;
  if (window.matchMedia('(max-width: 760px)').matches) {
    const detail = $('#session-detail');
    detail.scrollIntoView({ block: 'start' });
    detail.focus({ preventScroll: true });
  }
}

// ------------------------------------------------------------------ review queue

function showDue(count) {
  state.dueCount = count;
  const badge = $('#due-badge');
  badge.textContent = String(count);
  badge.hidden = false;
  badge.setAttribute('aria-label', `${plural(count, 'correction')} due`);
  $('#review-due').textContent = count
    ? `${plural(count, 'correction')} due for review`
    : 'Nothing is due for review right now.';
}

async function loadReview({ keepStatus = false } = {}) {
  const status = $('#review-status');
  $('#review-retry').hidden = true;
  if (!keepStatus) setStatus(status, 'Loading the corrections due for review…');
  let data;
  try {
    data = await api('/api/learning/review', { query: { limit: REVIEW_BATCH } });
  } catch (err) {
    setStatus(status, describeError('load your review queue', err), 'error');
    $('#review-retry').hidden = false;
    $('#review-retry').onclick = () => loadReview();
    $('#review-card').hidden = true;
    return;
  }
  state.queue = data.corrections || [];
  showDue(Number(data.dueCount ?? state.queue.length));
  if (!keepStatus) setStatus(status, '');
  showCard(state.queue[0]);
}

function showCard(correction) {
  const card = $('#review-card');
  if (!correction) {
    card.hidden = true;
    if (!$('#review-status').textContent) {
      setStatus($('#review-status'),
        'You are all caught up. Corrections from new sessions, and ones you rated, come back here when they are due.');
    }
    return;
  }
  card.dataset.correctionId = correction.id;
  $('#review-original').textContent = correction.original;
  const category = $('#review-category');
  category.textContent = titleCase(correction.category || '');
  category.hidden = !correction.category;
  $('#review-correction').textContent = correction.correction;
  $('#review-explanation').textContent = correction.explanation || '';
  $('#review-explanation').hidden = !correction.explanation;
  $('#review-answer').hidden = true;
  $('#reveal').hidden = false;
  for (const button of document.querySelectorAll('#rating-buttons button')) button.disabled = false;
  card.hidden = false;
}

async function rate(level) {
  const card = $('#review-card');
  const id = card.dataset.correctionId;
  const status = $('#review-status');
  const buttons = document.querySelectorAll('#rating-buttons button');
  for (const button of buttons) button.disabled = true;
  setStatus(status, 'Saving your rating…');
  const attempt = `${id}:${level}`;
  if (!ratingKeys.has(attempt)) ratingKeys.set(attempt, crypto.randomUUID());
  let result;
  try {
    result = await api(`/api/learning/corrections/${encodeURIComponent(id)}`, {
      method: 'PATCH', body: { reviewed: true, confidenceLevel: level },
      headers: { 'Idempotency-Key': ratingKeys.get(attempt) },
    });
  } catch (err) {
    setStatus(status, describeError('save your rating', err), 'error');
    for (const button of buttons) button.disabled = false;
    return;
  }
  ratingKeys.delete(attempt);
  const next = result && result.nextReviewAt ? ` Next review: ${date(result.nextReviewAt)}.` : '';
  setStatus(status, `Saved: you rated it ${level}.${next}`, 'success');
  await loadReview({ keepStatus: true });
  if (!$('#review-card').hidden) $('#reveal').focus();
}

function buildRatingButtons() {
  fill($('#rating-buttons'), RATINGS.map(([level, word]) => h('button', {
    type: 'button',
    class: 'rating',
    dataset: { level: String(level) },
    'aria-label': `Rate ${level}: ${word}`,
    onclick: () => rate(level),
  }, h('span', { class: 'rating-level' }, String(level)), h('span', { class: 'rating-word' }, word))));
  $('#reveal').addEventListener('click', () => {
    $('#review-answer').hidden = false;
    $('#reveal').hidden = true;
    $('#rating-buttons button').focus();
  });
}

// ------------------------------------------------------------------ tabs

function selectTab(name, { focus = false } = {}) {
  for (const tab of ['history', 'review']) {
    const button = $(`#tab-${tab}`);
    const selected = tab === name;
    button.setAttribute('aria-selected', String(selected));
    button.tabIndex = selected ? 0 : -1;
    $(`#panel-${tab}`).hidden = !selected;
    if (selected && focus) button.focus();
  }
  const hash = name === 'review' ? '#review' : '';
  if (window.location.hash !== hash) window.history.replaceState(null, '', window.location.pathname + hash);
}

function setUpTabs() {
  $('#tab-history').addEventListener('click', () => selectTab('history'));
  $('#tab-review').addEventListener('click', () => selectTab('review'));
  $('.tabs').addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    const current = $('#tab-review').getAttribute('aria-selected') === 'true' ? 'review' : 'history';
    selectTab(current === 'review' ? 'history' : 'review', { focus: true });
  });
}

boot(async () => {
  setUpTabs();
  buildRatingButtons();
  $('#prev-page').addEventListener('click', () => loadHistory(state.page - 1));
  $('#next-page').addEventListener('click', () => loadHistory(state.page + 1));
  selectTab(window.location.hash === '#review' ? 'review' : 'history');
  await Promise.all([loadHistory(1), loadReview()]);
});

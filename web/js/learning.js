// Learning history: the learner's sessions (paged), one session's conversation and
// corrections (and deleting it), the tabs, and the page's start. The Corrections tab is
// learning-corrections.js, the Review tab learning-review.js, the minutes and the erasure
// learning-account.js.

import { api, describeError } from './api.js';
import { confirmAction } from './confirm.js';
import { $, fill, h, setStatus } from './dom.js';
import { dateTime, minutes, plural, titleCase } from './format.js';
import { loadUsage, setUpErase } from './learning-account.js';
import { correctionsLoaded, loadCorrections, setUpCorrections } from './learning-corrections.js';
import { loadReview, setUpReview } from './learning-review.js';
import { loadMemory, setUpMemory } from './learning-memory.js';
import { providerText, storySentences } from './learning-story.js';
import { boot } from './shell.js';
import { conversationItems, correctionItem } from './transcript.js';
import { learnerVisit } from './visit.js';

const PAGE_SIZE = 10;
const TABS = ['history', 'corrections', 'review'];

const state = { page: 1, total: 0, selectedId: null, selectedTopic: '', detailRequest: 0 };

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
    !session.endedAt   // still running (the list's entries carry no status: no end yet): nothing to count yet
      ? h('span', { class: 'chip in-progress' }, 'In progress')
      : h('span', { class: count ? 'correction-count has' : 'correction-count' }, plural(count, 'correction'))));
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
  state.selectedTopic = session.topic || 'Untitled session';
  $('#detail-heading').textContent = session.topic || 'Conversation';
  $('#detail-meta').textContent = [
    dateTime(session.startedAt),
    titleCase(session.mode),
    titleCase(session.difficulty),
    providerText(session),
    session.status === 'active' ? 'In progress' : null,
    session.status !== 'active' && session.minutesUsed !== undefined ? minutes(session.minutesUsed) : null,
    session.status !== 'active' ? plural(messages.length, 'message') : null,
  ].filter(Boolean).join(' · ');
  const story = storySentences(session);
  $('#detail-story').textContent = story.join(' ');
  $('#detail-story').hidden = !story.length;
  fill($('#bubbles'), conversationItems(messages));
  if (!messages.length && session.status !== 'active') {
    $('#bubbles').append(h('p', { class: 'meta' }, 'No messages were saved for this session.'));
  }
  fill($('#detail-corrections'), corrections.map(correctionItem));
  $('#corrections-empty').hidden = corrections.length > 0;
  setStatus(status, '');
  body.hidden = false;
  $('#delete-session').disabled = false;
  if (window.matchMedia('(max-width: 760px)').matches) {
    const detail = $('#session-detail');
    detail.scrollIntoView({ block: 'start' });
    detail.focus({ preventScroll: true });
  }
}

async function deleteSession() {
  const id = state.selectedId;
  if (!id) return;
  const sure = await confirmAction({
    title: 'Delete this conversation?',
    message: `“${state.selectedTopic}”: its transcript and its corrections are deleted for good.`,
    confirmLabel: 'Delete conversation',
  });
  if (!sure) return;
  const status = $('#detail-status');
  $('#delete-session').disabled = true;
  setStatus(status, 'Deleting the conversation…');
  let result;
  try {
    result = await api(`/api/learning/session/${encodeURIComponent(id)}`, { method: 'DELETE' });
  } catch (err) {
    $('#delete-session').disabled = false;
    const message = err.status === 409 && err.code === 'session_active'
      ? 'This session is still in progress. End it on the practice page first, then delete it.'
      : describeError('delete this conversation', err);
    setStatus(status, message, 'error');
    return;
  }
  state.selectedId = null;
  $('#detail-body').hidden = true;
  $('#detail-heading').textContent = 'Conversation';
  setStatus(status, `Deleted “${state.selectedTopic}”: ${plural(Number(result.messagesDeleted || 0), 'message')} and `
    + `${plural(Number(result.correctionsDeleted || 0), 'correction')}.`, 'success');
  await reloadAfterChange({ history: true });
}

/** After a deletion or a flag: the lists that may have changed. */
async function reloadAfterChange({ history = false } = {}) {
  await Promise.all([
    history ? loadHistory(state.page) : null,
    loadReview({ keepStatus: true }),
    loadMemory(),
    correctionsLoaded() ? loadCorrections() : null,
  ]);
}

// ------------------------------------------------------------------ tabs

function selectTab(name, { focus = false } = {}) {
  for (const tab of TABS) {
    const button = $(`#tab-${tab}`);
    const selected = tab === name;
    button.setAttribute('aria-selected', String(selected));
    button.tabIndex = selected ? 0 : -1;
    $(`#panel-${tab}`).hidden = !selected;
    if (selected && focus) button.focus();
  }
  if (name === 'corrections' && !correctionsLoaded()) loadCorrections();
  const hash = name === 'history' ? '' : `#${name}`;
  if (window.location.hash !== hash && !(name === 'history' && window.location.hash.startsWith('#session='))) {
    window.history.replaceState(null, '', window.location.pathname + hash);
  }
}

function setUpTabs() {
  for (const tab of TABS) $(`#tab-${tab}`).addEventListener('click', () => selectTab(tab));
  $('.tabs').addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    const current = TABS.findIndex((tab) => $(`#tab-${tab}`).getAttribute('aria-selected') === 'true');
    const step = event.key === 'ArrowRight' ? 1 : TABS.length - 1;
    selectTab(TABS[(current + step) % TABS.length], { focus: true });
  });
}

boot(async () => {
  setUpTabs();
  setUpReview();
  setUpMemory();
  setUpCorrections({ onDisputeChange: () => loadReview({ keepStatus: true }) });
  setUpErase(async () => {
    state.selectedId = null;
    $('#detail-body').hidden = true;
    await Promise.all([reloadAfterChange({ history: true }), loadUsage(), loadCorrections()]);
  });
  $('#prev-page').addEventListener('click', () => loadHistory(state.page - 1));
  $('#next-page').addEventListener('click', () => loadHistory(state.page + 1));
  $('#delete-session').addEventListener('click', deleteSession);
  setStatus($('#history-status'), 'Loading your sessions…');
  // Before the lists: ends an earlier visit could not send, and the old page's corrections.
  const visit = await learnerVisit();
  setStatus($('#visit-status'), visit.notes.join(' '), 'success');
  const hash = window.location.hash;
  const linked = hash.startsWith('#session=') ? decodeURIComponent(hash.slice('#session='.length)) : null;
  selectTab(TABS.includes(hash.slice(1)) ? hash.slice(1) : 'history');
  await Promise.all([loadHistory(1), loadReview(), loadMemory(), loadUsage(), linked ? openSession(linked) : null]);
});

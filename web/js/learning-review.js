// The Review tab: the spaced-repetition queue (GET /api/learning/review), one card at a time,
// rated 0-5 (PATCH /api/learning/corrections/{id} with an Idempotency-Key per card and rating).

import { api, describeError } from './api.js';
import { $, fill, h, setStatus } from './dom.js';
import { nextTime, plural, titleCase } from './format.js';

const REVIEW_BATCH = 20;
const RATINGS = [
  [0, 'Blank'], [1, 'Wrong'], [2, 'Almost'], [3, 'Hard'], [4, 'Good'], [5, 'Easy'],
];

const state = { queue: [], dueCount: 0 };
// One Idempotency-Key per card and rating until it is saved: if a save fails on the way back
// (the rating may have been recorded) and the learner clicks the same rating again, the
// server returns the first answer instead of reviewing the card twice.
const ratingKeys = new Map();

/** The API counts due corrections up to a cap: dueCountCapped says there are more than dueCount. */
function showDue(count, capped) {
  state.dueCount = count;
  const shown = capped ? '99+' : String(count);
  const badge = $('#due-badge');
  badge.textContent = shown;
  badge.hidden = false;
  badge.setAttribute('aria-label', `${capped ? 'More than 99 corrections' : plural(count, 'correction')} due`);
  $('#review-due').textContent = count
    ? `${capped ? '99+ corrections' : plural(count, 'correction')} due for review`
    : 'Nothing is due for review right now.';
}

export async function loadReview({ keepStatus = false } = {}) {
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
  showDue(Number(data.dueCount ?? state.queue.length), data.dueCountCapped === true);
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
  const next = result && result.nextReviewAt
    ? ` Next review: ${nextTime(result.nextReviewAt, result.reviewedAt ?? Date.now())}.` : '';
  setStatus(status, `Saved: you rated it ${level}.${next}`, 'success');
  await loadReview({ keepStatus: true });
  if (!$('#review-card').hidden) $('#reveal').focus();
}

export function setUpReview() {
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

// The Review tab's memory panel: which FSRS parameters schedule the learner's reviews (FSRS-6's
// defaults, or their own once the optimiser has fitted them) with their figures on the learner's
// own history, and the desired retention (0.80-0.95) with the reviews a day it costs
// (GET/PUT /api/learning/memory).

import { api, describeError } from './api.js';
import { $, setStatus } from './dom.js';
import { date, plural } from './format.js';

const fitText = (fit) => (fit ? `log loss ${fit.logLoss.toFixed(3)}, RMSE ${fit.rmse.toFixed(3)}` : 'not measured yet');

function show(memory) {
  const own = memory.parameters === 'own';
  $('#memory-parameters').textContent = own
    ? `Your own parameters, fitted on ${memory.computedFrom} reviews on ${date(memory.computedAt)}.`
    : `The default parameters (${memory.reviewCount} reviews so far: your own are fitted from 8, again as they double).`;
  const said = memory.conversationReviews || { usedCorrectly: 0, repeatedMistake: 0 };
  $('#memory-conversation').textContent = `Reviews from your conversations: ${plural(said.usedCorrectly, 'correction')} `
    + `used correctly, ${plural(said.repeatedMistake, 'mistake')} said again.`;
  $('#memory-default').textContent = fitText(memory.evaluation.default);
  $('#memory-own').textContent = fitText(memory.evaluation.own);
  const slider = $('#memory-retention');
  slider.value = String(Math.round(memory.desiredRetention * 100));
  $('#memory-retention-value').textContent = `${slider.value} %`;
  $('#memory-workload').textContent = `about ${memory.expectedReviewsPerDay} reviews a day`;
}

export async function loadMemory() {
  try {
    show(await api('/api/learning/memory'));
    setStatus($('#memory-status'), '');
  } catch (err) {
    setStatus($('#memory-status'), describeError('load your memory settings', err), 'error');
  }
}

async function saveRetention() {
  const slider = $('#memory-retention');
  try {
    show(await api('/api/learning/memory', { method: 'PUT', body: { desiredRetention: Number(slider.value) / 100 } }));
    setStatus($('#memory-status'), 'Saved: your next reviews aim at this retention.', 'success');
  } catch (err) {
    setStatus($('#memory-status'), describeError('save your retention', err), 'error');
  }
}

export function setUpMemory() {
  const slider = $('#memory-retention');
  slider.addEventListener('input', () => { $('#memory-retention-value').textContent = `${slider.value} %`; });
  slider.addEventListener('change', saveRetention);
}

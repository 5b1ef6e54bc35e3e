// The learner's own account on the learning page: this month's minutes (GET /api/usage), how
// long transcripts are kept and how many corrections are held of the most allowed (the
// `bounds` and `stats.total` of GET /api/learning/corrections, one item asked for), and
// "Erase all my learning data" (DELETE /api/learning/history: a job, followed with
// GET /api/learning/erasure/{id} until done), behind a confirmation.

import { api, describeError } from './api.js';
import { confirmAction } from './confirm.js';
import { $, setStatus } from './dom.js';
import { minutes as minutesText, plural } from './format.js';

const count = (n) => Number(n || 0).toLocaleString('en-US');

async function loadBounds() {
  let page;
  try {
    page = await api('/api/learning/corrections', { query: { limit: 1 } });
  } catch {
    $('#bounds-facts').hidden = true;   // the minutes still show; the lines come back on the next load
    return;
  }
  const days = Number(page.bounds.transcriptRetentionDays);
  $('#bounds-retention').textContent = `Transcripts are kept for ${plural(days, 'day')}.`;
  $('#bounds-corrections').textContent = `${count(page.stats.total)} of ${count(page.bounds.correctionsLimit)} corrections`;
  $('#bounds-facts').hidden = false;
}

export async function loadUsage() {
  await Promise.all([loadMinutes(), loadBounds()]);
}

async function loadMinutes() {
  const status = $('#usage-status');
  setStatus(status, 'Loading your minutes…');
  let usage;
  try {
    usage = await api('/api/usage');
  } catch (err) {
    setStatus(status, describeError('load your minutes', err), 'error');
    return;
  }
  $('#usage-used').textContent = minutesText(usage.minutesUsed);
  $('#usage-remaining').textContent = minutesText(usage.minutesRemaining);
  $('#usage-limit').textContent = minutesText(Number(usage.secondsLimit || 0) / 60);
  $('#usage-facts').hidden = false;
  $('#usage-card').dataset.secondsUsed = String(usage.secondsUsed);
  $('#usage-card').dataset.secondsRemaining = String(usage.secondsRemaining);
  setStatus(status, usage.activeSessionId ? 'A practice session is running: its minutes count up to its last heartbeat.' : '');
}

const POLL_MS = 1000;

/** Polls the erasure job until it is done, showing the items left; its final view. */
async function followErasure(job, status) {
  while (job.status !== 'done') {
    if (job.itemsLeft != null) setStatus(status, `Erasing your learning data… ${plural(job.itemsLeft, 'item')} left.`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    job = await api(`/api/learning/erasure/${encodeURIComponent(job.erasureId)}`);
  }
  return job;
}

/** Wires the erase button; `onErased` reloads the page's lists. */
export function setUpErase(onErased) {
  const button = $('#erase-all');
  const status = $('#erase-status');
  button.addEventListener('click', async () => {
    const sure = await confirmAction({
      title: 'Erase all your learning data?',
      message: 'Every conversation transcript and every correction you have is deleted for good. This cannot be undone.',
      confirmLabel: 'Erase everything',
    });
    if (!sure) return;
    button.disabled = true;
    setStatus(status, 'Erasing your learning data…');
    let result;
    try {
      result = await followErasure(await api('/api/learning/history', { method: 'DELETE' }), status);
    } catch (err) {
      setStatus(status, describeError('erase your learning data', err), 'error');
      button.disabled = false;
      return;
    }
    const kept = Number(result.sessionsKept || 0);
    setStatus(status, `Erased ${plural(Number(result.sessionsErased || 0), 'conversation')}, `
      + `${plural(Number(result.messagesDeleted || 0), 'message')} and ${plural(Number(result.correctionsDeleted || 0), 'correction')}.`
      + (kept ? ` ${plural(kept, 'session')} still in progress ${kept === 1 ? 'was' : 'were'} kept: erase again once it has ended.` : ''),
    'success');
    button.disabled = false;
    await onErased();
  });
}

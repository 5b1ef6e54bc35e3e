// The practice page's views: the minutes meter, the notices, the conversation, the
// disconnect dialog and the summary. practice.js decides; this module only draws.

import { describeClose } from './close-codes.js';
import { $, append, fill, h, setStatus } from './dom.js';
import { minutes, plural, providerName, seconds } from './format.js';
import { bubble, correctionItem, providerDivider } from './transcript.js';

// ------------------------------------------------------------------ minutes meter

const meter = { usage: null, syncedAt: 0, live: false, timer: null };

/** The seconds left by the meter's count (the server's last figure, counted down while live). */
export function secondsLeft() {
  if (!meter.usage) return Infinity;
  const sinceSync = meter.live ? Math.floor((Date.now() - meter.syncedAt) / 1000) : 0;
  return Math.max(0, Number(meter.usage.secondsRemaining || 0) - sinceSync);
}

function drawMeter() {
  const usage = meter.usage;
  if (!usage) return;
  const limit = Number(usage.secondsLimit || 0);
  const remaining = secondsLeft();
  const used = Math.min(limit, limit - remaining);
  $('#meter-remaining').textContent = seconds(Math.floor(remaining));
  const bar = $('#meter-bar');
  bar.value = limit ? used / limit : 1;
  bar.setAttribute('aria-valuetext', `${Math.round(100 * (limit ? used / limit : 1))}% used`);
  $('#meter-detail').textContent = `${seconds(used)} of ${seconds(limit)} used this month`
    + (meter.live ? ' (counted down here, set again by the server at each heartbeat)' : '');
}

/**
 * The server's usage (from start, each heartbeat, the end, GET /api/usage). While `live`, the
 * meter counts down every second from that figure until the next answer re-syncs it.
 */
export function setUsage(usage, live) {
  meter.usage = usage;
  meter.syncedAt = Date.now();
  meter.live = live;
  const card = $('#meter-remaining');
  card.dataset.secondsRemaining = String(usage.secondsRemaining);
  card.dataset.secondsUsed = String(usage.secondsUsed);
  clearInterval(meter.timer);
  meter.timer = live ? setInterval(drawMeter, 1000) : null;
  drawMeter();
}

// ------------------------------------------------------------------ notices

/** A threshold's notice: no figure of its own (the meter above keeps the current one). */
export function notice(level) {
  const text = level >= 100
    ? "You have used 100% of this month's voice minutes. The session ends now."
    : `You have used ${level}% of this month's voice minutes: the meter above shows what is left.`;
  append($('#notices'), h('p', { class: `notice-item level-${level}`, dataset: { level: String(level) } }, text));
}

export const clearNotices = () => fill($('#notices'));

// ------------------------------------------------------------------ the conversation

export function showLive(setup, devControls) {
  $('#setup').hidden = true;
  $('#summary').hidden = true;
  $('#live').hidden = false;
  $('#live-heading').textContent = setup.topic;
  fill($('#bubbles'));
  fill($('#live-corrections'));
  $('#live-corrections-empty').hidden = false;
  $('#dev-controls').hidden = !devControls || setup.channel === 'voice'; // the rehearsal coach's drops
  $('#say-form').hidden = setup.channel === 'voice'; // voice: the learner speaks
  setTalking(false);
}

/** A line across the conversation where another provider took it over. */
export function addDivider(provider) {
  const list = $('#bubbles');
  list.append(providerDivider(provider));
  list.scrollTop = list.scrollHeight;
}

export function setProvider(provider) {
  const chip = $('#live-provider');
  chip.textContent = providerName(provider);
  chip.className = `chip provider-${provider}`;
}

export function setConnection(message, kind = 'info') {
  setStatus($('#connection-status'), message, kind);
}

/** Whether the learner can talk (connected) and end (a session is running). */
export function setTalking(connected, { canEnd = true } = {}) {
  $('#say').disabled = !connected;
  $('#say-send').disabled = !connected;
  $('#end').disabled = !canEnd;
  for (const button of document.querySelectorAll('#dev-controls button')) button.disabled = !connected;
}

export function addMessage(message) {
  const list = $('#bubbles');
  list.append(bubble(message));
  list.scrollTop = list.scrollHeight;
}

export function addCorrection(correction) {
  $('#live-corrections-empty').hidden = true;
  $('#live-corrections').append(correctionItem(correction));
}

// ------------------------------------------------------------------ disconnect dialog

export function showDisconnect({ code, reason, provider, other }) {
  $('#disconnect-reason').textContent = `The connection to ${providerName(provider)} was lost. ${describeClose(code, reason)}`;
  $('#disconnect-reason').dataset.code = String(code);
  $('#reconnect').textContent = `Reconnect (${providerName(provider)})`;
  $('#switch-provider').textContent = `Try ${providerName(other)}`;
  dialogBusy(false);
  setStatus($('#dialog-status'), '');
  const dialog = $('#disconnect-dialog');
  if (!dialog.open) dialog.showModal();
  $('#reconnect').focus();
}

export function dialogBusy(busy, message = '', kind = 'info') {
  for (const id of ['#reconnect', '#switch-provider', '#end-from-dialog']) $(id).disabled = busy;
  setStatus($('#dialog-status'), message, kind);
}

export function closeDialog() {
  const dialog = $('#disconnect-dialog');
  if (dialog.open) dialog.close();
}

// ------------------------------------------------------------------ summary

const END_REASONS = {
  user_ended: 'You ended it', limit_reached: "This month's minutes ran out", error: 'The voice provider failed',
  disconnect: 'The connection was lost', timeout: 'No heartbeat reached the server for a while',
  stale: 'A newer session replaced it',
};

function fact(term, value, key) {
  return [h('dt', {}, term), h('dd', { dataset: { fact: key } }, value)];
}

/** The session's story as the page saw it: drops, switches, resumptions, the coach's reply time. */
function storyFacts({ drops = [], switches = [], resumptions = 0, latency = null }) {
  const facts = [fact('Connection drops', drops.length
    ? drops.map((d) => `${providerName(d.provider)} ${d.code}${d.limit ? ' (minutes used up)' : ''}`).join(', ') : 'None', 'drops')];
  facts.push(fact('Provider switches', switches.length
    ? switches.map((s) => `${providerName(s.from)} → ${providerName(s.to)}`).join(', ') : 'None', 'switches'));
  if (resumptions) facts.push(fact('Resumed', `${plural(resumptions, 'time')} without a break (the provider moved the connection)`, 'resumptions'));
  for (const [provider, figures] of Object.entries(latency || {})) {
    facts.push(fact(`Coach's reply time (${providerName(provider)})`,
      `${figures.p50Ms} ms typical, ${figures.p95Ms} ms slowest 5 % (${plural(figures.turns, 'turn')})`, `latency-${provider}`));
  }
  return facts;
}

/** The summary, before the end is answered (pending) or with the API's answer. */
export function showSummary({ sessionId, corrections, answer, pending, note, story }) {
  $('#live').hidden = true;
  $('#summary').hidden = false;
  const facts = [];
  if (answer) {
    const session = answer.session || {};
    facts.push(fact('This session', minutes(session.minutesUsed), 'session-minutes'));
    if (answer.creditedSeconds > 0) {
      facts.push(fact('Credited', `${seconds(answer.creditedSeconds)} not charged (connection problems)`, 'credited'));
    } else if (story && story.drops && story.drops.length) {   // the dialog promised a credit: say what it came to
      facts.push(fact('Credited', 'Nothing: the server counted no time lost to the drop', 'credited'));
    }
    facts.push(fact('Used this month', minutes(answer.totalMinutesUsed), 'month-used'));
    facts.push(fact('Remaining this month', minutes(answer.minutesRemaining), 'month-remaining'));
    if (session.endReason) facts.push(fact('Ended', END_REASONS[session.endReason] || session.endReason, 'end-reason'));
  }
  if (story) facts.push(...storyFacts(story));
  fill($('#summary-facts'), facts);
  const unique = onePerPair(corrections);
  fill($('#summary-corrections'), unique.map(correctionItem));
  $('#summary-corrections-empty').hidden = unique.length > 0;
  $('#history-link').href = `/learning#session=${encodeURIComponent(sessionId)}`;
  const status = $('#summary-status');
  if (pending) setStatus(status, pending, 'info');
  else setStatus(status, note || (answer ? 'Saved to your learning history.' : ''), answer ? 'success' : 'info');
  $('#summary').dataset.state = answer ? 'saved' : 'pending';
  $('#summary-heading').focus();
}

/** The same correction twice in a session (same original and correction) is one, as the server stores it. */
function onePerPair(corrections) {
  const seen = new Set();
  return corrections.filter((c) => {
    const pair = JSON.stringify([c.original, c.correction]);
    if (seen.has(pair)) return false;
    seen.add(pair);
    return true;
  });
}

export function showSetup(message, kind) {
  $('#summary').hidden = true;
  $('#live').hidden = true;
  $('#setup').hidden = false;
  setStatus($('#setup-status'), message || '', kind);
  $('#start').disabled = false;
}

// The practice page: set up, talk to the coach (the rehearsal coach here, behind the voice
// adapter interface), live minutes and notices, the disconnect dialog, the summary.
// The protocol with the API is session-client.js; the drawing is practice-view.js.

import { getToken, loadConfig } from './api.js';
import { $, setStatus } from './dom.js';
import { providerName } from './format.js';
import * as view from './practice-view.js';
import { RehearsalCoach } from './rehearsal-coach.js';
import { LimitReachedError, NORMAL_CLOSURE, SessionClient } from './session-client.js';
import { boot } from './shell.js';
import { learnerVisit } from './visit.js';

const OTHER = { gemini: 'openai', openai: 'gemini' };

const state = {
  client: null, // SessionClient
  adapter: null, // the voice connection in use (a RehearsalCoach here)
  setup: null, // {topic, difficulty, mode, provider}
  drop: null, // {code, reason, provider} of the last disconnect
  devControls: false,
};

/** The voice connection: the practice app plugs its realtime provider's adapter in here. */
function makeAdapter(provider) {
  const { mode, topic, difficulty } = state.setup;
  return new RehearsalCoach({ provider, mode, topic, difficulty });
}

// ------------------------------------------------------------------ connecting

async function connect(provider) {
  const adapter = makeAdapter(provider);
  state.adapter = adapter;
  adapter.onMessage((message) => { if (adapter === state.adapter) onMessage(message); });
  adapter.onClose((code, reason) => { if (adapter === state.adapter) onClose(code, reason); });
  view.setProvider(provider);
  view.setConnection(`Connecting to ${providerName(provider)}…`);
  const began = performance.now();
  await adapter.connect();
  state.client.recordEvent({ type: 'provider_connected', provider, connectMs: performance.now() - began });
  view.setConnection(`Connected to ${providerName(provider)}.`, 'success');
  view.setTalking(true);
  $('#say').focus();
}

function onMessage(message) {
  if (message.correction) {
    state.client.addCorrection(message.correction);
    view.addCorrection(message.correction);
    return;
  }
  const line = { role: message.role === 'user' ? 'user' : 'coach', text: String(message.text || ''), timestamp: Date.now() };
  state.client.addMessage(line);
  view.addMessage(line);
}

/** The connection closed without our asking: a 1000 is the provider saying goodbye, anything else a disconnect. */
function onClose(code, reason) {
  state.adapter = null;
  view.setTalking(false);
  if (state.client.state !== 'active') return;
  if (code === NORMAL_CLOSURE) {
    finish({ disconnectCode: NORMAL_CLOSURE, disconnectReason: reason || 'The provider closed the session' });
    return;
  }
  const provider = state.client.provider;
  state.drop = { code, reason: reason || '', provider };
  state.client.recordEvent({ type: 'provider_disconnected', provider, code, reason: reason || undefined });
  view.setConnection(`Disconnected from ${providerName(provider)} (code ${code}).`, 'error');
  view.showDisconnect({ code, reason, provider, other: OTHER[provider] });
}

async function reconnect() {
  const provider = state.client.provider;
  view.dialogBusy(true, `Reconnecting to ${providerName(provider)}…`);
  state.client.recordEvent({ type: 'reconnect_attempt', provider });
  try {
    await connect(provider);
  } catch (err) {
    view.dialogBusy(false, `Could not reconnect to ${providerName(provider)}: ${err.message}`, 'error');
    return;
  }
  view.closeDialog();
}

async function tryOtherProvider() {
  const other = OTHER[state.client.provider];
  view.dialogBusy(true, `Switching to ${providerName(other)}…`);
  try {
    await state.client.switchProvider(other, { code: state.drop && state.drop.code, reason: state.drop && state.drop.reason });
  } catch (err) {
    view.dialogBusy(false, `Could not switch to ${providerName(other)}: ${err.message}`, 'error');
    return;
  }
  try {
    await connect(other);
  } catch (err) {
    view.dialogBusy(false, `Could not connect to ${providerName(other)}: ${err.message}`, 'error');
    return;
  }
  view.closeDialog();
}

// ------------------------------------------------------------------ start and end

async function start(event) {
  event.preventDefault();
  if (state.client.state === 'active') return;
  state.setup = {
    topic: $('#topic').value.trim() || 'general', difficulty: $('#difficulty').value,
    mode: $('#mode').value, provider: $('#provider').value,
  };
  $('#start').disabled = true;
  view.clearNotices();
  setStatus($('#setup-status'), 'Starting your session…');
  try {
    await state.client.start(state.setup);
  } catch (err) {
    const message = err instanceof LimitReachedError
      ? `You have used all your voice minutes for this month${err.usage ? ` (${Number(err.usage.minutesUsed).toFixed(1)} min)` : ''}. They come back on the 1st.`
      : `Could not start the session: ${err.message}${err.status ? ` (HTTP ${err.status})` : ''}`;
    view.showSetup(message, 'error');
    return;
  }
  setStatus($('#setup-status'), '');
  state.drop = null;
  view.showLive(state.setup, state.devControls);
  try {
    await connect(state.setup.provider);
  } catch (err) {
    onClose(err.code || 1006, err.message);
  }
}

/** Ends the session (End, End Session in the dialog, the limit, the provider's goodbye). */
async function finish({ disconnectCode = NORMAL_CLOSURE, disconnectReason, note } = {}) {
  const client = state.client;
  if (client.state !== 'active') return;
  const adapter = state.adapter;
  state.adapter = null; // its close below is ours, not a disconnect
  if (adapter) adapter.close(NORMAL_CLOSURE, 'Session ended');
  view.closeDialog();
  if (client.usage) view.setUsage(client.usage, false); // the meter stops with the session
  view.setTalking(false, { canEnd: false });
  view.setConnection('Ending the session and saving your conversation…');
  const summary = { sessionId: client.sessionId, corrections: [...client.transcript.corrections], note };
  let answer;
  try {
    answer = await client.end({ disconnectCode, disconnectReason });
  } catch (err) {
    view.showSummary({ ...summary, pending: err.status === 401
      ? 'Your sign-in has expired. Your conversation is saved on this device and is sent after you sign in again.'
      : `The server refused the end (${err.message}). Your conversation stays saved on this device.` });
    return;
  }
  view.showSummary({ ...summary, answer });
}

function wireClient(client) {
  client.on('usage', (usage) => view.setUsage(usage, client.state === 'active'));
  client.on('threshold', (level, usage) => view.notice(level, usage));
  client.on('limit', () => finish({ disconnectReason: 'Monthly minutes used up',
    note: "This month's minutes are used up: the session was ended and saved." }));
  client.on('sessionLost', () => finish({ disconnectReason: 'The server had already closed the session',
    note: 'The server had already closed this session; your conversation was saved with it.' }));
  client.on('endPending', ({ reason }) => {
    if (reason !== 'network') return;
    view.showSummary({ sessionId: client.sessionId, corrections: [...client.transcript.corrections],
      pending: 'The server cannot be reached. Your conversation is saved on this device and is sent as soon as it can be (on this page, or on your next visit).' });
  });
  client.on('ended', (answer) => {
    if ($('#summary').dataset.state === 'pending' && answer) {
      view.showSummary({ sessionId: client.sessionId, corrections: [...client.transcript.corrections], answer,
        note: 'Your conversation reached the server and is saved to your learning history.' });
    }
  });
  client.on('pageClosing', () => {
    const adapter = state.adapter;
    state.adapter = null;
    if (adapter) adapter.close(1001, 'Going away');
  });
}

// ------------------------------------------------------------------ the page

function heartbeatMs(config) {
  // Local development only: /practice?heartbeatMs=500 makes the tests' heartbeats quick.
  const asked = Number(new URLSearchParams(window.location.search).get('heartbeatMs'));
  return config.auth.mode === 'local' && asked >= 100 ? asked : 30_000;
}

boot(async () => {
  const config = await loadConfig();
  state.devControls = config.auth && config.auth.mode === 'local';
  state.client = new SessionClient({ apiBase: config.apiBase, getToken, heartbeatMs: heartbeatMs(config) });
  wireClient(state.client);
  $('#setup-form').addEventListener('submit', start);
  $('#say-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('#say').value.trim();
    if (!text || !state.adapter) return;
    state.adapter.send(text);
    $('#say').value = '';
  });
  $('#end').addEventListener('click', () => finish({ disconnectCode: NORMAL_CLOSURE }));
  $('#reconnect').addEventListener('click', reconnect);
  $('#switch-provider').addEventListener('click', tryOtherProvider);
  $('#end-from-dialog').addEventListener('click', () => finish({
    disconnectCode: state.drop ? state.drop.code : NORMAL_CLOSURE, disconnectReason: state.drop ? state.drop.reason : undefined,
  }));
  $('#disconnect-dialog').addEventListener('cancel', (event) => event.preventDefault()); // Escape: pick one of the three
  for (const code of [1006, 1011]) {
    $(`#drop-${code}`).addEventListener('click', () => { if (state.adapter && state.adapter.drop) state.adapter.drop(code); });
  }
  $('#again').addEventListener('click', () => view.showSetup());

  const visit = await learnerVisit();
  setStatus($('#visit-status'), visit.notes.join(' '), 'success');
  try {
    await state.client.refreshUsage();
  } catch (err) {
    $('#meter-detail').textContent = `Could not load your minutes: ${err.message}`;
  }
});

// The practice page: set up, talk to the coach (by voice through Gemini Live or OpenAI Realtime,
// or typed with the rehearsal coach: both behind the voice adapter interface), live minutes and
// notices, the disconnect dialog, the summary. The protocol with the API is session-client.js
// (and session-access.js); the drawing is practice-view.js; the voice side practice-voice.js.

import { getToken, loadConfig } from './api.js';
import { $, setStatus } from './dom.js';
import { minutes, providerName } from './format.js';
import * as view from './practice-view.js';
import * as voice from './practice-voice.js';
import { TurnLatency } from './providers/turn-latency.js';
import { RehearsalCoach } from './rehearsal-coach.js';
import { SessionAccess } from './session-access.js';
import { LimitReachedError, NORMAL_CLOSURE, SessionClient } from './session-client.js';
import { boot } from './shell.js';
import { learnerVisit } from './visit.js';

const OTHER = { gemini: 'openai', openai: 'gemini' };

const LIMIT_CHECK_MS = 5000; // at most one heartbeat a 5 s to ask the server whether the minutes are up

const state = {
  client: null, // SessionClient
  access: null, // SessionAccess: the latest providerAccess
  adapter: null, // the voice connection in use (GeminiLive, OpenAIRealtime or a RehearsalCoach)
  setup: null, // {topic, difficulty, mode, provider, channel}
  capture: null, // the microphone (voice sessions)
  latency: null, // TurnLatency of this session
  drop: null, // {code, reason, provider} of the last disconnect
  story: null, // {drops, switches, resumptions}: the summary tells the session's story
  lastProvider: null, // the provider of the last connection (a divider where it changes)
  devControls: false,
  limitCheckedAt: 0, // when the page last asked the server whether the minutes are up
};

/** The voice connection: a realtime provider's adapter, or the rehearsal coach for text practice. */
function makeAdapter(provider) {
  const { mode, topic, difficulty, channel } = state.setup;
  if (channel === 'text') return new RehearsalCoach({ provider, mode, topic, difficulty });
  return voice.voiceAdapter(provider, { access: state.access, capture: state.capture, latency: state.latency,
    history: state.client.transcript.messages.map(({ role, text }) => ({ role, text })) });
}

// ------------------------------------------------------------------ connecting

async function connect(provider) {
  const adapter = makeAdapter(provider);
  state.adapter = adapter;
  adapter.onMessage((message) => { if (adapter === state.adapter) onMessage(message); });
  adapter.onClose((code, reason) => { if (adapter === state.adapter) onClose(code, reason); });
  if (adapter.onNotice) adapter.onNotice((notice) => { if (adapter === state.adapter) onNotice(notice, provider); });
  if (state.lastProvider && state.lastProvider !== provider) view.addDivider(provider);
  state.lastProvider = provider;
  view.setProvider(provider);
  view.setConnection(`Connecting to ${providerName(provider)}…`);
  const began = performance.now();
  await adapter.connect();
  state.client.recordEvent({ type: 'provider_connected', provider, connectMs: performance.now() - began });
  view.setConnection(`Connected to ${providerName(provider)}.`, 'success');
  view.setTalking(true);
  if (state.setup.channel === 'text') $('#say').focus();
}

/** What a voice adapter tells besides lines: the coach speaking, a goAway's resumption. */
function onNotice(notice, provider) {
  if ('speaking' in notice) voice.setSpeaking(notice.speaking);
  if (notice.resuming) {
    state.client.recordEvent({ type: 'reconnect_attempt', provider });
    view.setConnection(`${providerName(provider)} is moving the connection; resuming…`);
  }
  if (notice.resumed) {
    state.story.resumptions += 1;
    state.client.recordEvent({ type: 'provider_connected', provider, connectMs: notice.resumed.connectMs });
    view.setConnection(`Connected to ${providerName(provider)}.`, 'success');
  }
}

/** Whether the minutes are used up, the server asked (a heartbeat: its limit rule ends the session). */
async function minutesUsedUp() {
  if (state.client.state !== 'active') return true;
  state.limitCheckedAt = Date.now();
  await state.client.heartbeat();
  return state.client.state !== 'active';
}

function onMessage(message) {
  if (message.correction) {
    state.client.addCorrection(message.correction);
    view.addCorrection(message.correction);
    return;
  }
  const line = { role: message.role === 'user' ? 'user' : 'coach', text: String(message.text || ''), timestamp: Date.now(),
    provider: state.lastProvider || undefined };
  state.client.addMessage(line);
  view.addMessage(line);
}

/** The connection closed without our asking: a 1000 is the provider saying goodbye, anything else a disconnect. */
async function onClose(code, reason) {
  state.adapter = null;
  view.setTalking(false);
  voice.setSpeaking(false);
  if (state.client.state !== 'active') return;
  if (code === NORMAL_CLOSURE) {
    finish({ disconnectCode: NORMAL_CLOSURE, disconnectReason: reason || 'The provider closed the session' });
    return;
  }
  const provider = state.client.provider;
  // The server's hangup or the lease's end at the limit: "Your minutes are used up", no dialog.
  const drop = { provider, code };
  state.story.drops.push(drop); // before the await: the summary drawn meanwhile (at the limit) counts it
  if (await minutesUsedUp()) { drop.limit = true; return; }
  state.drop = { code, reason: reason || '', provider };
  state.client.recordEvent({ type: 'provider_disconnected', provider, code, reason: reason || undefined });
  view.setConnection(`Disconnected from ${providerName(provider)} (code ${code}).`, 'error');
  view.showDisconnect({ code, reason, provider, other: OTHER[provider] });
}

/** One step of the dialog, busy while it runs; false (the reason shown) when it failed. */
async function dialogStep(busy, failed, step) {
  view.dialogBusy(true, busy);
  try {
    await step();
    return true;
  } catch (err) {
    view.dialogBusy(false, `${failed}: ${err.message}`, 'error');
    return false;
  }
}

async function reconnect() {
  const name = providerName(state.client.provider);
  state.client.recordEvent({ type: 'reconnect_attempt', provider: state.client.provider });
  if (await dialogStep(`Reconnecting to ${name}…`, `Could not reconnect to ${name}`, () => connect(state.client.provider))) view.closeDialog();
}

async function tryOtherProvider() {
  const from = state.client.provider;
  const other = OTHER[from];
  const { code, reason } = state.drop || {};
  const switched = await dialogStep(`Switching to ${providerName(other)}…`, `Could not switch to ${providerName(other)}`, async () => {
    state.access.take((await state.client.switchProvider(other, { code, reason })).providerAccess);
    state.story.switches.push({ from, to: other });
  });
  if (switched && await dialogStep(`Connecting to ${providerName(other)}…`, `Could not connect to ${providerName(other)}`,
    () => connect(other))) view.closeDialog();
}

// ------------------------------------------------------------------ start and end

async function start(event) {
  event.preventDefault();
  if (state.client.state === 'active') return;
  state.setup = {
    topic: $('#topic').value.trim() || 'general', difficulty: $('#difficulty').value,
    mode: $('#mode').value, provider: $('#provider').value, channel: $('#channel').value,
  };
  $('#start').disabled = true;
  view.clearNotices();
  if (state.setup.channel === 'voice') {
    // The microphone first: refused or missing, no session is started (nothing is charged).
    setStatus($('#setup-status'), 'Asking for your microphone…');
    const { capture, problem } = await voice.openMicrophone();
    if (problem) {
      view.showSetup(problem, 'error');
      return;
    }
    state.capture = capture;
  }
  setStatus($('#setup-status'), 'Starting your session…');
  let data;
  try {
    data = await state.client.start(state.setup);
  } catch (err) {
    releaseMicrophone();
    const message = err instanceof LimitReachedError
      ? `You have used all your voice minutes for this month${err.usage ? ` (${minutes(err.usage.minutesUsed)})` : ''}. They come back on the 1st.`
      : `Could not start the session: ${err.message}${err.status ? ` (HTTP ${err.status})` : ''}`;
    view.showSetup(message, 'error');
    return;
  }
  setStatus($('#setup-status'), '');
  state.access.clear();
  state.access.take(data.providerAccess);
  state.latency = new TurnLatency();
  state.client.latencySummary = () => state.latency.summary();
  state.drop = null;
  state.lastProvider = null;
  state.story = { drops: [], switches: [], resumptions: 0 };
  view.showLive(state.setup, state.devControls);
  voice.showVoiceBar(state.capture);
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
  releaseMicrophone();
  view.closeDialog();
  if (client.usage) view.setUsage(client.usage, false); // the meter stops with the session
  view.setTalking(false, { canEnd: false });
  view.setConnection('Ending the session and saving your conversation…');
  const summary = { sessionId: client.sessionId, corrections: [...client.transcript.corrections], note,
    story: { ...state.story, latency: state.latency && state.latency.summary() } };
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

function releaseMicrophone() {
  if (state.capture) state.capture.close();
  state.capture = null;
  voice.showVoiceBar(null);
}

function wireClient(client) {
  client.on('usage', (usage) => view.setUsage(usage, client.state === 'active'));
  client.on('threshold', (level, usage) => view.notice(level, usage));
  client.on('limit', () => finish({ disconnectReason: 'Monthly minutes used up',
    note: "Your minutes are used up: this month's voice minutes ran out, and the session was ended and saved." }));
  client.on('sessionLost', () => finish({ disconnectReason: 'The server had already closed the session',
    note: 'The server had already closed this session; your conversation was saved with it.' }));
  client.on('endPending', ({ reason }) => {
    if (reason === 'network') view.showSummary({ sessionId: client.sessionId, corrections: [...client.transcript.corrections],
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
    state.adapter = null; // its close is ours: no disconnect
    if (adapter) adapter.close(1001, 'Going away');
    releaseMicrophone();
  });
}
// ------------------------------------------------------------------ the page

boot(async () => {
  const config = await loadConfig();
  state.devControls = config.auth && config.auth.mode === 'local';
  // The interval is the start answer's heartbeatIntervalSeconds (session-client.js). Local development
  // only: /practice?heartbeatMs=500 makes the tests' heartbeats quick.
  const asked = Number(new URLSearchParams(window.location.search).get('heartbeatMs'));
  const heartbeatMs = state.devControls && asked >= 100 ? asked : undefined;
  state.client = new SessionClient({ apiBase: config.apiBase, getToken, heartbeatMs });
  state.access = new SessionAccess(state.client);
  wireClient(state.client);
  setInterval(() => { // at the limit the page ends the session itself: its count reached 0, so the server is asked
    if (state.client.state === 'active' && view.secondsLeft() <= 0 && Date.now() - state.limitCheckedAt > LIMIT_CHECK_MS) minutesUsedUp();
  }, 1000);
  $('#channel').addEventListener('change', voice.applyChannel);
  $('#mute').addEventListener('click', () => voice.setMuted($('#mute').getAttribute('aria-pressed') !== 'true', state.capture));
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

  await voice.offerProviders(state.client.transport);
  const visit = await learnerVisit();
  setStatus($('#visit-status'), visit.notes.join(' '), 'success');
  try {
    await state.client.refreshUsage();
  } catch (err) {
    $('#meter-detail').textContent = `Could not load your minutes: ${err.message}`;
  }
});

// The practice page's voice side: which providers the API offers (GET /api/session/providers)
// and the setup's choices (voice where available, Text practice always), the microphone asked
// for before a session starts, the voice adapters (providers/), and the voice bar: the
// microphone's level, the coach speaking, mute. practice.js decides when; this module does it.

import { $, fill, h } from './dom.js';
import { providerName } from './format.js';
import { AudioCapture, microphoneProblem } from './providers/audio-capture.js';
import { GeminiLive } from './providers/gemini-live.js';
import { OpenAIRealtime } from './providers/openai-realtime.js';
import { send } from './session-http.js';

export const PROVIDERS = ['gemini', 'openai'];
const offered = new Map(); // id -> {id, available, transport, model}

const available = (id) => Boolean(offered.get(id) && offered.get(id).available);

/** Reads the providers the API offers and draws the setup's choices; answers them ([] when unreadable). */
export async function offerProviders(transport) {
  let providers = [];
  try {
    providers = (await send(transport, 'GET', '/api/session/providers', undefined, { maxAttempts: 2 })).providers || [];
  } catch (err) {
    providers = []; // no voice then: text practice still works
  }
  offered.clear();
  for (const provider of providers) offered.set(provider.id, provider);
  const anyVoice = PROVIDERS.some(available);
  $('#channel option[value="voice"]').disabled = !anyVoice;
  if (!anyVoice) $('#channel').value = 'text';
  const chosen = $('#provider').value;
  fill($('#provider'), PROVIDERS.map((id) => h('option', { value: id },
    available(id) ? providerName(id) : `${providerName(id)} (voice not available)`)));
  $('#provider').value = chosen;
  applyChannel();
  return providers;
}

/** In voice, a provider without voice cannot be chosen; in text practice, any can. */
export function applyChannel() {
  const voice = $('#channel').value === 'voice';
  for (const option of $('#provider').options) option.disabled = voice && !available(option.value);
  const selected = $('#provider').selectedOptions[0];
  if (!selected || selected.disabled) {
    const first = [...$('#provider').options].find((option) => !option.disabled);
    if (first) $('#provider').value = first.value;
  }
}

/** The microphone, or {problem} in words: asked before the session starts, so a refusal costs nothing. */
export async function openMicrophone() {
  try {
    return { capture: await AudioCapture.open() };
  } catch (err) {
    return { problem: microphoneProblem(err) };
  }
}

/** The voice connection to `provider` (history: the conversation so far, handed over). */
export function voiceAdapter(provider, { access, capture, latency, history }) {
  const options = { access, capture, latency, history };
  if (provider === 'gemini') return new GeminiLive({ ...options, model: (offered.get('gemini') || {}).model || '' });
  return new OpenAIRealtime(options);
}

/** Is another provider's voice there to switch to (the dialog's Try button)? */
export const voiceAvailable = available;

// ------------------------------------------------------------------ the voice bar

let unsubscribeLevel = null;

export function showVoiceBar(capture) {
  $('#voice-bar').hidden = !capture;
  if (unsubscribeLevel) unsubscribeLevel();
  unsubscribeLevel = null;
  setMuted(false, capture);
  setSpeaking(false);
  if (!capture) return;
  unsubscribeLevel = capture.onLevel((level) => {
    $('#mic-level').value = capture.muted ? 0 : Math.min(1, level * 4); // speech's RMS is small: scaled to be seen
  });
}

export function setMuted(muted, capture) {
  if (capture) capture.setMuted(muted);
  $('#mute').setAttribute('aria-pressed', String(Boolean(muted)));
  $('#mute').textContent = muted ? 'Unmute' : 'Mute';
  if (muted) $('#mic-level').value = 0;
}

export function setSpeaking(speaking) {
  const chip = $('#coach-speaking');
  chip.dataset.speaking = String(Boolean(speaking));
  chip.textContent = speaking ? 'Coach is speaking' : 'Listening';
}

// What a session keeps to send with its end: the transcript and the coach's corrections,
// clipped to the API's limits (a longer text would make the whole end a 422).

const CATEGORIES = ['grammar', 'tone', 'vocabulary', 'word_order', 'pronunciation'];
export const LIMITS = { messages: 2000, corrections: 200, text: 4000, reason: 500 };

export const clip = (text, max) => String(text ?? '').slice(0, max);

export class Transcript {
  constructor() {
    this.messages = [];
    this.corrections = [];
  }

  /** @param {import('./session-types.js').Message} message */
  addMessage({ role, text, timestamp = Date.now(), provider }) {
    if (this.messages.length >= LIMITS.messages) return;
    const line = { role, text: clip(text, LIMITS.text), timestamp };
    if (provider === 'gemini' || provider === 'openai') line.provider = provider;   // the history's dividers
    this.messages.push(line);
  }

  /** @param {import('./session-types.js').Correction} correction */
  addCorrection({ original, correction, explanation, category }) {
    if (!original || !correction || this.corrections.length >= LIMITS.corrections) return;
    const item = { original: clip(original, LIMITS.text), correction: clip(correction, LIMITS.text) };
    if (explanation) item.explanation = clip(explanation, LIMITS.text);
    if (CATEGORIES.includes(category)) item.category = category;
    this.corrections.push(item);
  }
}

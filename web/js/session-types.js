// JSDoc types of the session client (no code): import them in JSDoc as
// import('./session-types.js').Usage, and so on.

/** @typedef {'gemini' | 'openai'} Provider */
/** @typedef {{topic?: string, difficulty?: 'beginner' | 'intermediate' | 'advanced', mode?: 'free' | 'coach', provider?: Provider}} StartOptions */
/**
 * @typedef {object} Usage  as the API answers it (speakpho.views.usage_view)
 * @property {number} secondsLimit
 * @property {number} secondsUsed
 * @property {number} secondsRemaining
 * @property {number} minutesUsed
 * @property {number} minutesRemaining
 */
/** @typedef {{role: 'user' | 'coach', text: string, timestamp: number}} Message */
/** @typedef {{original: string, correction: string, explanation?: string, category?: string}} Correction */
/**
 * @typedef {object} ClientEvent
 * @property {'provider_connected' | 'provider_disconnected' | 'reconnect_attempt'} type
 * @property {Provider} [provider]   defaults to the session's current provider
 * @property {number} [code]         provider_disconnected only (1000-4999)
 * @property {string} [reason]       provider_disconnected only
 * @property {number} [connectMs]    provider_connected only
 */


/**
 * @typedef {object} VoiceAdapter  what the practice page needs of a voice connection
 *   (rehearsal-coach.js is one; docs/web.md shows how to wrap a realtime provider)
 * @property {() => Promise<void>} connect             resolves once the provider accepts the session
 * @property {(text: string) => void} send             text from the learner (a voice adapter streams audio instead)
 * @property {(cb: (message: AdapterMessage) => void) => void} onMessage
 * @property {(cb: (code: number, reason: string) => void) => void} onClose  the connection closed
 * @property {(code?: number, reason?: string) => void} close   closes it from our side
 */

/**
 * @typedef {object} AdapterMessage  one of:
 *   {role: 'user' | 'coach', text: string} a line of the conversation (the learner's as the provider heard it);
 *   {correction: Correction} a correction from the coach
 * @property {'user' | 'coach'} [role]
 * @property {string} [text]
 * @property {Correction} [correction]
 */

export {};

// WebSocket close codes in words, for the learner's pages (the practice page's disconnect
// dialog). The table mirrors layers/common/python/speakpho/close_codes.py, the one the API
// uses: tests/browser/test_practice_client.py loads this module in the browser and compares
// every row, and the rules for codes outside the table, with the Python module. Change both
// together. (The admin page takes its labels from the API's stats.closeCodeLabels instead:
// that field is only given to admins.)

/** @typedef {'learner' | 'network' | 'provider' | 'unknown'} Side */

/**
 * @typedef {object} CloseCode
 * @property {number} code
 * @property {string} label  the seed's "Meaning" column
 * @property {string} cause  the seed's "Common cause" column
 * @property {Side} side     whom the code points at
 */

export const NORMAL_CLOSURE = 1000;

/** @type {Readonly<Record<number, CloseCode>>} */
export const CLOSE_CODES = Object.freeze({
  1000: { code: 1000, label: 'Normal closure', cause: 'User ended session properly', side: 'learner' },
  1001: { code: 1001, label: 'Going away', cause: 'Browser tab closed, navigation', side: 'network' },
  1006: { code: 1006, label: 'Abnormal closure', cause: 'Network issue, server timeout', side: 'network' },
  1011: { code: 1011, label: 'Server error', cause: 'API error on provider side', side: 'provider' },
  1012: { code: 1012, label: 'Service restart', cause: 'Provider redeploying', side: 'provider' },
  1013: { code: 1013, label: 'Try again later', cause: 'Provider rate limiting', side: 'provider' },
});

/** 4000-4999: the range WebSocket leaves to applications; the voice providers close with codes there. */
const inProviderRange = (code) => code >= 4000 && code <= 4999;

/** The table's label; "Provider code NNNN" in 4000-4999; "Application code NNNN" otherwise; "" for none. */
export function closeCodeLabel(code) {
  if (code === null || code === undefined) return '';
  const known = CLOSE_CODES[code];
  if (known) return known.label;
  return inProviderRange(code) ? `Provider code ${code}` : `Application code ${code}`;
}

/** learner, network or provider by the table; provider in 4000-4999; else unknown. */
export function closeCodeSide(code) {
  if (code === null || code === undefined) return 'unknown';
  const known = CLOSE_CODES[code];
  if (known) return known.side;
  return inProviderRange(code) ? 'provider' : 'unknown';
}

/** The common cause for a code of the table, or a sentence for its side. */
export function closeCodeCause(code) {
  const known = CLOSE_CODES[code];
  if (known) return known.cause;
  const side = closeCodeSide(code);
  if (side === 'provider') return 'The voice provider closed the connection.';
  return 'The connection closed for a reason the app does not know.';
}

/** "Server error (1011): API error on provider side" */
export function describeClose(code, reason) {
  const label = closeCodeLabel(code) || 'Connection closed';
  const cause = closeCodeCause(code).replace(/\.$/, '');
  const said = reason && reason !== label ? ` The provider said: “${reason}”.` : '';
  return `${label} (${code}): ${cause}.${said}`;
}

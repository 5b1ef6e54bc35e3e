// What happened in one session, for the learner's history detail: which provider (and the one
// it started on), a drop, a switch, the time credited back, or that it is still running.
// (The transcript has no divider here: messages carry the browser's clock, providerSwitchedAt the
// server's, which the dev clock may have moved by months; the practice page draws it live.)

import { describeClose } from './close-codes.js';
import { providerName, seconds } from './format.js';

const DROPPED_BY = { provider: 'the voice provider', network: 'the network' };

/** "via OpenAI (started on Gemini)", "via Gemini", or null without a provider. */
export function providerText(session) {
  if (!session.provider) return null;
  const started = session.providerSwitched && session.initialProvider && session.initialProvider !== session.provider
    ? ` (started on ${providerName(session.initialProvider)})` : '';
  return `via ${providerName(session.provider)}${started}`;
}

/** The sentences of the session's story; [] for a session that simply ended. */
export function storySentences(session) {
  if (session.status === 'active') {
    return ['In progress: the conversation is saved here when the session ends.'];
  }
  const lines = [];
  if (session.providerSwitched) {
    const times = Number(session.switchCount || 1);
    lines.push(`Switched from ${providerName(session.initialProvider)} to ${providerName(session.provider)}`
      + `${times > 1 ? ` (${times} switches)` : ''}.`);
  }
  const code = session.disconnectCode;
  if (DROPPED_BY[session.endedBy] && code !== null && code !== undefined) {
    lines.push(`The session ended when ${DROPPED_BY[session.endedBy]} dropped it: ${describeClose(code, session.disconnectReason)}`);
  } else if (session.endedBy === 'client_vanished') {
    lines.push('The page stopped reporting, so the server closed the session.');
  }
  const credited = Number(session.creditedSeconds || 0);
  lines.push(credited
    ? `${seconds(credited)} credited back: not charged, lost to connection problems.`
    : (session.providerSwitched || DROPPED_BY[session.endedBy] ? 'Nothing was credited back.' : null));
  return lines.filter(Boolean);
}

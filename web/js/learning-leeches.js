// A correction's life after the coach made it, on the Corrections tab: what later conversations
// said of it (its evidence: "used correctly in conversation on …" or "said again on …", linked to
// that conversation) and, for a leech (8 lapses: suspended from review), the actions that resume
// it (PATCH {leech: false}) or rephrase its explanation (PATCH {explanation}).

import { api, describeError } from './api.js';
import { $, h, setStatus } from './dom.js';
import { date } from './format.js';

const SAID = { used_correctly: 'Used correctly in conversation on', repeated_mistake: 'Said again on' };

/** The latest evidence of a correction, with a link to the conversation; null without any. */
export function evidenceNote(correction) {
  const evidence = correction.evidence || [];
  const latest = evidence[evidence.length - 1];
  if (!latest) return null;
  return h('p', { class: `evidence ${latest.outcome}` },
    `${SAID[latest.outcome] || 'Said on'} `,
    h('a', { href: `/learning#session=${encodeURIComponent(latest.sessionId)}` }, date(latest.at)),
    `: “${latest.text}”`);
}

async function patch(correction, body, doing) {
  const status = $('#corrections-status');
  setStatus(status, doing);
  try {
    return await api(`/api/learning/corrections/${encodeURIComponent(correction.id)}`, { method: 'PATCH', body });
  } catch (err) {
    setStatus(status, describeError('change this correction', err), 'error');
    return null;
  }
}

/** For a leech: its mark, "Resume reviews" and "Rephrase"; `replace(updated)` redraws the row. */
export function leechControls(correction, replace) {
  if (!correction.leech) return [];
  const editor = h('form', { class: 'rephrase', hidden: true },
    h('label', {}, 'Your explanation ', h('textarea', { name: 'explanation', rows: '2', maxlength: '2000' })));
  editor.querySelector('textarea').value = correction.explanation || '';
  editor.append(h('button', { type: 'submit' }, 'Save'));
  editor.addEventListener('submit', async (event) => {
    event.preventDefault();
    const explanation = editor.querySelector('textarea').value.trim();
    if (!explanation) return;
    const answer = await patch(correction, { explanation }, 'Saving your explanation…');
    if (!answer) return;
    replace({ ...correction, ...answer });
    setStatus($('#corrections-status'), 'Explanation saved.', 'success');
  });
  return [
    h('p', { class: 'leech-mark' }, `A leech: forgotten ${correction.lapses} times, so it is left out of your reviews.`),
    h('button', {
      type: 'button', class: 'link resume',
      onclick: async () => {
        const answer = await patch(correction, { leech: false }, 'Resuming its reviews…');
        if (!answer) return;
        replace({ ...correction, ...answer });
        setStatus($('#corrections-status'), 'Resumed: it comes back to your reviews when it is due.', 'success');
      },
    }, 'Resume reviews'),
    h('button', { type: 'button', class: 'link rephrase-open', onclick: () => { editor.hidden = !editor.hidden; } },
      'Rephrase'),
    editor,
  ];
}

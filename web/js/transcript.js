// A session's conversation (chat bubbles: learner right, coach left) and its corrections.

import { h } from './dom.js';
import { titleCase } from './format.js';

export function bubble(message) {
  const mine = message.role === 'user';
  return h('div', { class: `bubble-row ${mine ? 'from-user' : 'from-coach'}`, role: 'listitem' },
    h('div', { class: 'bubble', dataset: { role: message.role } },
      h('span', { class: 'sr-only' }, mine ? 'You: ' : 'Coach: '),
      message.text));
}

export function correctionItem(correction) {
  return h('li', { class: 'correction' },
    h('p', { class: 'original' }, h('span', { class: 'sr-only' }, 'Said: '), h('del', {}, correction.original)),
    h('p', { class: 'corrected' }, h('span', { class: 'sr-only' }, 'Correction: '), correction.correction),
    correction.explanation ? h('p', { class: 'explanation' }, correction.explanation) : null,
    correction.category ? h('span', { class: 'chip category' }, titleCase(correction.category)) : null);
}

// A session's conversation (chat bubbles: learner right, coach left) and its corrections.

import { h } from './dom.js';
import { providerName, titleCase } from './format.js';

export function bubble(message) {
  const mine = message.role === 'user';
  return h('div', { class: `bubble-row ${mine ? 'from-user' : 'from-coach'}`, role: 'listitem' },
    h('div', { class: 'bubble', dataset: { role: message.role } },
      h('span', { class: 'sr-only' }, mine ? 'You: ' : 'Coach: '),
      message.text));
}

/** A line across the conversation where another provider took it over. */
export function providerDivider(provider) {
  return h('p', { class: 'provider-divider', role: 'listitem', dataset: { provider } }, `Now with ${providerName(provider)}`);
}

/** A saved conversation's bubbles, with a divider where the lines' provider changes (lines saved
 * by older pages carry no provider: no divider is drawn from them). */
export function conversationItems(messages) {
  const items = [];
  let current = null;
  for (const message of messages) {
    if (message.provider && current && message.provider !== current) items.push(providerDivider(message.provider));
    if (message.provider) current = message.provider;
    items.push(bubble(message));
  }
  return items;
}

export function correctionItem(correction) {
  return h('li', { class: 'correction' },
    h('p', { class: 'original' }, h('span', { class: 'sr-only' }, 'Said: '), h('del', {}, correction.original)),
    h('p', { class: 'corrected' }, h('span', { class: 'sr-only' }, 'Correction: '), correction.correction),
    correction.explanation ? h('p', { class: 'explanation' }, correction.explanation) : null,
    correction.category ? h('span', { class: 'chip category' }, titleCase(correction.category)) : null);
}

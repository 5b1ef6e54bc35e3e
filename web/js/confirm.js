// A confirmation in the page's own <dialog id="confirm-dialog"> (heading, message, a confirm
// and a Cancel button): resolves true only when the confirm button is pressed.

import { $ } from './dom.js';

/**
 * @param {{title: string, message: string, confirmLabel: string}} text
 * @returns {Promise<boolean>}
 */
export function confirmAction({ title, message, confirmLabel }) {
  const dialog = $('#confirm-dialog');
  $('#confirm-heading').textContent = title;
  $('#confirm-message').textContent = message;
  $('#confirm-yes').textContent = confirmLabel;
  return new Promise((resolve) => {
    const done = (answer) => {
      $('#confirm-yes').onclick = null;
      $('#confirm-no').onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    $('#confirm-yes').onclick = () => done(true);
    $('#confirm-no').onclick = () => done(false);
    dialog.onclose = () => done(false); // Escape
    dialog.showModal();
    $('#confirm-no').focus();
  });
}

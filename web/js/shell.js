// What every page shares: config, sign-in (local form or Cognito), the account bar,
// and going back to sign-in when the API answers 401.

import { UNAUTHORIZED_EVENT, loadConfig } from './api.js';
import { cognitoSignIn, completeCognitoSignIn, currentUser, localSignIn, selectSignIn, signOut } from './auth.js';
import { $, fill, h, setStatus } from './dom.js';

const FLASH_KEY = 'speakpho.flash';

function flash(message) {
  sessionStorage.setItem(FLASH_KEY, message);
}

function takeFlash() {
  const message = sessionStorage.getItem(FLASH_KEY);
  sessionStorage.removeItem(FLASH_KEY);
  return message;
}

function localForm(status) {
  const userInput = h('input', { id: 'signin-user', name: 'user', type: 'text', required: true, maxlength: 128,
    autocomplete: 'username', spellcheck: 'false' });
  const adminBox = h('input', { id: 'signin-admin', name: 'admin', type: 'checkbox' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'signin-form', 'aria-describedby': 'signin-note' },
    h('p', { id: 'signin-note', class: 'meta' },
      'Local development sign-in: any user id works, no password. This form exists only in make dev.'),
    h('label', { for: 'signin-user' }, 'User id'),
    userInput,
    h('label', { class: 'check' }, adminBox, ' Administrator (admin group)'),
    submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const sub = userInput.value.trim();
    if (!sub) {
      setStatus(status, 'Enter a user id to sign in.', 'error');
      userInput.focus();
      return;
    }
    submit.disabled = true;
    setStatus(status, 'Signing in…');
    try {
      await localSignIn(sub, adminBox.checked);
      window.location.reload();
    } catch (err) {
      setStatus(status, `Could not sign in: ${err.message}`, 'error');
      submit.disabled = false;
    }
  });
  return form;
}

function cognitoPanel(auth, status, admin) {
  const button = h('button', { type: 'button', class: 'primary' }, 'Sign in');
  button.addEventListener('click', async () => {
    button.disabled = true;
    setStatus(status, 'Taking you to the sign-in page…');
    try {
      await cognitoSignIn(auth);
    } catch (err) {
      setStatus(status, `Could not start sign-in: ${err.message}`, 'error');
      button.disabled = false;
    }
  });
  return h('div', { class: 'signin-form' }, admin
    ? h('p', {}, 'Sign in with your administrator account. The sign-in page asks for the code from your authenticator app.')
    : h('p', {}, 'Sign in with your Speak Pho Real account.'), button);
}

function showSignIn(signIn, message, kind = 'info') {
  const section = $('#signin');
  const status = h('p', { id: 'signin-status', class: 'status', role: 'status', 'aria-live': 'polite' });
  const { auth, admin } = signIn || { auth: { mode: 'local' }, admin: false };
  fill(section,
    h('h1', {}, admin ? 'Administrator sign-in' : 'Sign in'),
    status,
    auth.mode === 'cognito' ? cognitoPanel(auth, status, admin) : localForm(status));
  setStatus(status, message || '', kind);
  $('#app').hidden = true;
  $('#account').hidden = true;
  section.hidden = false;
  const first = section.querySelector('input, button');
  if (first) first.focus();
}

function showAccount(user) {
  fill($('#account-name'), user.email || user.sub, user.isAdmin ? h('span', { class: 'chip' }, 'admin') : null);
  $('#account').hidden = false;
  // "Session health" is for admins only: a learner's navigation does not offer a page that refuses them.
  for (const link of document.querySelectorAll('[data-admin-only]')) link.hidden = !user.isAdmin;
  $('#signout').onclick = () => signOut(flash);   // it says what it dropped from this device
}

/**
 * Boots a page: signs in if needed, then calls start(user) with the app section shown.
 * realm 'admin' (the admin page): deployed, sign-in goes to the admin user pool (config.adminAuth).
 */
export async function boot(start, { realm = 'learner' } = {}) {
  let config;
  try {
    config = await loadConfig();
  } catch (err) {
    showSignIn(null, `Could not load the site configuration: ${err.message}`, 'error');
    return;
  }
  const signIn = selectSignIn(config, realm);
  window.addEventListener(UNAUTHORIZED_EVENT, (event) => {
    flash(event.detail && event.detail.reason === 'expired'
      ? 'Your sign-in has expired or is no longer valid. Please sign in again.'
      : 'Please sign in.');
    window.location.reload();
  });
  if (signIn.auth.mode === 'cognito') {
    try {
      if (await completeCognitoSignIn(signIn.auth) === 'redirecting') return;
    } catch (err) {
      showSignIn(signIn, `Could not sign in: ${err.message}`, 'error');
      return;
    }
  }
  const message = takeFlash();
  const user = currentUser();
  if (!user) {
    showSignIn(signIn, message, message && message.startsWith('Your sign-in') ? 'error' : 'info');
    return;
  }
  showAccount(user);
  $('#signin').hidden = true;
  $('#app').hidden = false;
  await start(user);
}

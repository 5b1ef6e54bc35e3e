// Signing in. Two modes, chosen by /config.json:
//   local   - `make dev` only: POST /local/token {sub, admin} mints a local token.
//   cognito - deployed: Cognito hosted UI, authorization code flow with PKCE
//             (public app client, no secret); the ID token is the API's bearer token.
// Deployed, the admin page signs in to the admin user pool (config.adminAuth: its own client,
// hosted UI and callback /admin, MFA required); the other pages to the learners' pool (config.auth).

import { clearToken, getToken, setToken, useTokenOf } from './api.js';
import { droppedNote, forgetEndsOf, tokenSubject } from './end-queue.js';

let pkceKey = 'speakpho.pkce';
let selected = { mode: 'local' };

/**
 * The sign-in settings of this page: realm 'admin' uses config.adminAuth when the stack gives
 * one (and then its own token and PKCE keys); anything else, and the local runner, config.auth.
 */
export function selectSignIn(config, realm = 'learner') {
  const admin = realm === 'admin' && config && config.adminAuth && config.adminAuth.mode === 'cognito';
  selected = admin ? config.adminAuth : ((config && config.auth) || { mode: 'local' });
  useTokenOf(admin ? 'admin' : 'learner');
  pkceKey = admin ? 'speakpho.pkce.admin' : 'speakpho.pkce';
  return { auth: selected, admin: Boolean(admin) };
}

function base64UrlDecode(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

function base64UrlEncode(bytes) {
  let binary = '';
  for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(byteCount) {
  return base64UrlEncode(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** The token's claims, for display only (the API verifies the token). */
export function tokenClaims(token) {
  try {
    return JSON.parse(base64UrlDecode(token.split('.')[1]));
  } catch (err) {
    return null;
  }
}

function groupsOf(raw) {
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw === 'string') return raw.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean);
  return [];
}

/** {sub, email, groups, isAdmin} for the stored token, or null (none, unreadable or expired). */
export function currentUser() {
  const token = getToken();
  const claims = token && tokenClaims(token);
  if (!claims || !claims.sub) return null;
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) {
    clearToken();
    return null;
  }
  const groups = groupsOf(claims['cognito:groups']);
  return { sub: String(claims.sub), email: claims.email ? String(claims.email) : '', groups, isAdmin: groups.includes('admin') };
}

/** Local dev sign-in (the local runner only). */
export async function localSignIn(sub, admin) {
  let res;
  try {
    res = await fetch('/local/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sub, admin: Boolean(admin) }),
    });
  } catch (err) {
    throw new Error('could not reach the local runner');
  }
  const payload = await res.json().catch(() => null);
  if (!res.ok || !payload || !payload.success) {
    throw new Error((payload && payload.error && payload.error.message) || `HTTP ${res.status}`);
  }
  setToken(payload.data.token);
}

// ---------------------------------------------------------------- Cognito hosted UI

function cognitoHost(auth) {
  // "https://x.auth.us-east-1.amazoncognito.com", a host name, or a bare domain prefix (expanded).
  const domain = String(auth.domain || '').replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return domain.includes('.') ? domain : `${domain}.auth.${auth.region}.amazoncognito.com`;
}

/** The app client's callback and sign-out URL: config.auth.redirectUri, else the site root. */
export const redirectUri = (auth) => auth.redirectUri || `${window.location.origin}/`;

export async function cognitoSignIn(auth) {
  const verifier = randomString(48);
  const challenge = base64UrlEncode(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = randomString(24);
  const returnTo = window.location.pathname + window.location.search + window.location.hash;
  sessionStorage.setItem(pkceKey, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(`https://${cognitoHost(auth)}/oauth2/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: redirectUri(auth),
    scope: (auth.scopes || ['openid', 'email', 'profile']).join(' '),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
}

/**
 * On return from the hosted UI (?code=&state=): checks the state, exchanges the code
 * with the PKCE verifier, stores the ID token and goes back to the page that asked.
 * Returns false when the URL holds no sign-in response, 'redirecting' when it is
 * going back to the page that asked.
 */
export async function completeCognitoSignIn(auth) {
  const params = new URLSearchParams(window.location.search);
  if (!params.has('code') && !params.has('error')) return false;
  const saved = JSON.parse(sessionStorage.getItem(pkceKey) || 'null');
  sessionStorage.removeItem(pkceKey);
  window.history.replaceState(null, '', window.location.pathname);
  if (params.has('error')) {
    throw new Error(`sign-in was refused: ${params.get('error_description') || params.get('error')}`);
  }
  if (!saved || saved.state !== params.get('state')) {
    throw new Error('the sign-in response does not match this browser tab; please sign in again');
  }
  const res = await fetch(`https://${cognitoHost(auth)}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: auth.clientId,
      code: params.get('code'),
      redirect_uri: redirectUri(auth),
      code_verifier: saved.verifier,
    }),
  });
  const tokens = await res.json().catch(() => null);
  if (!res.ok || !tokens || !tokens.id_token) {
    throw new Error(`the token exchange failed (HTTP ${res.status}${tokens && tokens.error ? `: ${tokens.error}` : ''})`);
  }
  setToken(tokens.id_token);
  if (saved.returnTo) {
    const target = new URL(saved.returnTo, window.location.origin);
    if (target.pathname + target.search !== window.location.pathname) {
      window.location.replace(saved.returnTo);
      return 'redirecting';
    }
    // Back on the page that asked (the admin pool's callback is /admin itself): keep its #fragment.
    if (target.hash) window.history.replaceState(null, '', target.pathname + target.hash);
  }
  return true;
}

/**
 * Signs out: drops the learner's queued session ends from this device (end-queue.js: no one's
 * transcript stays on a shared device after they leave), forgets the token, then leaves.
 * `say(message)` is given what to tell the learner before the page goes: that they signed
 * out, and what was dropped.
 */
export async function signOut(say = () => {}) {
  const dropped = forgetEndsOf(tokenSubject(getToken()));
  say(['You have signed out.', droppedNote(dropped, 'signedOut')].filter(Boolean).join(' '));
  clearToken();
  const auth = selected || {};
  if (auth.mode === 'cognito') {
    const url = new URL(`https://${cognitoHost(auth)}/logout`);
    url.search = new URLSearchParams({ client_id: auth.clientId, logout_uri: redirectUri(auth) }).toString();
    window.location.assign(url.toString());
    return;
  }
  window.location.reload();
}

// Calls to the Speak Pho Real API: the bearer token on every request, the
// {success, data | error} envelope unwrapped, a 401 sends the user back to sign-in.

// The admin page, deployed, signs in to the admin user pool: its token is kept apart from a
// learner's (auth.js selectSignIn), so neither page sends the other pool's token.
const TOKEN_KEYS = { learner: 'speakpho.token', admin: 'speakpho.adminToken' };
let tokenKey = TOKEN_KEYS.learner;
let configPromise = null;

/** Which token this page uses: 'learner' (every page locally) or 'admin'. */
export function useTokenOf(realm) {
  tokenKey = TOKEN_KEYS[realm] || TOKEN_KEYS.learner;
}

/** The deployed stack writes /config.json: {apiBase, auth: {mode: "local" | "cognito", ...}, adminAuth?}. */
export function loadConfig() {
  if (!configPromise) {
    configPromise = fetch('/config.json', { cache: 'no-store' }).then(async (res) => {
      if (!res.ok) throw new Error(`could not load /config.json (HTTP ${res.status})`);
      const config = await res.json();
      return { apiBase: '', auth: { mode: 'local' }, ...config };
    });
  }
  return configPromise;
}

export const getToken = () => sessionStorage.getItem(tokenKey);
export const setToken = (token) => sessionStorage.setItem(tokenKey, token);
export const clearToken = () => sessionStorage.removeItem(tokenKey);

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Fired when the API answers 401: the page shows the sign-in form again. */
export const UNAUTHORIZED_EVENT = 'speakpho:unauthorized';

export async function apiUrl(path, query) {
  const { apiBase } = await loadConfig();
  const url = new URL(String(apiBase || '').replace(/\/+$/, '') + path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url;
}

/**
 * api('/api/learning/history', {query: {page: 1}}) -> the envelope's data.
 * With raw: true the fetch Response itself is returned (for CSV downloads).
 */
export async function api(path, { method = 'GET', query, body, raw = false, headers: extra = {} } = {}) {
  const token = getToken();
  if (!token) {
    window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT, { detail: { reason: 'signed-out' } }));
    throw new ApiError(401, 'unauthorized', 'You are not signed in.');
  }
  const headers = { ...extra, Authorization: `Bearer ${token}`, Accept: raw ? '*/*' : 'application/json' };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(await apiUrl(path, query), init);
  } catch (err) {
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
  }
  if (res.status === 401) {
    clearToken();
    window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT, { detail: { reason: 'expired' } }));
    throw new ApiError(401, 'unauthorized', 'Your sign-in has expired. Please sign in again.');
  }
  if (raw && res.ok) return res;
  let payload = null;
  try {
    payload = await res.json();
  } catch (err) {
    payload = null;
  }
  if (!res.ok || !payload || payload.success !== true) {
    const error = (payload && payload.error) || {};
    throw new ApiError(res.status, error.code || `http_${res.status}`,
      error.message || `The server answered HTTP ${res.status}.`, error.details);
  }
  return payload.data;
}

/** A sentence for an error box: what failed and why. */
export function describeError(what, err) {
  if (err instanceof ApiError) {
    const status = err.status ? ` (HTTP ${err.status})` : '';
    return `Could not ${what}: ${err.message}${status}`;
  }
  return `Could not ${what}: ${err && err.message ? err.message : String(err)}`;
}

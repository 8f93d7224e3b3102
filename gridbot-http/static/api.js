// The API client: bearer tokens kept in localStorage, one refresh on 401,
// the dashboard's language sent as Accept-Language (server messages and
// names come back in it), errors thrown as ApiError with the envelope's
// code, message, field and details.
import { currentLang } from './i18n.js';
const BASE = '/api/v1';
const KEY = 'gridbot.tokens';

export class ApiError extends Error {
  constructor(status, code, message, details, field) {
    super(message);
    this.status = status; this.code = code; this.details = details; this.field = field || null;
  }
}

export function tokens() {
  try { return JSON.parse(localStorage.getItem(KEY) || 'null'); } catch { return null; }
}
export function setTokens(t) { if (t) localStorage.setItem(KEY, JSON.stringify(t)); else localStorage.removeItem(KEY); }

// Refresh tokens are single-use (the server rotates them): concurrent 401s
// share one refresh, and a refresh refused because another tab already
// rotated the token counts as success when that tab saved a new pair.
let refreshing = null;
function refresh() {
  if (!refreshing) refreshing = doRefresh().finally(() => { refreshing = null; });
  return refreshing;
}

async function doRefresh() {
  const t = tokens();
  if (!t || !t.refresh_token) return false;
  let r;
  try {
    r = await fetch(BASE + '/auth/refresh', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: t.refresh_token }),
    });
  } catch { return false; }
  if (!r.ok) {
    const now = tokens();
    if (now && now.refresh_token !== t.refresh_token) return true;
    setTokens(null);
    return false;
  }
  setTokens(await r.json());
  return true;
}

/** Revokes the session's refresh token (best effort) and forgets the tokens. */
export async function logout() {
  const t = tokens();
  setTokens(null);
  if (!t || !t.refresh_token) return;
  try {
    await fetch(BASE + '/auth/logout', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: t.refresh_token }),
    });
  } catch { /* offline: the token expires on its own */ }
}

export async function api(method, path, body, retry = true) {
  const headers = { Accept: 'application/json', 'Accept-Language': currentLang() };
  const t = tokens();
  if (t) headers.Authorization = 'Bearer ' + t.access_token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network', currentLang() === 'ko' ? '네트워크 오류입니다. 연결을 확인하세요' : 'network error: check the connection', null);
  }
  if (r.status === 401 && retry && t && path !== '/auth/login' && await refresh()) {
    return api(method, path, body, false);
  }
  if (r.status === 204) return null;
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!r.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(r.status, e.code || 'http_' + r.status, e.message || r.statusText, e.details || null, e.field);
  }
  return data;
}

export async function login(username, password) {
  const t = await api('POST', '/auth/login', { username, password }, false);
  setTokens(t);
  return t;
}

export function streamUrl() {
  const t = tokens();
  return t ? BASE + '/stream?lang=' + currentLang() + '&access_token=' + encodeURIComponent(t.access_token) : null;
}

// The HTTP API and its event streams, with the page's token passed along:
// `?access_token=T` in the page URL becomes `Authorization: Bearer T` on
// fetches and `access_token=T` on EventSource URLs (which cannot send headers).

const token = new URLSearchParams(location.search).get('access_token');

// The API lives at the server root: this file is /monitor/api.js.
const root = new URL('../', import.meta.url);

export const EVENT_TYPES = [
  'queued', 'started', 'job.status', 'approval_required', 'approval', 'canceled',
  'budget_exceeded', 'failed', 'completed', 'workspace_ready',
  'team.phase_changed', 'team.plan_ready', 'team.task.started', 'team.task.output',
  'team.task.validation_failed', 'team.task.non_reporting', 'team.task.completed',
  'team.task.approval_required', 'team.task.canceled', 'team.task.reassigned',
  'team.claim_recovered', 'team.retry', 'team.mailbox.received', 'team.mailbox.delivered',
  'team.completed', 'tmux_session_started', 'tmux_session_retained', 'tmux_session_closed',
];

export class ApiError extends Error {
  constructor(status, statusText, body, text) {
    const detail = body && body.message !== undefined
      ? (Array.isArray(body.message) ? body.message.join('; ') : String(body.message))
      : (text || '').trim().slice(0, 500);
    const reason = (body && body.error) || statusText || '';
    super(`${(body && body.statusCode) || status} ${reason}${detail ? `: ${detail}` : ''}`);
    this.status = status;
    this.body = body;
  }
}

export function url(path, query) {
  const u = new URL(path.replace(/^\//, ''), root);
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null) u.searchParams.set(k, String(v));
  return u;
}

// fetch + JSON (or text with {text: true}); throws ApiError on a non-2xx answer.
export async function api(method, path, { body, query, text = false } = {}) {
  const headers = { Accept: text ? 'text/plain' : 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url(path, query), init);
  } catch (e) {
    throw new Error(`cannot reach the server (${e.message})`);
  }
  const raw = await res.text();
  if (!res.ok) {
    let parsed = null;
    try { parsed = JSON.parse(raw); } catch { /* not JSON */ }
    throw new ApiError(res.status, res.statusText, parsed, raw);
  }
  if (text) return raw;
  return raw ? JSON.parse(raw) : null;
}

// An EventSource with a listener for every event type of schemas.md (named
// SSE events never reach onmessage), plus 'message' for unnamed frames.
// onEvent(event, messageEvent) gets the parsed data; extra = {name: handler}.
export function stream(path, { query, onEvent, onState, extra = {} } = {}) {
  const q = { ...(query || {}) };
  if (token) q.access_token = token;
  const es = new EventSource(url(path, q));
  const handle = (msg) => {
    let data;
    try { data = JSON.parse(msg.data); } catch { return; }
    onEvent(data, msg);
  };
  for (const type of EVENT_TYPES) es.addEventListener(type, handle);
  es.addEventListener('message', handle);
  for (const [name, fn] of Object.entries(extra)) {
    es.addEventListener(name, (msg) => {
      let data = null;
      try { data = JSON.parse(msg.data); } catch { /* keep null */ }
      fn(data, msg);
    });
  }
  if (onState) {
    es.addEventListener('open', () => onState('open'));
    es.addEventListener('error', () => onState(es.readyState === EventSource.CLOSED ? 'closed' : 'connecting'));
  }
  return es;
}

// Calls fn at most once per `wait` ms after the last call, and at least once
// per `maxWait` ms while calls keep coming; never two runs at once.
export function debounce(fn, wait, maxWait = wait * 4) {
  let timer = null;
  let first = 0;
  let running = false;
  let again = false;
  const run = async () => {
    timer = null;
    first = 0;
    if (running) { again = true; return; }
    running = true;
    try { await fn(); } finally {
      running = false;
      if (again) { again = false; schedule(); }
    }
  };
  const schedule = () => {
    const now = Date.now();
    if (!first) first = now;
    clearTimeout(timer);
    timer = setTimeout(run, Math.max(0, Math.min(wait, first + maxWait - now)));
  };
  schedule.cancel = () => { clearTimeout(timer); timer = null; first = 0; again = false; };
  schedule.now = () => { clearTimeout(timer); return run(); };
  return schedule;
}

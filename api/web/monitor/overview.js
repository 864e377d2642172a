// The overview: counters, jobs waiting for a person, token use, active jobs,
// running agents with heartbeat age, recent jobs.

import { api, debounce } from './api.js';
import { $, h, replace, badge, ageEl, count, shortId, truncate, parseTime, duration, dateTime } from './dom.js';

const COUNTERS = [
  ['active', 'active'], ['queued', 'queued'], ['running', 'running'], ['waiting_approval', 'waiting'],
  ['succeeded', 'succeeded'], ['failed', 'failed'], ['canceled', 'canceled'], ['total', 'total'],
];

const jobHref = (id) => `#/jobs/${encodeURIComponent(id)}`;

function jobLink(id) {
  return h('a', { href: jobHref(id), class: 'mono', title: id }, shortId(id));
}

function emptyRow(cols, text) {
  return h('tr', { class: 'empty' }, h('td', { colspan: cols }, text));
}

// A row that opens its job when clicked anywhere (links inside keep working).
function clickableRow(id, cells) {
  return h('tr', {
    class: 'clickable', dataset: { jobId: id },
    onclick: (e) => { if (!e.target.closest('a')) location.hash = jobHref(id); },
  }, cells);
}

function renderCounters(jobs) {
  replace($('#counters'), COUNTERS.map(([key, label]) =>
    h('div', { class: 'counter', dataset: { counter: key, nonzero: (jobs?.[key] ?? 0) > 0 ? 'yes' : 'no' } },
      h('span', { class: 'counter-value' }, count(jobs?.[key] ?? 0)),
      h('span', { class: 'counter-label' }, label))));
}

function renderWaiting(list) {
  const el = $('#waiting');
  if (!list.length) { replace(el, h('p', { class: 'muted' }, 'Nobody is waited for.')); return; }
  replace(el, h('ul', { class: 'waiting-list' }, list.map((w) =>
    h('li', { class: 'waiting-item', dataset: { jobId: w.jobId, taskId: w.taskId ?? undefined, gate: w.gate } },
      h('a', { href: jobHref(w.jobId), class: 'waiting-link' },
        h('span', { class: 'mono' }, shortId(w.jobId)),
        h('span', { class: 'gate' }, w.gate === 'job' ? 'job gate' : `task ${w.taskId} (${w.gate})`)),
      h('span', { class: 'reason' }, w.reason || ''),
      ageEl(w.since, ' waiting')))));
}

function renderTokens(t) {
  replace($('#tokens'),
    h('div', { class: 'tokens-total' }, h('span', { class: 'big' }, count(t?.totalTokens ?? 0)), h('span', { class: 'muted' }, ' tokens')),
    h('dl', { class: 'kv' },
      h('dt', null, 'input'), h('dd', null, count(t?.inputTokens ?? 0)),
      h('dt', null, 'output'), h('dd', null, count(t?.outputTokens ?? 0)),
      h('dt', null, 'jobs with usage'), h('dd', null, count(t?.jobsWithUsage ?? 0)),
      h('dt', null, 'jobs without'), h('dd', null, count(t?.jobsWithoutUsage ?? 0))));
}

function progress(m) {
  if (!m) return '–';
  return `${m.succeeded ?? 0}/${m.total ?? 0}${m.running ? ` · ${m.running} running` : ''}${m.failed ? ` · ${m.failed} failed` : ''}`;
}

function renderActiveJobs(list) {
  const body = $('#jobs tbody');
  if (!list.length) { replace(body, emptyRow(9, 'No active jobs.')); return; }
  replace(body, list.map((j) => clickableRow(j.id, [
    h('td', null, jobLink(j.id)),
    h('td', null, badge(j.status)),
    h('td', null, j.mode),
    h('td', null, j.provider),
    h('td', null, j.teamPhase || '–'),
    h('td', { class: 'num' }, progress(j.teamMetrics)),
    h('td', { class: 'num' }, count(j.teamMetrics?.totalTokens ?? 0)),
    h('td', { class: 'task-text', title: j.task }, truncate(j.task, 90)),
    h('td', null, j.startedAt ? ageEl(j.startedAt, '') : h('span', { class: 'muted' }, 'not started')),
  ])));
}

function heartbeatClass(a, now) {
  const expires = parseTime(a.claimExpiresAt);
  if (expires !== null && expires < now) return 'stale';
  const beat = parseTime(a.lastHeartbeatAt);
  if (beat !== null && now - beat > 30000) return 'late';
  return 'fresh';
}

function renderAgents(list) {
  const body = $('#agents tbody');
  if (!list.length) { replace(body, emptyRow(7, 'No agent is running.')); return; }
  const now = Date.now();
  replace(body, list.map((a) => h('tr', {
    class: 'clickable', dataset: { jobId: a.jobId, taskId: a.taskId },
    onclick: (e) => { if (!e.target.closest('a')) location.hash = `${jobHref(a.jobId)}/tasks/${encodeURIComponent(a.taskId)}`; },
  },
  h('td', null, jobLink(a.jobId)),
  h('td', { class: 'mono' }, a.taskId),
  h('td', null, a.role),
  h('td', { class: 'num mono' }, a.pid ?? '–'),
  h('td', null, ageEl(a.startedAt, '')),
  h('td', { class: ['heartbeat', heartbeatClass(a, now)], title: a.claimExpiresAt ? `claim expires ${dateTime(a.claimExpiresAt)}` : undefined },
    a.lastHeartbeatAt ? ageEl(a.lastHeartbeatAt, ' ago') : h('span', { class: 'muted' }, 'none yet')),
  h('td', { class: 'mono muted' }, a.workerId ? truncate(a.workerId, 18) : '–'))));
}

function renderRecent(items) {
  const body = $('#recent-jobs tbody');
  if (!items.length) { replace(body, emptyRow(7, 'No jobs yet.')); return; }
  replace(body, items.map((j) => {
    const start = parseTime(j.startedAt), end = parseTime(j.finishedAt);
    return clickableRow(j.id, [
      h('td', null, jobLink(j.id)),
      h('td', null, badge(j.status)),
      h('td', null, j.mode),
      h('td', { class: 'task-text', title: j.task }, truncate(j.task, 90)),
      h('td', null, ageEl(j.createdAt, ' ago')),
      h('td', { class: 'num' }, start !== null && end !== null ? duration(end - start) : '–'),
      h('td', { class: 'error-text', title: j.error || undefined }, j.error ? truncate(j.error, 60) : ''),
    ]);
  }));
}

export function createOverview({ showError }) {
  let visible = false;
  let dirty = true;

  const load = async () => {
    try {
      const [ov, recent] = await Promise.all([
        api('GET', '/v1/monitor/overview'),
        api('GET', '/v1/jobs', { query: { limit: 25 } }),
      ]);
      renderCounters(ov.jobs);
      renderWaiting(ov.waitingApprovals || []);
      renderTokens(ov.tokens);
      renderActiveJobs(ov.activeJobs || []);
      renderAgents(ov.activeAgents || []);
      renderRecent(recent.items || []);
      $('#overview-updated').textContent = `updated ${dateTime(ov.generatedAt)}`;
      document.body.dataset.overviewLoaded = 'yes';
      dirty = false;
    } catch (e) {
      showError(e);
    }
  };
  const refresh = debounce(load, 200, 1000);

  return {
    show() { visible = true; if (dirty) refresh.now(); else refresh(); },
    hide() { visible = false; },
    // Something happened to some job: refetch while shown, else remember.
    changed() { if (visible) refresh(); else dirty = true; },
    refresh,
  };
}

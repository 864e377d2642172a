// The job view: header, task text, actions, the task graph, the selected
// task with its attempt logs, the live event timeline, the mailbox.

import { api, stream, debounce } from './api.js';
import { $, h, replace, badge, ageEl, count, duration, parseTime, dateTime, clock, setOptions, truncate } from './dom.js';
import { renderGraph } from './graph.js';

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);
const ROLES = ['planner', 'researcher', 'designer', 'developer', 'executor', 'verifier'];
const MAX_TIMELINE = 4000;

// One line of text that says what an event is about.
function eventText(e) {
  const p = e.payload || {};
  switch (e.type) {
    case 'team.task.output': return p.text ?? e.message ?? '';
    case 'job.status': return `${p.from} → ${p.to}`;
    case 'team.phase_changed': return `${p.from ?? '–'} → ${p.to}${p.reason ? ` (${p.reason})` : ''}`;
    case 'team.task.completed': return `${e.message || ''}${p.error && !(e.message || '').includes(p.error) ? ` — ${p.error}` : ''}`;
    case 'approval': return `${e.message || p.decision}${p.comment ? ` — “${p.comment}”` : ''}`;
    case 'team.mailbox.received': return `${e.message || ''}${p.message?.message ? ` — ${truncate(p.message.message, 200)}` : ''}`;
    case 'team.task.validation_failed': return `${e.message || ''}${Array.isArray(p.problems) ? ` — ${p.problems.join('; ')}` : ''}`;
    default: return e.message || '';
  }
}

function eventClass(e) {
  const t = e.type;
  if (t === 'failed' || t === 'budget_exceeded' || t === 'team.task.validation_failed' || t === 'team.task.non_reporting') return 'bad';
  if (t === 'team.task.completed') return e.payload?.result === 'succeeded' ? 'good' : e.payload?.result === 'failed' ? 'bad' : 'warn';
  if (t === 'completed' || t === 'team.completed') return e.payload?.status && e.payload.status !== 'succeeded' ? 'bad' : 'good';
  if (t.includes('approval') || t === 'canceled' || t === 'team.task.canceled' || t === 'team.retry') return 'warn';
  if (t === 'team.task.output') return e.payload?.kind === 'error' ? 'output bad' : 'output';
  if (t.startsWith('team.mailbox')) return 'mail';
  return 'info';
}

export function createJobView({ showError, showNotice, onChanged }) {
  const state = {
    id: null, job: null, team: null, es: null, lastSeq: 0, ended: false,
    selected: null, logAttempt: null, tick: null, armed: null,
  };

  const els = {
    timeline: $('#timeline'), graph: $('#graph'), log: $('#log'),
    comment: $('#comment'), approve: $('#approve'), reject: $('#reject'), cancel: $('#cancel'), resume: $('#resume'),
  };

  // ---------------------------------------------------------------- loading

  const refresh = debounce(async () => {
    const id = state.id;
    if (!id) return;
    try {
      const [job, team] = await Promise.all([
        api('GET', `/v1/jobs/${id}`),
        api('GET', `/v1/jobs/${id}/team`),
      ]);
      if (state.id !== id) return;
      state.job = job;
      state.team = team;
      render();
      syncLog();
      // A resumed or reopened job streams again after its stream ended.
      if (state.ended && !TERMINAL.has(job.status)) openStream();
    } catch (e) {
      if (state.id === id) showError(e);
    }
  }, 120, 600);

  const refreshLog = debounce(() => loadLog(), 800, 2000);

  function openStream() {
    closeStream();
    state.ended = false;
    setStreamState('connecting');
    const query = state.lastSeq ? { lastEventId: state.lastSeq } : undefined;
    const es = stream(`/v1/jobs/${state.id}/events`, {
      query,
      onEvent: (e) => { if (state.es === es) onEvent(e); },
      onState: (s) => { if (state.es === es && !state.ended) setStreamState(s); },
      extra: {
        end: (data) => {
          if (state.es !== es) return;
          es.close();
          state.ended = true;
          setStreamState('ended', data && data.status);
          refresh();
        },
      },
    });
    state.es = es;
  }

  function closeStream() {
    if (state.es) state.es.close();
    state.es = null;
  }

  function setStreamState(s, status) {
    const el = $('#stream-state');
    el.dataset.state = s;
    el.textContent = s === 'open' ? 'live' : s === 'ended' ? `ended${status ? ` · ${status}` : ''}` : s === 'closed' ? 'disconnected' : 'connecting…';
  }

  // ---------------------------------------------------------------- events

  function onEvent(e) {
    if (typeof e.seq !== 'number' || e.seq <= state.lastSeq) return; // replay overlap
    if (e.jobId && e.jobId !== state.id) return;
    state.lastSeq = e.seq;
    appendEvent(e);
    if (e.type === 'team.task.output') {
      if (e.payload?.taskId === state.selected && isLatestAttemptShown()) refreshLog();
    } else {
      refresh();
      onChanged?.();
    }
  }

  function appendEvent(e) {
    const tl = els.timeline;
    const stick = tl.scrollHeight - tl.scrollTop - tl.clientHeight < 40;
    const p = e.payload || {};
    const taskId = typeof p.taskId === 'string' ? p.taskId : null;
    const toggle = h('button', { type: 'button', class: 'tl-more', title: 'show the payload', 'aria-expanded': 'false' }, '{…}');
    const item = h('li', { class: ['tl-item', eventClass(e)], dataset: { type: e.type, seq: e.seq, taskId: taskId ?? undefined } },
      h('span', { class: 'tl-seq' }, String(e.seq)),
      h('time', { class: 'tl-time', datetime: e.createdAt, title: e.createdAt }, clock(e.createdAt)),
      h('span', { class: 'tl-type', title: e.type }, e.type),
      taskId
        ? h('a', { class: 'tl-task', href: `#/jobs/${state.id}/tasks/${encodeURIComponent(taskId)}`, title: taskId }, taskId)
        : h('span', { class: 'tl-task' }),
      h('span', { class: 'tl-msg' }, eventText(e)),
      toggle);
    toggle.addEventListener('click', () => {
      const open = item.querySelector('.tl-json');
      if (open) open.remove();
      else item.append(h('pre', { class: 'tl-json' }, JSON.stringify(p, null, 2)));
      toggle.setAttribute('aria-expanded', open ? 'false' : 'true');
    });
    tl.append(item);
    while (tl.children.length > MAX_TIMELINE) tl.firstElementChild.remove();
    $('#timeline-count').textContent = `${count(state.lastSeq)} events`;
    if (stick) tl.scrollTop = tl.scrollHeight;
  }

  // ---------------------------------------------------------------- render

  function render() {
    renderHeader();
    renderActions();
    renderGraphPanel();
    renderTask();
    renderMailbox();
    renderForms();
  }

  function renderHeader() {
    const j = state.job;
    $('#job-id').textContent = j.id;
    const st = $('#job-status');
    st.dataset.status = j.status;
    st.textContent = j.status.replaceAll('_', ' ');
    const ap = $('#job-approval');
    ap.dataset.state = j.approvalState;
    ap.textContent = j.approvalState === 'none' ? '' : `approval ${j.approvalState}`;
    ap.hidden = j.approvalState === 'none';
    $('#job-phase').textContent = state.team?.phase ?? j.team?.phase ?? '–';
    $('#job-task').textContent = j.task;
    const err = $('#job-error');
    err.hidden = !j.error;
    err.textContent = j.error || '';

    const m = state.team?.metrics || j.team?.metrics || {};
    const start = parseTime(j.startedAt), end = parseTime(j.finishedAt);
    const kv = [
      ['mode', j.mode], ['provider', j.provider], ['repo', j.repo], ['ref', j.ref],
      ['created', dateTime(j.createdAt)], ['started', j.startedAt ? dateTime(j.startedAt) : '–'],
      ['finished', j.finishedAt ? dateTime(j.finishedAt) : '–'],
      ['run time', start !== null ? duration((end ?? Date.now()) - start) : '–'],
      ['tasks', `${m.succeeded ?? 0}/${m.total ?? 0} done${m.running ? `, ${m.running} running` : ''}${m.failed ? `, ${m.failed} failed` : ''}`],
      ['tokens', `${count(m.totalTokens ?? 0)} (in ${count(m.inputTokens ?? 0)}, out ${count(m.outputTokens ?? 0)})`],
      ['fix rounds', `${state.team?.fixAttempts ?? 0}/${state.team?.maxFixAttempts ?? '–'}`],
    ];
    replace($('#job-meta'), kv.flatMap(([k, v]) => [h('dt', null, k), h('dd', { dataset: { field: k } }, v)]));
  }

  function pendingGates() {
    const tasks = state.team?.tasks || [];
    return tasks.filter((t) => t.approval);
  }

  function renderActions() {
    const j = state.job;
    const required = j.approvalState === 'required';
    els.approve.disabled = !required;
    els.reject.disabled = !required;
    els.cancel.disabled = TERMINAL.has(j.status);
    els.resume.disabled = !(j.status === 'failed' || j.status === 'canceled');
    if (els.cancel.disabled) disarm('cancel');
    if (els.reject.disabled) disarm('reject');

    const gates = pendingGates();
    const list = $('#pending');
    const items = [];
    if (required && (gates.length === 0 || j.options?.requireApproval && j.status === 'waiting_approval' && !j.startedAt)) {
      items.push(h('li', { class: 'gate-item', dataset: { gate: 'job' } },
        h('span', { class: 'gate-name' }, 'Job gate'),
        h('span', { class: 'reason' }, 'options.requireApproval: the run starts when approved')));
    }
    for (const t of gates) {
      items.push(h('li', { class: 'gate-item', dataset: { gate: t.approval.stage, taskId: t.id } },
        h('span', { class: 'gate-name' }, `Task ${t.id} (${t.approval.stage})`),
        h('span', { class: 'reason' }, t.approval.reason || ''),
        ageEl(t.approval.requestedAt, ' waiting'),
        h('span', { class: 'gate-buttons' },
          h('button', { type: 'button', class: 'btn small good', dataset: { taskAction: 'approve', taskId: t.id },
            onclick: () => taskAction(t.id, 'approve') }, 'Approve task'),
          h('button', { type: 'button', class: 'btn small bad', dataset: { taskAction: 'reject', taskId: t.id },
            onclick: () => taskAction(t.id, 'reject') }, 'Reject task'))));
    }
    list.hidden = items.length === 0;
    replace(list, items);
    $('#approval-hint').hidden = !required;
  }

  let tickGraph = null;
  function renderGraphPanel() {
    const tasks = state.team?.tasks || [];
    tickGraph = renderGraph(els.graph, tasks, { selectedId: state.selected, onSelect: selectTask });
    $('#graph-summary').textContent = `${tasks.length} tasks · phase ${state.team?.phase ?? '–'}`;
  }

  function selectedTask() {
    return (state.team?.tasks || []).find((t) => t.id === state.selected) || null;
  }

  function selectTask(taskId) {
    location.hash = `#/jobs/${state.id}/tasks/${encodeURIComponent(taskId)}`;
  }

  function renderTask() {
    const panel = $('#task-panel');
    const t = selectedTask();
    panel.hidden = !t;
    $('#graph-hint').hidden = !!t;
    for (const g of els.graph.querySelectorAll('.node')) g.classList.toggle('selected', g.dataset.taskId === state.selected);
    if (!t) return;
    panel.dataset.taskId = t.id;
    $('#task-title').textContent = `${t.role} · ${t.id}`;
    const st = $('#task-status');
    st.dataset.status = t.status;
    st.textContent = t.status;
    const start = parseTime(t.startedAt);
    const kv = [
      ['name', t.name],
      ['attempt', `${t.attempt} (failures ${t.failures}/${t.maxAttempts})`],
      ['depends on', (t.dependencies || []).join(', ') || '–'],
      ['started', t.startedAt ? dateTime(t.startedAt) : '–'],
      ['duration', t.status === 'running' && start !== null ? duration(Date.now() - start) : duration(t.durationMs)],
      ['timeout', duration((t.timeoutSeconds || 0) * 1000)],
      ['tokens', t.output?.usage ? count(t.output.usage.totalTokens ?? 0) : '–'],
    ];
    if (t.status === 'running') {
      kv.push(['pid', t.pid ?? '–'], ['heartbeat', t.lastHeartbeatAt ? ageEl(t.lastHeartbeatAt, ' ago') : 'none yet']);
      if (t.claimExpiresAt) kv.push(['claim expires', dateTime(t.claimExpiresAt)]);
    }
    if (t.notBefore) kv.push(['retry after', dateTime(t.notBefore)]);
    if (t.error) kv.push(['error', `${t.error}${t.errorClass ? ` [${t.errorClass}]` : ''}`]);
    if (t.approval) kv.push(['approval', `${t.approval.stage}: ${t.approval.reason || ''}`]);
    replace($('#task-detail'), kv.flatMap(([k, v]) => [h('dt', null, k), h('dd', { class: k === 'error' ? 'error-text' : undefined }, v)]));
    const summary = t.output?.summary;
    const sum = $('#task-summary');
    sum.hidden = !summary;
    sum.dataset.status = t.output?.status || '';
    sum.textContent = summary || '';

    const attempts = $('#log-attempts');
    if (t.attempt === 0) {
      replace(attempts, h('span', { class: 'muted' }, 'not run yet'));
      state.logAttempt = null;
      $('#log').textContent = '';
      $('#log').dataset.state = 'empty';
      return;
    }
    if (state.logAttempt !== null && state.logAttempt > t.attempt) state.logAttempt = null;
    const shown = shownAttempt(t);
    const buttons = [];
    for (let n = 1; n <= t.attempt; n++) {
      buttons.push(h('button', {
        type: 'button', class: ['btn', 'small', 'attempt', n === shown ? 'active' : null],
        dataset: { attempt: n }, 'aria-pressed': n === shown ? 'true' : 'false',
        onclick: () => { state.logAttempt = n === t.attempt ? null : n; renderTask(); loadLog(); },
      }, `#${n}`));
    }
    replace(attempts, h('span', { class: 'muted' }, 'attempt '), buttons);
  }

  // The attempt whose log is shown: the one picked, else the latest.
  function shownAttempt(t) {
    return t && t.attempt > 0 ? (state.logAttempt ?? t.attempt) : null;
  }

  function isLatestAttemptShown() {
    const t = selectedTask();
    return !!t && state.logAttempt === null && t.status === 'running';
  }

  let logKey = null;       // the log shown: job/task/attempt
  let loadedStatus = null; // the task's status when it was fetched

  // After a refresh: fetch the log again when it is not the one shown or its task moved on.
  function syncLog() {
    const t = selectedTask();
    const attempt = shownAttempt(t);
    if (!attempt) return;
    if (logKey !== `${state.id}/${t.id}/${attempt}` || t.status !== loadedStatus) loadLog();
  }

  async function loadLog() {
    const t = selectedTask();
    const log = els.log;
    const attempt = shownAttempt(t);
    if (!attempt) return;
    const key = `${state.id}/${t.id}/${attempt}`;
    loadedStatus = t.status;
    try {
      const text = await api('GET', `/v1/jobs/${state.id}/team/tasks/${encodeURIComponent(t.id)}/logs`,
        { query: { attempt }, text: true });
      if (key !== `${state.id}/${state.selected}/${shownAttempt(selectedTask())}`) return;
      const stick = logKey !== key || log.scrollHeight - log.scrollTop - log.clientHeight < 40;
      log.textContent = text || '(empty)';
      log.dataset.state = 'loaded';
      log.dataset.attempt = String(attempt);
      if (stick) log.scrollTop = log.scrollHeight;
      logKey = key;
    } catch (e) {
      log.textContent = e.message;
      log.dataset.state = 'error';
    }
  }

  function renderMailbox() {
    const list = $('#mailbox');
    const msgs = state.team?.mailbox || [];
    $('#mailbox-count').textContent = msgs.length ? `${msgs.length}` : '';
    if (!msgs.length) { replace(list, h('li', { class: 'muted empty' }, 'No messages.')); return; }
    replace(list, msgs.slice().reverse().map((m) => {
      const to = Array.isArray(m.to) ? m.to.join(', ') : m.to;
      return h('li', { class: ['mail', m.to === 'leader' ? 'to-leader' : null], dataset: { messageId: m.id, kind: m.kind } },
        h('div', { class: 'mail-head' },
          h('span', { class: 'badge kind' }, m.kind),
          h('span', { class: 'mono' }, m.from), ' → ', h('span', { class: 'mono' }, to ?? 'leader'),
          m.taskId ? h('span', { class: 'muted' }, ` (task ${m.taskId})`) : null,
          h('span', { class: 'spacer' }),
          h('span', { class: m.delivered ? 'delivered' : 'muted' },
            m.delivered ? `delivered${m.deliveredTo?.length ? ` to ${m.deliveredTo.join(', ')}` : ''}` : 'not delivered'),
          ' · ', ageEl(m.createdAt, ' ago')),
        h('p', { class: 'mail-text' }, m.message));
    }));
  }

  function renderForms() {
    const tasks = state.team?.tasks || [];
    const roles = ROLES.filter((r) => tasks.some((t) => t.role === r));
    setOptions($('#mail-to'), [['', 'auto'], ['leader', 'leader'], ...roles.map((r) => [r, r])]);
    setOptions($('#mail-task'), [['', '(none)'], ...tasks.map((t) => [t.id, `${t.id} (${t.role})`])]);
    const reassign = $('#reassign-task');
    setOptions(reassign, tasks.map((t) => [t.id, `${t.id} (${t.role}, ${t.status})`]));
    if (state.selected && document.activeElement !== reassign && !reassign.dataset.touched) reassign.value = state.selected;
  }

  // ---------------------------------------------------------------- actions

  function commentBody() {
    const c = els.comment.value.trim();
    return c ? { comment: c } : undefined;
  }

  function disarm(name) {
    const b = els[name];
    if (!b || state.armed !== name) return;
    state.armed = null;
    b.classList.remove('armed');
    b.textContent = b.dataset.label;
  }

  // Destructive buttons (cancel, reject) ask for a second click.
  function armed(name) {
    const b = els[name];
    if (state.armed === name) { disarm(name); return true; }
    if (state.armed) disarm(state.armed);
    state.armed = name;
    b.dataset.label ||= b.textContent;
    b.classList.add('armed');
    b.textContent = `Click again to ${b.dataset.label.toLowerCase()}`;
    setTimeout(() => disarm(name), 4000);
    return false;
  }

  async function run(what, fn) {
    const buttons = document.querySelectorAll('#job-view button');
    buttons.forEach((b) => b.classList.add('busy'));
    try {
      const result = await fn();
      showNotice(what);
      return result ?? true;
    } catch (e) {
      showError(e);
      return null;
    } finally {
      buttons.forEach((b) => b.classList.remove('busy'));
      refresh();
      onChanged?.();
    }
  }

  async function jobAction(action, label) {
    const body = action === 'approve' || action === 'reject' ? commentBody() : undefined;
    const ok = await run(label, () => api('POST', `/v1/jobs/${state.id}/actions/${action}`, { body }));
    if (ok && (action === 'approve' || action === 'reject')) els.comment.value = '';
  }

  async function taskAction(taskId, action) {
    const ok = await run(`Task ${taskId}: ${action === 'approve' ? 'approved' : 'rejected'}`,
      () => api('POST', `/v1/jobs/${state.id}/team/tasks/${encodeURIComponent(taskId)}/actions/${action}`, { body: commentBody() }));
    if (ok) els.comment.value = '';
  }

  els.approve.addEventListener('click', () => jobAction('approve', 'Approved'));
  els.reject.addEventListener('click', () => { if (armed('reject')) jobAction('reject', 'Rejected'); });
  els.cancel.addEventListener('click', () => { if (armed('cancel')) jobAction('cancel', 'Canceled'); });
  els.resume.addEventListener('click', () => jobAction('resume', 'Resumed'));
  $('#log-refresh').addEventListener('click', () => loadLog());
  $('#show-output').addEventListener('change', (e) => els.timeline.classList.toggle('hide-output', !e.target.checked));
  $('#reassign-task').addEventListener('change', (e) => { e.target.dataset.touched = 'yes'; });

  $('#mailbox-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const kind = $('#mail-kind').value;
    const to = $('#mail-to').value;
    const taskId = $('#mail-task').value;
    const body = { kind, message: $('#mail-message').value };
    if (to) body.to = to;
    if (taskId) body.taskId = taskId;
    const ok = await run('Message sent', () => api('POST', `/v1/jobs/${state.id}/team/mailbox`, { body }));
    if (ok) $('#mail-message').value = '';
  });

  $('#reassign-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const taskId = $('#reassign-task').value;
    const body = { kind: 'reassign', taskId, message: $('#reassign-message').value };
    const ok = await run(`Task ${taskId} reassigned`, () => api('POST', `/v1/jobs/${state.id}/team/mailbox`, { body }));
    if (ok) { $('#reassign-message').value = ''; delete $('#reassign-task').dataset.touched; }
  });

  // ---------------------------------------------------------------- routing

  return {
    // Shows job `id`, with task `taskId` selected (or none).
    show(id, taskId) {
      if (state.id !== id) {
        this.hide();
        state.id = id;
        state.lastSeq = 0;
        state.job = state.team = null;
        state.selected = null;
        state.armed = null;
        logKey = null;
        els.timeline.replaceChildren();
        els.graph.replaceChildren();
        els.log.textContent = '';
        els.comment.value = '';
        for (const sel of ['#job-id', '#job-task', '#job-phase', '#timeline-count']) $(sel).textContent = '';
        $('#job-status').textContent = 'loading';
        $('#job-status').dataset.status = '';
        $('#task-panel').hidden = true;
        $('#pending').hidden = true;
        delete $('#reassign-task').dataset.touched;
        openStream();
        refresh.now();
        state.tick = setInterval(() => {
          tickGraph?.();
          if (state.job && !TERMINAL.has(state.job.status) && selectedTask()?.status === 'running') renderTask();
        }, 1000);
      }
      if (state.selected !== (taskId ?? null)) {
        state.selected = taskId ?? null;
        state.logAttempt = null;
        els.log.textContent = '';
        delete $('#reassign-task').dataset.touched;
        logKey = null;
        if (state.team) { renderTask(); renderForms(); syncLog(); }
      }
    },
    hide() {
      closeStream();
      refresh.cancel();
      refreshLog.cancel();
      clearInterval(state.tick);
      state.tick = null;
      state.id = null;
    },
  };
}

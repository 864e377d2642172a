// omx monitor: hash routes `#/` (overview) and `#/jobs/<id>[/tasks/<taskId>]`.

import { stream } from './api.js';
import { $, refreshAges } from './dom.js';
import { createOverview } from './overview.js';
import { createJobView } from './job.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TASK_ID = /^[A-Za-z0-9._-]{1,64}$/;

// ---- messages ---------------------------------------------------------------

let noticeTimer = null;

function showError(err) {
  const box = $('#error');
  $('#error-text').textContent = err instanceof Error ? err.message : String(err);
  box.hidden = false;
}

function clearError() {
  $('#error').hidden = true;
  $('#error-text').textContent = '';
}

function showNotice(text) {
  const el = $('#notice');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { el.hidden = true; }, 3000);
}

$('#error-close').addEventListener('click', clearError);

// ---- views --------------------------------------------------------------------

const overview = createOverview({ showError });
const jobView = createJobView({ showError, showNotice, onChanged: () => overview.changed() });

function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const parts = hash.split('/').filter(Boolean).map((p) => { try { return decodeURIComponent(p); } catch { return p; } });
  const overviewView = $('#overview-view');
  const job = $('#job-view');
  if (parts[0] === 'jobs' && parts[1]) {
    const id = parts[1].toLowerCase();
    const taskId = parts[2] === 'tasks' && parts[3] ? parts[3] : null;
    if (!UUID.test(id)) { showError(`"${parts[1]}" is not a job id`); return; }
    if (taskId !== null && !TASK_ID.test(taskId)) { showError(`"${taskId}" is not a task id`); return; }
    if (jobView.current !== id) clearError();
    jobView.current = id;
    overview.hide();
    overviewView.hidden = true;
    job.hidden = false;
    document.body.dataset.view = 'job';
    document.title = `omx · job ${id.slice(0, 8)}`;
    jobView.show(id, taskId);
  } else {
    if (jobView.current) clearError();
    jobView.current = null;
    jobView.hide();
    job.hidden = true;
    overviewView.hidden = false;
    document.body.dataset.view = 'overview';
    document.title = 'omx monitor';
    overview.show();
  }
}

window.addEventListener('hashchange', route);

// ---- the live stream of every job's events -------------------------------------

function setLive(state) {
  const el = $('#live');
  el.dataset.state = state;
  el.textContent = state === 'open' ? 'live' : state === 'closed' ? 'offline' : 'connecting…';
}

setLive('connecting');
// Its ids restart with the server and it replays nothing without Last-Event-ID:
// every (re)connection refetches, then each event does.
stream('/v1/monitor/events', {
  onEvent: () => overview.changed(),
  onState: (state) => { setLive(state); if (state === 'open') overview.changed(); },
});

// Heartbeats are not events: refetch the overview now and then, and keep ages ticking.
setInterval(() => overview.changed(), 5000);
setInterval(() => refreshAges(), 1000);

route();

// The dashboard (/monitor/) in a real headless Chromium against the real omxd:
// a job submitted through the API appears, its events stream in live, an
// approval clicked in the page takes effect, server text is never HTML, the
// default team graph is drawn, and the page runs clean under its CSP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startOmxd, jobBody, waitJob, requireTool } from './omxd.mjs';

const { chromium } = requireTool('playwright-core');

const TOKEN = 'page-token-0123456789'; // the server requires it (--api-token-file)
const XSS = '<img src=x onerror=alert(1)>';
const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

let server;
let browser;
let page;
const problems = [];  // console errors, page errors, CSP violations
const dialogs = [];   // alert/confirm/prompt: the page never opens one
const requests = [];  // what the page asked the API
let allowed = [];     // console errors a test case expects (an API error it provokes)

const artifactDir = () => process.env.OMX_ARTIFACT_DIR || path.join(server.dir, 'artifacts');

before(async () => {
  // Scaled durations (leases, heartbeats, keepalives) stay comfortable on a busy machine.
  server = await startOmxd({ timeScale: 0.1, token: TOKEN });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (allowed.some((re) => re.test(text))) return;
    problems.push(`console: ${text} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('dialog', (d) => { dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/v1/')) requests.push({ url: u, type: r.resourceType(), auth: r.headers().authorization });
  });
});

after(async () => {
  try {
    if (page) await page.screenshot({ path: path.join(artifactDir(), 'dashboard-last.png'), fullPage: true }).catch(() => {});
    await browser?.close();
  } finally {
    await server?.stop();
  }
});

function assertClean(what) {
  assert.deepEqual(problems, [], `${what}: console errors, page errors or CSP violations`);
  assert.deepEqual(dialogs, [], `${what}: dialogs opened`);
}

async function createJob(task, mode = 'team', options = undefined) {
  const r = await server.request('POST', '/v1/jobs', jobBody(task, mode, options));
  assert.equal(r.status, 201, r.text);
  return r.json.jobId;
}

async function events(id) {
  const r = await server.request('GET', `/v1/jobs/${id}/events?limit=1000`, undefined, { accept: 'application/json' });
  assert.equal(r.status, 200, r.text);
  return r.json.items;
}

const open = (hash) => page.goto(`${server.base}/monitor/?access_token=${TOKEN}${hash}`);
const timelineCount = () => page.locator('#timeline > li').count();

test('/monitor/ is served with a Content-Security-Policy', async () => {
  for (const url of ['/monitor/', '/monitor/index.html']) {
    const r = await server.request('GET', url);
    assert.equal(r.status, 200, `${url}: ${r.text}`);
    assert.match(r.headers.get('content-type'), /^text\/html/);
    const csp = r.headers.get('content-security-policy');
    assert.ok(csp, `${url} has no Content-Security-Policy`);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /default-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  }
  for (const file of ['app.js', 'api.js', 'dom.js', 'graph.js', 'overview.js', 'job.js']) {
    const r = await server.request('GET', `/monitor/${file}`);
    assert.equal(r.status, 200, `${file}: ${r.text}`);
    assert.match(r.headers.get('content-type'), /^text\/javascript/, file);
    const html = /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/.exec(r.text)?.[0];
    assert.equal(html, undefined, `${file} uses ${html}`);
  }
  const css = await server.request('GET', '/monitor/app.css');
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type'), /^text\/css/);
});

let teamJob;

test('a job submitted through the API appears on the overview, live', async () => {
  await open('#/');
  await page.waitForSelector('body[data-overview-loaded="yes"]');
  await page.waitForSelector('#live[data-state="open"]');
  assert.equal(await page.locator('#counters [data-counter="total"] .counter-value').textContent(), '0');

  // Six tasks of the default team template, half a second each.
  teamJob = await createJob(JSON.stringify({ default: { sleep: 0.6 } }));
  const row = page.locator(`#jobs tr[data-job-id="${teamJob}"]`);
  await row.waitFor();
  await page.locator(`#recent-jobs tr[data-job-id="${teamJob}"]`).waitFor();
  await page.waitForFunction(() => document.querySelector('#counters [data-counter="total"] .counter-value')?.textContent === '1');
  // A running agent with its heartbeat, while the job runs.
  await page.locator(`#agents tr[data-job-id="${teamJob}"]`).first().waitFor();
  assertClean('overview');

  await row.locator('a').click();
  await page.waitForSelector(`#job-view:not([hidden])`);
  // The view shows before its GET of the job answers: the id follows.
  await page.waitForFunction((id) => document.querySelector('#job-id')?.textContent === id, teamJob);
  assert.equal(await page.locator('#job-id').textContent(), teamJob);
});

test('its events stream into the timeline while it runs', async () => {
  await page.locator('#timeline > li').first().waitFor();
  const first = await timelineCount();
  const job = (await server.request('GET', `/v1/jobs/${teamJob}`)).json;
  assert.ok(!TERMINAL.has(job.status), `the job already ended (${job.status}) before the page showed its first events`);

  await page.locator('#timeline > li[data-type="completed"]').waitFor({ timeout: 30000 });
  const last = await timelineCount();
  assert.ok(last > first, `the timeline did not grow (${first} -> ${last})`);
  const done = await waitJob(server, teamJob, (j) => TERMINAL.has(j.status), 'terminal');
  assert.equal(done.status, 'succeeded', JSON.stringify(done));

  // Every event of the log, once, in order, each with its type (named SSE events all have listeners).
  const shown = await page.$$eval('#timeline > li', (items) => items.map((li) => [Number(li.dataset.seq), li.dataset.type]));
  const logged = (await events(teamJob)).map((e) => [e.seq, e.type]);
  assert.deepEqual(shown, logged);
  await page.waitForSelector('#job-status[data-status="succeeded"]');
  await page.waitForSelector('#stream-state[data-state="ended"]');
});

test('the default team template is drawn as 6 nodes and 6 edges', async () => {
  const nodes = page.locator('#graph [data-task-id]');
  await page.waitForFunction(() => document.querySelectorAll('#graph [data-task-id][data-status="succeeded"]').length === 6);
  assert.equal(await nodes.count(), 6);
  assert.equal(await page.locator('#graph path.edge').count(), 6);
  const team = (await server.request('GET', `/v1/jobs/${teamJob}/team`)).json;
  const want = team.tasks.flatMap((t) => t.dependencies.map((d) => `${d}>${t.id}`)).sort();
  const drawn = (await page.$$eval('#graph path.edge', (es) => es.map((e) => `${e.dataset.from}>${e.dataset.to}`))).sort();
  assert.deepEqual(drawn, want);
  // Layered by depth: a task is right of every dependency.
  const x = Object.fromEntries(await page.$$eval('#graph [data-task-id]',
    (gs) => gs.map((g) => [g.dataset.taskId, g.getBoundingClientRect().x])));
  for (const t of team.tasks) for (const d of t.dependencies) assert.ok(x[d] < x[t.id], `${d} is not left of ${t.id}`);
  // Each node names its role, id, attempt and duration.
  const dev = page.locator('#graph [data-task-id="team-developer"]');
  const text = await dev.textContent();
  assert.match(text, /developer/);
  assert.match(text, /team-developer/);
  assert.match(text, /attempt 1/);
  assert.match(text, /\d\.\ds/);

  // A task's log: click the node.
  await dev.click();
  await page.waitForSelector('#task-panel[data-task-id="team-developer"]:not([hidden])');
  await page.waitForSelector('#log[data-state="loaded"]');
  assert.match(await page.locator('#log').textContent(), /developer team-developer attempt 1 done/);
  assert.match(page.url(), /#\/jobs\/[0-9a-f-]+\/tasks\/team-developer$/);

  mkdirSync(artifactDir(), { recursive: true });
  await page.screenshot({ path: path.join(artifactDir(), 'dashboard.png'), fullPage: true });
  assertClean('job view');
});

test('approving in the page starts the run', async () => {
  const id = await createJob(JSON.stringify({ default: { sleep: 0.1 } }), 'autopilot', { requireApproval: true });
  await open('#/');
  const waiting = page.locator(`#waiting [data-job-id="${id}"]`);
  await waiting.waitFor();
  assert.equal(await waiting.getAttribute('data-gate'), 'job');
  await waiting.locator('a').click();

  await page.waitForSelector('#job-status[data-status="waiting_approval"]');
  await page.waitForSelector('#pending li[data-gate="job"]');
  assert.equal(await page.locator('#resume').isDisabled(), true);
  await page.fill('#comment', 'ship it, said the page');
  await page.click('#approve');

  const job = await waitJob(server, id, (j) => TERMINAL.has(j.status), 'terminal');
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  assert.equal(job.approvalState, 'approved');
  const approval = (await events(id)).filter((e) => e.type === 'approval');
  assert.equal(approval.length, 1);
  assert.equal(approval[0].payload.comment, 'ship it, said the page');
  await page.waitForSelector('#job-status[data-status="succeeded"]');
  await page.locator('#timeline > li[data-type="approval"]').waitFor();
  assert.equal(await page.locator('#approve').isDisabled(), true);
  assert.equal(await page.locator('#comment').inputValue(), '');
  assertClean('approval');
});

let htmlJob;

test('a task text with HTML is shown literally and runs nothing', async () => {
  const id = htmlJob = await createJob(XSS, 'autopilot');
  await open('#/');
  const cell = page.locator(`#recent-jobs tr[data-job-id="${id}"] .task-text`);
  await cell.waitFor();
  assert.equal(await cell.textContent(), XSS);

  await open(`#/jobs/${id}`);
  await page.waitForFunction((text) => document.querySelector('#job-task')?.textContent === text, XSS);
  await waitJob(server, id, (j) => TERMINAL.has(j.status), 'terminal');
  await page.waitForSelector('#job-status[data-status="succeeded"]');
  await page.locator('#timeline > li[data-type="completed"]').waitFor();
  assert.equal(await page.locator('#job-task').textContent(), XSS);
  assert.equal(await page.locator('#job-task *').count(), 0);
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  assert.equal(await page.locator('img').count(), 0);
  assertClean('html task');

  // The mailbox form: a message for the leader appears; an API error is shown as text.
  await page.selectOption('#mail-kind', 'notice');
  await page.selectOption('#mail-to', 'leader');
  await page.fill('#mail-message', `note ${XSS}`);
  await page.click('#mail-send');
  const mail = page.locator('#mailbox li[data-kind="notice"] .mail-text');
  await mail.waitFor();
  assert.equal(await mail.textContent(), `note ${XSS}`);

  allowed = [/status of 400/];
  await page.fill('#mail-message', '   ');
  await page.click('#mail-send');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.locator('#error-text').textContent(), /^400 Bad Request: .*message must not be blank/);
  await page.click('#error-close');
  allowed = [];
  assert.equal(await page.locator('img').count(), 0);
  assertClean('mailbox');
});

test('reassign, cancel and resume from the page; the stream follows the reopened run', async () => {
  // The html job above has succeeded: reassign its executor, which reopens it.
  const html = htmlJob;
  assert.match(page.url(), new RegExp(`#/jobs/${html}$`));
  const before = (await events(html)).filter((e) => e.type === 'completed').length;
  await page.selectOption('#reassign-task', 'executor');
  await page.fill('#reassign-message', 'do it again, differently');
  await page.click('#reassign');
  await page.locator('#timeline > li[data-type="team.task.reassigned"]').waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('#timeline > li[data-type="completed"]').length === n, before + 1);
  const reopened = await waitJob(server, html, (j) => TERMINAL.has(j.status), 'terminal');
  assert.equal(reopened.status, 'succeeded', JSON.stringify(reopened));
  const shown = await page.$$eval('#timeline > li', (items) => items.map((li) => Number(li.dataset.seq)));
  assert.deepEqual(shown, (await events(html)).map((e) => e.seq), 'the timeline after the reopened run');

  // Cancel (two clicks: the button asks again) a running job, then resume it.
  const script = { tasks: { planner: [{ sleep: 30 }, { sleep: 0.1 }] }, default: { sleep: 0.1 } };
  const id = await createJob(JSON.stringify(script), 'autopilot');
  await open(`#/jobs/${id}`);
  await page.waitForSelector('#graph [data-task-id="planner"][data-status="running"]');
  await page.click('#cancel');
  assert.equal((await server.request('GET', `/v1/jobs/${id}`)).json.status, 'running', 'one click canceled');
  await page.click('#cancel');
  await waitJob(server, id, (j) => j.status === 'canceled', 'canceled');
  await page.waitForSelector('#job-status[data-status="canceled"]');
  await page.waitForSelector('#stream-state[data-state="ended"]');
  await page.click('#resume');
  await waitJob(server, id, (j) => j.status !== 'canceled', 'resumed');
  const resumed = await waitJob(server, id, (j) => TERMINAL.has(j.status), 'terminal');
  assert.equal(resumed.status, 'succeeded', JSON.stringify(resumed));
  await page.waitForSelector('#job-status[data-status="succeeded"]');
  await page.locator('#timeline > li[data-type="completed"]').waitFor();
  const seqs = await page.$$eval('#timeline > li', (items) => items.map((li) => Number(li.dataset.seq)));
  assert.deepEqual(seqs, (await events(id)).map((e) => e.seq), 'the timeline after resume');
  assertClean('reassign, cancel, resume');
});

test('the page passes its access token to every API request and stream', async () => {
  const fetches = requests.filter((r) => r.type !== 'eventsource');
  const streams = requests.filter((r) => r.type === 'eventsource');
  assert.ok(fetches.length > 0 && streams.length > 0, JSON.stringify(requests.map((r) => [r.type, r.url.pathname])));
  for (const r of fetches) assert.equal(r.auth, `Bearer ${TOKEN}`, `${r.url}`);
  for (const r of streams) assert.equal(r.url.searchParams.get('access_token'), TOKEN, `${r.url}`);
  assert.ok(streams.some((r) => r.url.pathname === '/v1/monitor/events'));
  assert.ok(streams.some((r) => /^\/v1\/jobs\/[0-9a-f-]+\/events$/.test(r.url.pathname)));
  assertClean('end');
});

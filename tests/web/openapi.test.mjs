// The OpenAPI document (api/web/openapi.json, served at /openapi.json) against the real server:
// it is valid OpenAPI 3.1, it documents exactly the routes `omxd routes` lists, and every
// endpoint, exercised for real (a team job run to the end by the scripted agent, gates, a fix
// round, the mailbox, cancel/resume/reject, a budget, streams, errors), answers with a status
// the document declares and a body valid against the schema declared for it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { jobBody, omxdPath, requireTool, sourceDir, startOmxd, waitJob } from './omxd.mjs';

const SwaggerParser = requireTool('@apidevtools/swagger-parser');
const Ajv2020 = requireTool('ajv/dist/2020').default;
const addFormats = requireTool('ajv-formats').default;

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const TERMINAL = ['succeeded', 'failed', 'canceled'];
const terminal = (j) => TERMINAL.includes(j.status);

const tmuxSocket = `omx-openapi-test-${process.pid}`; // the tmux view's own server, ended after the tests
let server;
let doc;
let ajv;
const validators = new Map();
const exercised = new Map(); // "GET /v1/jobs/{jobId}" -> Set of statuses seen

before(async () => {
  // A small body limit makes the 413 cheap. --header-timeout also bounds a keep-alive connection's
  // idle time; scaled by the time scale (0.01) the default 10 s would be 100 ms, and fetch reusing a
  // pooled connection the server is closing at that moment fails with "other side closed".
  server = await startOmxd({ args: ['--max-body', '16384', '--header-timeout', '1000', '--tmux-socket', tmuxSocket] });
  const res = await fetch(`${server.base}/openapi.json`);
  assert.equal(res.status, 200, 'GET /openapi.json');
  doc = await res.json();
  // strictRequired off: an if/then may require a property its own subschema does not define;
  // union types are OpenAPI 3.1's way to say nullable (`type: ["string", "null"]`).
  ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  // The whole document is one schema resource, so that the document's own "#/components/..."
  // references resolve; its OpenAPI-only top-level members are annotations to ajv.
  ajv.addVocabulary(['openapi', 'info', 'jsonSchemaDialect', 'servers', 'tags', 'paths', 'webhooks',
    'components', 'security', 'externalDocs']);
  ajv.addSchema({ ...doc, $id: 'omx-openapi' });
});

after(async () => {
  if (server) await server.stop();
  try {
    execFileSync('tmux', ['-L', tmuxSocket, 'kill-server'], { stdio: 'ignore' });
  } catch { /* no session left: its server is gone already */ }
  // tmux leaves its socket file behind.
  rmSync(path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid()}`, tmuxSocket), { force: true });
});

// ---- the document as a lookup table ---------------------------------------------------------------

const escapePointer = (s) => s.replaceAll('~', '~0').replaceAll('/', '~1');

function resolvePointer(pointer) {
  let at = doc;
  for (const part of pointer.replace(/^#\//, '').split('/'))
    at = at?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  assert.ok(at !== undefined, `the document has nothing at ${pointer}`);
  return at;
}

function validator(pointer) {
  if (!validators.has(pointer)) validators.set(pointer, ajv.compile({ $ref: `omx-openapi${pointer}` }));
  return validators.get(pointer);
}

function validate(pointer, value, what) {
  const check = validator(pointer);
  if (!check(value))
    assert.fail(`${what}: not valid against ${pointer}:\n` +
      `${check.errors.map((e) => `  ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('\n')}\n` +
      `${JSON.stringify(value).slice(0, 1500)}`);
}

// The response the document declares for (path template, method, status): its pointer and object.
// `default` does not stand in: every status a test provokes must be listed.
function declaredResponse(template, method, status) {
  const op = doc.paths[template]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${template} is not documented`);
  const base = `#/paths/${escapePointer(template)}/${method.toLowerCase()}/responses`;
  const key = String(status);
  assert.ok(op.responses[key], `${method} ${template} does not document status ${status}`);
  let pointer = `${base}/${key}`;
  let response = op.responses[key];
  if (response.$ref) {
    pointer = response.$ref;
    response = resolvePointer(pointer);
  }
  return { pointer, response };
}

const mediaType = (contentType) => (contentType ?? '').split(';')[0].trim().toLowerCase();

function fill(template, params = {}) {
  return template.replace(/\{(\w+)\}/g, (_, name) => {
    assert.ok(name in params, `no value for {${name}} of ${template}`);
    return encodeURIComponent(params[name]);
  });
}

function note(method, template, status) {
  const key = `${method} ${template}`;
  if (!exercised.has(key)) exercised.set(key, new Set());
  exercised.get(key).add(status);
}

// Why the document's request body schema of an operation rejects `body`; null when it accepts it.
function requestProblems(template, method, body) {
  const op = doc.paths[template][method.toLowerCase()];
  assert.ok(op.requestBody?.content?.['application/json'], `${method} ${template} documents no JSON body`);
  const check = validator(`#/paths/${escapePointer(template)}/${method.toLowerCase()}/requestBody/content/application~1json/schema`);
  return check(body) ? null : check.errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}

// One request against a documented operation; checks the status, the content type and the
// body against what the document declares for it. Returns {status, headers, text, json}.
// A JSON body the server accepts must be valid against the documented request schema; with
// `invalidBody` the documented schema must reject it too.
async function call(method, template, { params, query, body, rawBody, headers = {}, status, url,
  invalidBody } = {}) {
  let target = url ?? fill(template, params);
  if (query) target += `?${new URLSearchParams(query)}`;
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(10000) };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] ??= 'application/json';
  } else if (rawBody !== undefined) {
    init.body = rawBody;
  }
  const res = await fetch(server.base + target, init);
  const text = await res.text();
  const what = `${method} ${target} -> ${res.status}`;
  if (status !== undefined) {
    const expected = [status].flat();
    assert.ok(expected.includes(res.status), `${what}, expected ${expected.join(' or ')}: ${text.slice(0, 800)}`);
  }
  note(method, template, res.status);
  if (body !== undefined && res.status < 300) {
    const problems = requestProblems(template, method, body);
    assert.equal(problems, null, `${what}: the server took a body the document's request schema rejects`);
  }
  if (invalidBody)
    assert.ok(requestProblems(template, method, body), `${what}: the document's request schema accepts this body`);
  const { pointer, response } = declaredResponse(template, method, res.status);
  let json = null;
  if (!response.content) {
    assert.equal(text, '', `${what} declares no body`);
  } else {
    const type = mediaType(res.headers.get('content-type'));
    const media = type in response.content ? type : '*/*' in response.content ? '*/*' : null;
    assert.ok(media, `${what}: Content-Type ${type} is not one of ${Object.keys(response.content)}`);
    if (media === '*/*') assert.ok(type, `${what} has no Content-Type`);
    if (media === 'application/json') {
      json = JSON.parse(text);
      validate(`${pointer}/content/application~1json/schema`, json, what);
    }
  }
  return { status: res.status, headers: res.headers, text, json };
}

// An SSE stream of a documented operation. The response must be 200 text/event-stream; every
// frame's data is validated against the media type's `x-sse-data` schema as it is read.
async function openStream(template, { params, query, headers = {}, jobStream = true } = {}) {
  let target = fill(template, params);
  if (query) target += `?${new URLSearchParams(query)}`;
  const ac = new AbortController();
  const res = await fetch(server.base + target, { headers: { accept: 'text/event-stream', ...headers },
    signal: ac.signal });
  const what = `GET ${target} (stream)`;
  note('GET', template, res.status);
  assert.equal(res.status, 200, `${what}: ${res.status}`);
  const { pointer, response } = declaredResponse(template, 'GET', 200);
  assert.equal(mediaType(res.headers.get('content-type')), 'text/event-stream', what);
  assert.ok(response.content['text/event-stream'], `${what}: text/event-stream is not documented`);
  assert.equal(res.headers.get('cache-control'), 'no-cache', what);
  const dataPointer = `${pointer}/content/text~1event-stream/x-sse-data`;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  let blocks = 0;
  const stream = {
    frames: [],
    // Reads until pred(frame) holds for a frame, the server closes the stream, or the timeout.
    async collect({ until = () => false, timeoutMs = 5000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      const start = stream.frames.length;
      while (!ended && Date.now() < deadline) {
        let timer;
        const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve({ timeout: true }), deadline - Date.now()); });
        const chunk = await Promise.race([reader.read(), timeout]);
        clearTimeout(timer);
        if (chunk.timeout) break;
        if (chunk.done) { ended = true; break; }
        buffer += decoder.decode(chunk.value, { stream: true });
        let cut;
        let hit = false;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const frame = parseBlock(block);
          if (blocks++ === 0) assert.equal(frame.retry, '2000', `${what}: the stream starts with retry: 2000`);
          if (frame.data === undefined) continue; // retry line, keepalive comment
          const data = JSON.parse(frame.data);
          validate(dataPointer, data, `${what} frame ${frame.event}`);
          if (frame.event === 'end') {
            assert.equal(frame.id, undefined, `${what}: the end frame has no id`);
          } else {
            assert.equal(frame.event, data.type, `${what}: the SSE event name is the event's type`);
            if (jobStream) assert.equal(frame.id, String(data.seq), `${what}: the SSE id is the event's seq`);
          }
          const entry = { id: frame.id, event: frame.event, data };
          stream.frames.push(entry);
          if (until(entry)) hit = true;
        }
        if (hit) break;
      }
      return stream.frames.slice(start);
    },
    get ended() { return ended; },
    close() { ac.abort(); reader.cancel().catch(() => {}); },
  };
  return stream;
}

function parseBlock(block) {
  const frame = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
    else frame[field] = value;
  }
  return frame;
}

// The ErrorResponse component, for answers of no documented operation (unknown route, 405).
function validateError(json, what) {
  validate('#/components/schemas/ErrorResponse', json, what);
}

const uuid = () => crypto.randomUUID();

async function teamOf(id) {
  return (await call('GET', '/v1/jobs/{jobId}/team', { params: { jobId: id }, status: 200 })).json;
}

async function allEvents(id) {
  const items = [];
  let after = 0;
  for (;;) {
    const page = (await call('GET', '/v1/jobs/{jobId}/events', { params: { jobId: id }, query: { after, limit: 1000 },
      headers: { accept: 'application/json' }, status: 200 })).json;
    items.push(...page.items);
    if (page.items.length === 0) return items;
    after = page.next;
  }
}

// ---- the document ----------------------------------------------------------------------------------

test('the served document is valid OpenAPI 3.1, is the source file, and /docs-json serves it too', async () => {
  const served = await call('GET', '/openapi.json', { status: 200 });
  assert.equal(served.json.openapi, '3.1.0');
  await SwaggerParser.validate(structuredClone(served.json)); // validate() dereferences its argument
  const source = JSON.parse(readFileSync(path.join(sourceDir, 'api', 'web', 'openapi.json'), 'utf8'));
  assert.deepEqual(served.json, source, 'omxd serves an old api/web/openapi.json: rebuild omxd');
  const alias = await call('GET', '/docs-json', { status: 200 });
  assert.deepEqual(alias.json, served.json);
  assert.ok(doc.info.description, 'info.description');
});

test('the document lists exactly the routes of `omxd routes`, and a wrong method is a 405 with Allow', async () => {
  const output = execFileSync(omxdPath, ['routes'], { encoding: 'utf8' });
  const served = new Set();
  for (const line of output.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = /^([A-Z]+) (\/\S*)$/.exec(line);
    assert.ok(m, `omxd routes printed an unexpected line: ${line}`);
    served.add(`${m[1]} ${m[2]}`);
  }
  const documented = new Set();
  for (const [p, item] of Object.entries(doc.paths))
    for (const method of METHODS) if (item[method]) documented.add(`${method.toUpperCase()} ${p}`);
  // /v1/runs/... aliases /v1/jobs/... (info.description says so): documented through it.
  const aliasOf = (route) => route.replace(' /v1/runs', ' /v1/jobs');
  const undocumented = [...served].filter((r) => !documented.has(r) && !(r !== aliasOf(r) && documented.has(aliasOf(r))));
  const missing = [...documented].filter((r) => !served.has(r));
  assert.deepEqual(undocumented, [], 'routes omxd serves that the document does not list');
  assert.deepEqual(missing, [], 'operations the document lists that omxd does not serve');

  const sample = { jobId: uuid(), taskId: 'team-planner', action: 'cancel', taskAction: 'approve', file: 'x.js' };
  for (const [p, item] of Object.entries(doc.paths)) {
    const allowed = METHODS.filter((m) => item[m]).map((m) => m.toUpperCase());
    const params = {};
    for (const [, name] of p.matchAll(/\{(\w+)\}/g)) params[name] = sample[name] ?? 'x';
    const res = await fetch(server.base + fill(p, params), { method: 'DELETE' });
    assert.equal(res.status, 405, `DELETE ${p}`);
    const allow = (res.headers.get('allow') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    assert.deepEqual(allow.sort(), [...allowed].sort(), `Allow of ${p}`);
    validateError(await res.json(), `DELETE ${p}`);
  }
});

// ---- operations ------------------------------------------------------------------------------------

test('health, readiness, metrics, Swagger UI and the dashboard', async () => {
  assert.deepEqual((await call('GET', '/v1/healthz', { status: 200 })).json, { ok: true });
  await call('GET', '/v1/readyz', { status: 200 });
  const metrics = await call('GET', '/metrics', { status: 200 });
  assert.ok(metrics.text.trim().length > 0, '/metrics is empty');

  for (const [page, assetTemplate] of [['/docs', '/docs/{file}'], ['/monitor/', '/monitor/{file}']]) {
    const html = await call('GET', page, { status: 200 });
    const prefix = assetTemplate.replace('{file}', '');
    // The page's own static files: every src/href that resolves to <prefix><one segment>.
    const assets = new Set();
    for (const [, ref] of html.text.matchAll(/(?:src|href)\s*=\s*["']([^"'#?]+)/g)) {
      const url = new URL(ref, server.base + page);
      if (url.origin === server.base && url.pathname.startsWith(prefix) && url.pathname.length > prefix.length &&
        !url.pathname.slice(prefix.length).includes('/'))
        assets.add(decodeURIComponent(url.pathname.slice(prefix.length)));
    }
    assert.ok(assets.size > 0, `${page} references no static file under ${prefix}`);
    for (const asset of assets) {
      const r = await call('GET', assetTemplate, { params: { file: asset }, status: 200 });
      assert.ok(r.text.length > 0, `${prefix}${asset} is empty`);
    }
    await call('GET', assetTemplate, { params: { file: 'no-such-file.js' }, status: 404 });
  }
});

test('a team job runs to the end through both approval gates, a fix round, the mailbox and a reassign', async () => {
  const script = {
    record: server.record,
    tasks: {
      plan: [{ structured: { plan_summary: 'nothing', tasks: [] } }, {}], // an invalid plan, then a retry
      build: [{
        tokens: [100, 20],
        structured: {
          requiresApproval: true, reason: 'the diff is large',
          mailbox: [{ kind: 'question', to: 'verifier', message: 'check the parser' },
            { kind: 'notice', message: 'for the leader' }],
        },
      }, {}],
      verify: [{ structured: { status: 'fail', findings: ['the --verbose flag is missing'] } },
        { structured: { status: 'pass', findings: [] } }],
    },
  };
  const teamTasks = [
    { id: 'plan', name: 'Plan it', role: 'planner', maxAttempts: 2 },
    { id: 'build', name: 'Build it', role: 'developer', dependencies: ['plan'], maxAttempts: 2 },
    { id: 'ship', name: 'Ship it', role: 'executor', dependencies: ['build'], requiresApproval: true,
      timeoutSeconds: 600 },
    { id: 'verify', name: 'Verify it', role: 'verifier', dependencies: ['ship'] },
  ];
  const body = jobBody(JSON.stringify(script), 'team',
    { requireApproval: true, maxMinutes: 30, team: { teamTasks, extras: { ticket: 'OMX-1' } } });
  const key = `key-${uuid()}`;
  const created = await call('POST', '/v1/jobs', { body, headers: { 'idempotency-key': key }, status: 201 });
  const id = created.json.jobId;
  const params = { jobId: id };
  assert.equal(created.json.status, 'waiting_approval');
  assert.equal(created.headers.get('location'), `/v1/jobs/${id}`);
  const again = await call('POST', '/v1/jobs', { body, headers: { 'idempotency-key': key }, status: 201 });
  assert.equal(again.json.jobId, id, 'same Idempotency-Key, same body: the same job');
  await call('POST', '/v1/jobs', { body: { ...body, task: `${body.task} ` }, headers: { 'idempotency-key': key },
    status: 409 });

  let job = (await call('GET', '/v1/jobs/{jobId}', { params, status: 200 })).json;
  assert.equal(job.approvalState, 'required');
  const alias = (await call('GET', '/v1/jobs/{jobId}', { url: `/v1/runs/${id}`, status: 200 })).json;
  assert.equal(alias.id, id, '/v1/runs/{runId} is /v1/jobs/{jobId}');
  const list = (await call('GET', '/v1/jobs', { query: { status: 'waiting_approval', mode: 'team',
    provider: 'codex', limit: 1 }, status: 200 })).json;
  assert.equal(list.items[0].id, id);
  let overview = (await call('GET', '/v1/monitor/overview', { status: 200 })).json;
  assert.ok(overview.waitingApprovals.some((w) => w.jobId === id && w.gate === 'job'));

  const mail = await call('POST', '/v1/jobs/{jobId}/team/mailbox', { params, status: 201,
    body: { kind: 'instruction', to: ['developer', 'executor'], message: 'use tabs', payload: { style: 'tabs' } } });
  assert.equal(mail.json.from, 'leader');
  job = (await call('POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...params, action: 'approve' },
    body: { comment: 'go ahead' }, status: 200 })).json;
  assert.equal(job.approvalState, 'approved');

  // The developer asks for approval after its first attempt.
  await waitJob(server, id, (j) => j.status === 'waiting_approval', 'waiting for the after gate');
  let team = await teamOf(id);
  assert.equal(team.approvalTaskId, 'build');
  assert.equal(team.tasks.find((t) => t.id === 'build').approval.stage, 'after');
  overview = (await call('GET', '/v1/monitor/overview', { query: { limit: 5 }, status: 200 })).json;
  assert.ok(overview.waitingApprovals.some((w) => w.jobId === id && w.taskId === 'build'));
  await call('POST', '/v1/jobs/{jobId}/team/tasks/{taskId}/actions/{taskAction}',
    { params: { ...params, taskId: 'plan', taskAction: 'approve' }, status: 409 });
  await call('POST', '/v1/jobs/{jobId}/team/tasks/{taskId}/actions/{taskAction}',
    { params: { ...params, taskId: 'no-such-task', taskAction: 'approve' }, status: 404 });
  await call('POST', '/v1/jobs/{jobId}/team/tasks/{taskId}/actions/{taskAction}',
    { params: { ...params, taskId: 'build', taskAction: 'approve' }, body: { comment: 'fine' }, status: 200 });

  // `ship` needs approval before it starts, again after the fix round the failing verdict starts.
  let gates = 0;
  for (;;) {
    job = await waitJob(server, id, (j) => terminal(j) || j.status === 'waiting_approval', 'gated or done');
    if (terminal(job)) break;
    team = await teamOf(id);
    assert.ok(team.approvalTaskId, JSON.stringify(team));
    await call('POST', '/v1/jobs/{jobId}/team/tasks/{taskId}/actions/{taskAction}',
      { params: { ...params, taskId: team.approvalTaskId, taskAction: 'approve' }, status: 200 });
    assert.ok(++gates < 5, 'too many gates');
  }
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  job = (await call('GET', '/v1/jobs/{jobId}', { params, status: 200 })).json;
  assert.ok(job.output && job.finishedAt);
  team = await teamOf(id);
  assert.equal(team.fixAttempts, 1);
  const box = (await call('GET', '/v1/jobs/{jobId}/team/mailbox', { params, status: 200 })).json;
  assert.ok(box.some((m) => m.from === 'build'), 'the agent mail is in the mailbox');

  const events = await allEvents(id);
  const types = new Set(events.map((e) => e.type));
  for (const type of ['queued', 'approval_required', 'approval', 'job.status', 'started', 'workspace_ready',
    'team.task.started', 'team.task.output', 'team.task.completed', 'team.task.approval_required',
    'team.task.validation_failed',
    'team.phase_changed', 'team.retry', 'team.mailbox.received', 'team.mailbox.delivered', 'team.completed',
    'completed'])
    assert.ok(types.has(type), `no ${type} event: ${[...types]}`);
  const page = (await call('GET', '/v1/jobs/{jobId}/events', { params, query: { after: 2, limit: 3 },
    headers: { accept: 'application/json' }, status: 200 })).json;
  assert.deepEqual(page.items.map((e) => e.seq), [3, 4, 5]);
  assert.equal(page.next, 5);

  // The whole history as a stream, ended by `event: end`; the tail; a finished reconnect.
  const lastSeq = events.at(-1).seq;
  let stream = await openStream('/v1/jobs/{jobId}/events', { params });
  let frames = await stream.collect({ until: (f) => f.event === 'end' });
  stream.close();
  assert.equal(frames.length, lastSeq + 1);
  assert.deepEqual(frames.at(-1).data, { status: 'succeeded', lastSeq });
  stream = await openStream('/v1/jobs/{jobId}/events', { params, query: { tail: 2 } });
  frames = await stream.collect({ until: (f) => f.event === 'end' });
  stream.close();
  assert.deepEqual(frames.map((f) => f.event), [events.at(-2).type, events.at(-1).type, 'end']);
  await call('GET', '/v1/jobs/{jobId}/events', { params, headers: { 'last-event-id': String(lastSeq) },
    status: 204 });

  // Logs of an attempt.
  const log = await call('GET', '/v1/jobs/{jobId}/team/tasks/{taskId}/logs', { params: { ...params,
    taskId: 'build' }, status: 200 });
  assert.match(log.text, /developer build attempt/);
  await call('GET', '/v1/jobs/{jobId}/team/tasks/{taskId}/logs', { params: { ...params, taskId: 'build' },
    query: { attempt: 1 }, status: 200 });
  await call('GET', '/v1/jobs/{jobId}/team/tasks/{taskId}/logs', { params: { ...params, taskId: 'build' },
    query: { attempt: 99 }, status: 404 });
  await call('GET', '/v1/jobs/{jobId}/team/tasks/{taskId}/logs', { params: { ...params, taskId: 'build' },
    query: { attempt: 0 }, status: 400 });
  await call('GET', '/v1/jobs/{jobId}/team/tasks/{taskId}/logs', { params: { ...params, taskId: 'nope' },
    status: 404 });

  await call('POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...params, action: 'resume' }, status: 409 });

  // A reassign reopens the finished job and reruns the verifier.
  const reassign = await call('POST', '/v1/jobs/{jobId}/team/mailbox', { params, status: 201,
    body: { kind: 'reassign', taskId: 'verify', message: 'check once more' } });
  job = await waitJob(server, id, (j) => terminal(j) && j.updatedAt > job.updatedAt, 'finished again');
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  const more = await allEvents(id);
  assert.ok(more.some((e) => e.type === 'team.task.reassigned' && e.payload.messageId === reassign.json.id));
  assert.ok(more.some((e) => e.type === 'queued' && e.payload.reason === 'reopened'));
});

test('cancel, resume, reject, a plan, a spent budget, the tmux view; the live job and monitor streams', async () => {
  // A job whose planner runs until it is canceled, then plans the work when resumed.
  const plan = { plan_summary: 'One step', tasks: [{ id: 'do-it', role: 'developer', subject: 'Do it' }] };
  const script = { record: server.record, roles: { planner: [{ sleep: 30 }, { structured: plan }] } };
  const id = (await call('POST', '/v1/jobs', { body: jobBody(JSON.stringify(script)), status: 201 })).json.jobId;
  const params = { jobId: id };
  const monitor = await openStream('/v1/monitor/events', { jobStream: false });
  const live = await openStream('/v1/jobs/{jobId}/events', { params });

  const deadline = Date.now() + 10000;
  let overview;
  for (;;) {
    overview = (await call('GET', '/v1/monitor/overview', { status: 200 })).json;
    if (overview.activeAgents.some((a) => a.jobId === id && a.pid !== null)) break;
    assert.ok(Date.now() < deadline, `the planner did not start: ${JSON.stringify(overview)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(overview.activeJobs.some((j) => j.id === id));
  let team = await teamOf(id);
  assert.equal(team.currentTaskId, 'team-planner');
  const started = await live.collect({ until: (f) => f.event === 'team.task.started' });
  assert.ok(started.length > 0);

  let job = (await call('POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...params, action: 'cancel' },
    body: { comment: 'not now' }, status: 200 })).json;
  assert.equal(job.status, 'canceled');
  const rest = await live.collect({ until: (f) => f.event === 'end' });
  live.close();
  assert.deepEqual(rest.at(-1).data.status, 'canceled');
  await call('POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...params, action: 'cancel' }, status: 409 });
  job = (await call('POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...params, action: 'resume' },
    status: 200 })).json;
  assert.equal(job.status, 'queued');
  job = await waitJob(server, id, terminal, 'finished');
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  team = await teamOf(id);
  assert.deepEqual(team.plan.taskIds, ['do-it']);

  // Rejected at the job gate, resumed, canceled: no agent runs.
  const gated = (await call('POST', '/v1/jobs', { body: jobBody('{ }', 'autopilot', { requireApproval: true }),
    status: 201 })).json.jobId;
  const g = { jobId: gated };
  job = (await call('POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...g, action: 'reject' },
    body: { comment: 'no' }, status: 200 })).json;
  assert.equal(job.status, 'failed');
  assert.equal(job.error, 'Rejected by approver');
  await call('POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...g, action: 'approve' }, status: 409 });
  job = (await call('POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...g, action: 'resume' },
    status: 200 })).json;
  assert.equal(job.status, 'waiting_approval');
  job = (await call('POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...g, action: 'cancel' },
    status: 200 })).json;
  assert.equal(job.status, 'canceled');

  // A token budget of 1: the first attempt's usage spends it.
  const spent = (await call('POST', '/v1/jobs', { body: jobBody('{ }', 'autopilot', { maxTokens: 1 }),
    status: 201 })).json.jobId;
  job = await waitJob(server, spent, terminal, 'failed on its budget');
  assert.equal(job.status, 'failed', JSON.stringify(job));
  const events = await allEvents(spent);
  assert.ok(events.some((e) => e.type === 'budget_exceeded'), events.map((e) => e.type).join(' '));

  // The tmux view: a session started with the run, closed at its end.
  const viewed = (await call('POST', '/v1/jobs', { status: 201, body: jobBody('{ }', 'ralph',
    { keepTmuxSession: false, team: { tmuxVisualization: true } }) })).json.jobId;
  job = await waitJob(server, viewed, terminal, 'finished');
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  const viewEvents = (await allEvents(viewed)).map((e) => e.type);
  for (const type of ['tmux_session_started', 'tmux_session_closed'])
    assert.ok(viewEvents.includes(type), `no ${type}: ${viewEvents}`);

  const seen = await monitor.collect({ until: (f) => f.data.jobId === viewed && f.data.type === 'completed' });
  monitor.close();
  const jobs = new Set(seen.map((f) => f.data.jobId));
  for (const j of [id, gated, spent, viewed]) assert.ok(jobs.has(j), `the monitor stream missed job ${j}`);
  for (const type of ['canceled', 'failed', 'team.plan_ready', 'budget_exceeded', 'team.task.canceled'])
    assert.ok(seen.some((f) => f.data.type === type), `the monitor stream had no ${type}`);
});

test('errors: 400 validation, 403, 404, 409, 415 and unknown routes', async () => {
  const missing = { jobId: uuid() };
  for (const [method, template, extra] of [
    ['GET', '/v1/jobs/{jobId}'], ['GET', '/v1/jobs/{jobId}/team'], ['GET', '/v1/jobs/{jobId}/team/mailbox'],
    ['POST', '/v1/jobs/{jobId}/team/mailbox', { body: { kind: 'notice', message: 'hello' } }],
    ['POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...missing, action: 'cancel' } }],
    ['POST', '/v1/jobs/{jobId}/team/tasks/{taskId}/actions/{taskAction}',
      { params: { ...missing, taskId: 'x', taskAction: 'reject' } }],
    ['GET', '/v1/jobs/{jobId}/team/tasks/{taskId}/logs', { params: { ...missing, taskId: 'x' } }],
    ['GET', '/v1/jobs/{jobId}/events', { headers: { accept: 'application/json' } }],
    ['GET', '/v1/jobs/{jobId}/events'], // before any stream starts
  ])
    await call(method, template, { params: missing, ...extra, status: 404 });
  // A job id that is not a canonical UUID is simply not found.
  await call('GET', '/v1/jobs/{jobId}', { params: { jobId: missing.jobId.toUpperCase() }, status: 404 });

  const bad = await call('POST', '/v1/jobs', { status: 400, invalidBody: true, body: { provider: 'openai', mode: 'team', repo: '-x',
    ref: 'main', task: 'go', parallelTask: 2, options: { team: { parallelTasks: 9 } } } });
  assert.ok(Array.isArray(bad.json.message) && bad.json.message.length >= 4, bad.text);
  assert.ok(bad.json.message.includes("unknown field 'parallelTask'"), bad.text);
  assert.ok(bad.json.message.includes('options.team.parallelTasks must not be greater than 8'), bad.text);
  const notJson = await call('POST', '/v1/jobs', { rawBody: '{"provider":', headers: { 'content-type': 'application/json' },
    status: 400 });
  assert.equal(typeof notJson.json.message, 'string');
  await call('POST', '/v1/jobs', { rawBody: JSON.stringify(jobBody('a task')), headers: { 'content-type': 'text/plain' },
    status: 415 });
  await call('POST', '/v1/jobs', { body: jobBody('x'.repeat(32 * 1024)), status: 413 });
  await call('POST', '/v1/jobs', { body: jobBody('a task', 'team', { agentCommands: { developer: 'echo hi' } }),
    status: 403 });
  await call('POST', '/v1/jobs', { body: { ...jobBody('a task'), repo: '/srv/repo' }, status: 403 });
  await call('POST', '/v1/jobs', { body: jobBody('a task'), headers: { origin: 'http://evil.example' }, status: 403 });
  await call('POST', '/v1/jobs', { body: jobBody('a task'), headers: { 'idempotency-key': 'k'.repeat(129) },
    status: 400 });

  for (const query of [{ limit: 0 }, { limit: 501 }, { status: 'done' }, { mode: 'solo' }, { provider: 'x' },
    { cursor: 'not-a-cursor' }, { bogus: 1 }])
    await call('GET', '/v1/jobs', { query, status: 400 });
  await call('GET', '/v1/jobs', { url: '/v1/jobs?limit=%zz', status: 400 }); // malformed query string
  await call('GET', '/v1/monitor/overview', { query: { limit: 2001 }, status: 400 });
  await call('GET', '/v1/monitor/events', { query: { lastEventId: 'x' }, status: 400 });

  // Errors on an existing job: a job gate keeps it from running anything.
  const id = (await call('POST', '/v1/jobs', { body: jobBody('{ }', 'autopilot', { requireApproval: true }),
    status: 201 })).json.jobId;
  const params = { jobId: id };
  await call('GET', '/v1/jobs/{jobId}/events', { params, query: { limit: 0 }, headers: { accept: 'application/json' },
    status: 400 });
  await call('GET', '/v1/jobs/{jobId}/events', { params, query: { tail: 'x' }, status: 400 });
  const invalid = await call('POST', '/v1/jobs/{jobId}/team/mailbox', { params, status: 400, invalidBody: true,
    body: { kind: 'gossip', message: '   ', to: 'nobody', extra: 1 } });
  assert.ok(invalid.json.message.length >= 3, invalid.text);
  await call('POST', '/v1/jobs/{jobId}/team/mailbox', { params, status: 415, rawBody: '{}',
    headers: { 'content-type': 'text/plain' } });
  await call('POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...params, action: 'approve' },
    body: { comment: 5, note: 'x' }, status: 400, invalidBody: true });
  await call('POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...params, action: 'approve' },
    rawBody: 'yes', headers: { 'content-type': 'text/plain' }, status: 415 });
  await call('POST', '/v1/jobs/{jobId}/team/tasks/{taskId}/actions/{taskAction}',
    { params: { ...params, taskId: 'x', taskAction: 'approve' }, body: [], status: 400, invalidBody: true });
  await call('POST', '/v1/jobs/{jobId}/team/tasks/{taskId}/actions/{taskAction}',
    { params: { ...params, taskId: 'planner', taskAction: 'reject' }, status: 409 });
  await call('GET', '/v1/jobs/{jobId}/team/tasks/{taskId}/logs', { params: { ...params, taskId: 'x' },
    query: { bogus: 1 }, status: 400 });
  await call('POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...params, action: 'resume' }, status: 409 });
  await call('POST', '/v1/jobs/{jobId}/actions/{action}', { params: { ...params, action: 'cancel' }, status: 200 });

  // No operation: an unknown route, and an action that is not one.
  for (const url of ['/v1/nope', `/v1/jobs/${id}/actions/pause`, '/v1/jobs/']) {
    const res = await fetch(server.base + url);
    assert.equal(res.status, 404, url);
    validateError(await res.json(), url);
  }
});

test('every documented operation was exercised with a success status', () => {
  const missed = [];
  for (const [p, item] of Object.entries(doc.paths))
    for (const method of METHODS) {
      if (!item[method]) continue;
      const statuses = exercised.get(`${method.toUpperCase()} ${p}`) ?? new Set();
      if (![...statuses].some((s) => s >= 200 && s < 300)) missed.push(`${method.toUpperCase()} ${p}`);
    }
  assert.deepEqual(missed, []);
});

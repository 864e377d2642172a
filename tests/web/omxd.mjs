// Starts the real omxd for a web test (node --test) and stops it afterwards.
// OMXD_PATH and OMX_SOURCE_DIR come from ctest (tests/CMakeLists.txt).
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const sourceDir = process.env.OMX_SOURCE_DIR;
export const omxdPath = process.env.OMXD_PATH;
if (!sourceDir || !omxdPath) throw new Error('OMX_SOURCE_DIR and OMXD_PATH must be set (run through ctest)');

// The npm packages tools/install-web-tools.sh put into .tools/.
export const requireTool = createRequire(path.join(sourceDir, '.tools', 'node_modules', 'noop.js'));
export const scriptedAgent = path.join(sourceDir, 'tests', 'agents', 'scripted_agent.py');

// omxd --role all on a fresh state dir, every role's CLI the scripted agent,
// no clone, durations scaled by timeScale. With `token`, the server requires it
// (--api-token-file) and request() sends it. Resolves once it listens.
export async function startOmxd({ args = [], env = {}, timeScale = 0.01, token = undefined } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'omx-web-'));
  const record = path.join(dir, 'record');
  mkdirSync(record);
  const tokenArgs = [];
  if (token) {
    writeFileSync(path.join(dir, 'api-tokens'), `${token}\n`);
    tokenArgs.push('--api-token-file', path.join(dir, 'api-tokens'));
  }
  const argv = ['serve', '--listen', '127.0.0.1:0', '--state-dir', path.join(dir, 'state'),
    '--work-root', path.join(dir, 'runs'), '--role', 'all', '--skip-clone', '--fsync', 'off',
    '--time-scale', String(timeScale), ...tokenArgs, ...args];
  const child = spawn(omxdPath, argv, {
    env: { ...process.env, JOB_CLI_BIN: scriptedAgent, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`omxd did not listen within 20 s:\n${log}`)), 20000);
    const onData = (chunk) => {
      log += chunk;
      const m = /listening on http:\/\/[^:\s]+:(\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`omxd exited (${code ?? signal}):\n${log}`)); });
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    base, dir, record, child,
    log: () => log,
    // fetch relative to the server; JSON bodies are sent as application/json.
    async request(method, url, body, headers = {}) {
      const init = { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers['content-type'] = 'application/json';
      }
      const res = await fetch(base + url, init);
      const text = await res.text();
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: res.status, headers: res.headers, text, json };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// A job body as in the C++ integration tests (api_helpers.hpp: job_body).
export function jobBody(task, mode = 'team', options = undefined) {
  const body = { provider: 'codex', mode, repo: 'acme/widget', ref: 'main', task };
  if (options) body.options = options;
  return body;
}

// Polls GET /v1/jobs/{id} until pred(job) holds.
export async function waitJob(server, id, pred, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let job;
  while (Date.now() < deadline) {
    job = (await server.request('GET', `/v1/jobs/${id}`)).json;
    if (job && pred(job)) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} did not become ${what} within ${timeoutMs} ms: ${JSON.stringify(job)}`);
}

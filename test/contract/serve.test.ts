// `serve` end to end: a real server on a temp journal, the contract over a
// WebSocket, the token/Host/Origin checks, static files, and the command.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import WebSocket from 'ws';
import { Lab, startServer, type EventMessage, type ResponseMessage, type RunningServer } from '../../service/index.ts';
import { registerServe } from '../../cli/commands/serve.ts';
import { cliBin } from './cli-run.ts';

const TINY = ['durationMs=20', 'warmupMs=2'];
const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-serve-'));
// The served folder sits next to a file a traversal would reach.
const staticDir = join(dir, 'dist');
const SECRET = 'c0ffee-not-for-the-browser';
mkdirSync(join(staticDir, 'assets'), { recursive: true });
writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>lab</title><script type="module" src="/assets/app.js"></script>');
writeFileSync(join(staticDir, 'assets', 'app.js'), 'export const app = 1;');
writeFileSync(join(dir, 'package.json'), JSON.stringify({ secret: SECRET }));

let lab: Lab;
let server: RunningServer;
const openSockets = new Set<WebSocket>();

before(async () => {
  lab = Lab.open({ journalPath: join(dir, 'journal.db'), workers: 1, validateResults: true });
  server = await startServer({ lab, port: 0, staticDir });
});

after(async () => {
  for (const ws of openSockets) ws.terminate();
  await server?.close();
  await lab?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Client {
  call(method: string, params?: unknown): Promise<ResponseMessage>;
  sendRaw(data: string): void;
  nextResponse(): Promise<ResponseMessage>;
  events: EventMessage[];
  /** Resolves when an event matching `pred` has arrived (including ones already received). */
  waitForEvent(pred: (e: EventMessage) => boolean): Promise<EventMessage>;
}

function connect(url: string): Promise<Client> {
  const ws = new WebSocket(url);
  openSockets.add(ws);
  ws.on('close', () => openSockets.delete(ws));
  const pending = new Map<number, (r: ResponseMessage) => void>();
  const unmatched: ResponseMessage[] = [];
  const unmatchedWaiters: ((r: ResponseMessage) => void)[] = [];
  const events: EventMessage[] = [];
  const eventWaiters: { pred: (e: EventMessage) => boolean; resolve: (e: EventMessage) => void }[] = [];
  let nextId = 1;
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as ResponseMessage | EventMessage;
    if (msg.type === 'event') {
      events.push(msg);
      for (const w of [...eventWaiters]) {
        if (w.pred(msg)) {
          eventWaiters.splice(eventWaiters.indexOf(w), 1);
          w.resolve(msg);
        }
      }
      return;
    }
    const waiter = pending.get(msg.id);
    if (waiter) {
      pending.delete(msg.id);
      waiter(msg);
    } else {
      const w = unmatchedWaiters.shift();
      if (w) w(msg);
      else unmatched.push(msg);
    }
  });
  const client: Client = {
    call: (method, params = {}) =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        ws.send(JSON.stringify({ type: 'request', id, method, params }));
      }),
    sendRaw: (data) => ws.send(data),
    nextResponse: () => {
      const ready = unmatched.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => unmatchedWaiters.push(resolve));
    },
    events,
    waitForEvent: (pred) => {
      const seen = events.find(pred);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => eventWaiters.push({ pred, resolve }));
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
  });
}

const apiUrl = (s: RunningServer, token = s.token) => `ws://127.0.0.1:${s.port}/api?token=${encodeURIComponent(token)}`;

/** Status code the server answers a WebSocket upgrade with (101 = accepted). */
function upgradeStatus(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (err) => {
      // 'unexpected-response' has already answered; anything else is a real failure.
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

/** A raw HTTP request: no URL normalisation, any Host or Origin header. */
function rawRequest(path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function assertError(r: ResponseMessage, code: string): { code: string; message: string; fields?: { path: string; message: string }[] } {
  assert.ok('error' in r, `expected an error response, got ${JSON.stringify(r)}`);
  assert.equal(r.error.code, code, r.error.message);
  return r.error;
}

describe('contract over WebSocket', () => {
  test('presets.list and scenario.preview answer with the service results', async () => {
    const c = await connect(apiUrl(server));
    const presets = await c.call('presets.list');
    assert.ok('result' in presets);
    const names = (presets.result as { name: string }[]).map((p) => p.name);
    assert.deepEqual(names, (await lab.call('presets.list', {})).map((p) => p.name));
    assert.ok(names.includes('seed-after-fix'));

    const preview = await c.call('scenario.preview', { source: { preset: 'seed-after-fix' } });
    assert.ok('result' in preview);
    const p = preview.result as { ok: boolean; policy: { effective: string } };
    assert.equal(p.ok, true);
    assert.ok(['strict', 'lazy'].includes(p.policy.effective));
  });

  test('invalid params come back as `invalid` with the fields; an unknown method too', async () => {
    const c = await connect(apiUrl(server));
    const bad = assertError(await c.call('runs.start', { source: { preset: 'seed-after-fix' }, seeds: 0 }), 'invalid');
    assert.ok(bad.fields?.some((f) => f.path === 'seeds'), JSON.stringify(bad.fields));

    const unknown = assertError(await c.call('runs.frobnicate'), 'invalid');
    assert.equal(unknown.fields?.[0]?.path, 'method');
    assert.match(unknown.message, /runs\.list/, 'names the allowed methods');

    const missing = assertError(await c.call('runs.get', { id: 'deadbeef' }), 'not_found');
    assert.match(missing.message, /deadbeef/);
  });

  test('a malformed message gets an `invalid` answer naming the field, and the connection stays usable', async () => {
    const c = await connect(apiUrl(server));
    c.sendRaw('{not json');
    const notJson = await c.nextResponse();
    assert.equal(notJson.id, 0);
    assertError(notJson, 'invalid');

    c.sendRaw(JSON.stringify({ type: 'request', id: 'seven', method: 'presets.list' }));
    const badId = await c.nextResponse();
    assert.equal(badId.id, 0);
    assert.equal(assertError(badId, 'invalid').fields?.[0]?.path, 'id');

    c.sendRaw(JSON.stringify({ type: 'request', id: 41, method: 5 }));
    const badMethod = await c.nextResponse();
    assert.equal(badMethod.id, 41);
    assert.equal(assertError(badMethod, 'invalid').fields?.[0]?.path, 'method');

    c.sendRaw(JSON.stringify({ type: 'reply', id: 42, method: 'presets.list' }));
    const badType = await c.nextResponse();
    assert.equal(badType.id, 42);
    assert.equal(assertError(badType, 'invalid').fields?.[0]?.path, 'type');

    const still = await c.call('journal.info');
    assert.ok('result' in still);
  });

  test('runs.start: run.status events arrive over the socket up to done', async () => {
    const c = await connect(apiUrl(server));
    const started = await c.call('runs.start', { source: { preset: 'seed-after-fix', overrides: TINY } });
    assert.ok('result' in started, JSON.stringify(started));
    const [runId] = (started.result as { runIds: string[] }).runIds;
    assert.ok(runId);
    const isMine = (status: string) => (e: EventMessage) => e.event === 'run.status' && (e.data as { runId: string; status: string }).runId === runId && (e.data as { status: string }).status === status;
    await c.waitForEvent(isMine('done'));
    const statuses = c.events
      .filter((e) => e.event === 'run.status' && (e.data as { runId: string }).runId === runId)
      .map((e) => (e.data as { status: string }).status);
    assert.deepEqual(statuses, ['queued', 'running', 'done']);
    const got = await c.call('runs.get', { id: runId, series: false });
    assert.ok('result' in got);
    assert.equal((got.result as { status: string }).status, 'done');
  });
});

describe('access control', () => {
  test('the WebSocket upgrade needs the token, our Host and our Origin', async () => {
    const host = `127.0.0.1:${server.port}`;
    assert.equal(await upgradeStatus(apiUrl(server)), 101);
    assert.equal(await upgradeStatus(apiUrl(server), { origin: `http://localhost:${server.port}` }), 101);
    assert.equal(await upgradeStatus(`ws://${host}/api`), 401, 'no token');
    assert.equal(await upgradeStatus(apiUrl(server, `${server.token.slice(0, -1)}x`)), 401, 'wrong token');
    assert.equal(await upgradeStatus(apiUrl(server, '')), 401, 'empty token');
    assert.equal(await upgradeStatus(apiUrl(server), { origin: 'http://evil.example' }), 403, 'foreign origin');
    assert.equal(await upgradeStatus(apiUrl(server), { headers: { Host: `evil.example:${server.port}` } }), 421, 'foreign host (DNS rebinding)');
    assert.equal(await upgradeStatus(`ws://${host}/elsewhere?token=${server.token}`), 404, 'only /api upgrades');
  });

  test('health needs the token; foreign Host and foreign-origin writes are refused', async () => {
    const ok = await fetch(`${server.url}api/health?token=${server.token}`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { ok: true });
    assert.equal((await fetch(`${server.url}api/health`)).status, 401);
    assert.equal((await fetch(`${server.url}api/health?token=nope`)).status, 401);
    assert.equal((await fetch(`http://localhost:${server.port}/api/health?token=${server.token}`)).status, 200, 'localhost is our name too');

    const rebound = await rawRequest(`/api/health?token=${server.token}`, { headers: { Host: `evil.example:${server.port}` } });
    assert.equal(rebound.status, 421);
    const rebound2 = await rawRequest('/', { headers: { Host: 'evil.example' } });
    assert.equal(rebound2.status, 421, 'static files too');
    const crossSite = await rawRequest('/', { method: 'POST', headers: { Origin: 'http://evil.example' } });
    assert.equal(crossSite.status, 403);
    const sameSitePost = await rawRequest('/', { method: 'POST', headers: { Origin: `http://127.0.0.1:${server.port}` } });
    assert.equal(sameSitePost.status, 405, 'our own origin passes the check but only GET is served');
  });
});

describe('static files', () => {
  test('index.html at / with the CSP, no-store and nosniff; assets with their content type', async () => {
    const index = await fetch(server.url);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-store');
    assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
    const csp = index.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${server.port} ws://localhost:${server.port}`));
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-eval/);
    assert.equal(await index.text(), readFileSync(join(staticDir, 'index.html'), 'utf8'));

    const js = await fetch(`${server.url}assets/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
    assert.equal((await fetch(`${server.url}assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${server.url}assets`)).status, 404, 'folders are not listed');
  });

  test('path traversal is refused, encoded or not', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/assets/../../package.json', '/%2e%2e%5cpackage.json', '/%00']) {
      const r = await rawRequest(path);
      assert.ok([400, 403, 404].includes(r.status), `${path}: ${r.status}`);
      assert.ok(!r.body.includes(SECRET), `${path} leaked a file outside the served folder`);
    }
  });

  test('without a built UI, / explains how to build it and the API still answers', async () => {
    const emptyDir = mkdtempSync(join(dir, 'empty-'));
    const bare = await startServer({ lab, port: 0, staticDir: emptyDir });
    try {
      const page = await fetch(bare.url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /npm run build/);
      assert.equal((await fetch(`${bare.url}api/health?token=${bare.token}`)).status, 200);
      assert.notEqual(bare.token, server.token, 'each server gets its own random token');
      assert.match(bare.token, /^[A-Za-z0-9_-]{43}$/, '32 bytes, base64url');
    } finally {
      await bare.close();
    }
  });
});

describe('the serve command', () => {
  const LISTENING = /^Listening on http:\/\/127\.0\.0\.1:(\d+)\/\?token=(\S+)$/;

  test('in process: prints the URL first, serves, and returns once stopped', async () => {
    const lines: string[] = [];
    let firstLine!: (line: string) => void;
    const gotFirst = new Promise<string>((resolve) => (firstLine = resolve));
    const io = {
      out: (s: string) => {
        lines.push(s);
        if (lines.length === 1) firstLine(s);
      },
      err: () => {},
    };
    const program = new Command().exitOverride();
    registerServe(program, io);
    const listenersBefore = process.listeners('SIGTERM');
    const running = program.parseAsync(['serve', '--port', '0', '--journal', join(dir, 'cmd.db')], { from: 'user' });
    const match = LISTENING.exec(await gotFirst);
    assert.ok(match, lines[0]);
    const health = await fetch(`http://127.0.0.1:${match[1]}/api/health?token=${match[2]}`);
    assert.equal(health.status, 200);
    // Call only the listener the command added: emitting the signal would also reach the test runner's own handlers.
    const added = process.listeners('SIGTERM').filter((l) => !listenersBefore.includes(l));
    assert.equal(added.length, 1, 'serve listens for SIGTERM');
    for (const listener of added) (listener as (signal: NodeJS.Signals) => void)('SIGTERM');
    await running;
    await assert.rejects(fetch(`http://127.0.0.1:${match[1]}/api/health?token=${match[2]}`), 'the server is closed');
  });

  test('as a process: first stdout line is the URL, and SIGTERM ends it cleanly', async (t) => {
    const mainSource = readFileSync(new URL('../../cli/main.ts', import.meta.url), 'utf8');
    if (!/registerServe\(/.test(mainSource)) {
      t.skip('cli/main.ts does not register the serve command yet');
      return;
    }
    const child = spawn(process.execPath, [cliBin, 'serve', '--port', '0', '--journal', join(dir, 'spawned.db')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Never hang the suite on a server that does not stop.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`serve exited (${code}) before printing: ${stderr}`)));
      });
      const match = LISTENING.exec(first);
      assert.ok(match, first);
      const health = await fetch(`http://127.0.0.1:${match[1]}/api/health?token=${match[2]}`);
      assert.equal(health.status, 200);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    } finally {
      clearTimeout(guard);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

// The desktop bundle without Electron: electron/build.mjs bundles the shell,
// and the bundled service host (with its bundled worker) serves the contract
// over a port under plain Node, then shuts down cleanly on request.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-bundle-'));
// Inside the project (out/ is ignored): the bundle resolves its external better-sqlite3 from node_modules.
mkdirSync(join(root, 'out'), { recursive: true });
const outdir = mkdtempSync(join(root, 'out', 'bundle-test-'));

after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outdir, { recursive: true, force: true });
});

test('build.mjs writes the four bundles; the preload is one CommonJS file requiring only electron', () => {
  const r = spawnSync(process.execPath, [join(root, 'electron/build.mjs'), '--outdir', outdir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const f of ['main.js', 'preload.cjs', 'service-host.js', 'workers/jobs.worker.js']) assert.ok(existsSync(join(outdir, f)), f);
  const preload = readFileSync(join(outdir, 'preload.cjs'), 'utf8');
  const required = [...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(required)], ['electron']);
  // The scheduler's default (the .ts source) does not exist beside the bundle: the host passes the bundled worker.
  assert.match(readFileSync(join(outdir, 'service-host.js'), 'utf8'), /new URL\("\.\/workers\/jobs\.worker\.js", import\.meta\.url\)/);
});

test('the bundled service host answers calls, runs a simulation in the bundled worker, and exits on shutdown', { timeout: 120_000 }, async () => {
  assert.ok(existsSync(join(outdir, 'service-host.js')), 'built by the previous test');
  const child = spawn(process.execPath, [join(root, 'test/fixtures/service-host-under-node.mjs'), join(outdir, 'service-host.js')], {
    env: { ...process.env, IOMMU_LAB_JOURNAL: join(dir, 'journal.db') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const send = (to: 'port' | 'parent', message: unknown) => child.stdin.write(`${JSON.stringify({ to, message })}\n`);
  const lines = createInterface({ input: child.stdout });
  const seen: { from: string; message: { type: string; id?: number; event?: string; data?: { runId?: string; status?: string }; result?: unknown; error?: { code: string } } }[] = [];
  const waiters: { pred: (m: (typeof seen)[number]) => boolean; resolve: (m: (typeof seen)[number]) => void; fail: (e: Error) => void }[] = [];
  lines.on('line', (line) => {
    const m = JSON.parse(line) as (typeof seen)[number];
    seen.push(m);
    for (const w of [...waiters]) {
      if (!w.pred(m)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
    for (const w of waiters.splice(0)) w.fail(new Error(`the service host exited (${code}): ${stderr}`));
  });
  const waitFor = (pred: (m: (typeof seen)[number]) => boolean) => {
    const already = seen.find(pred);
    if (already) return Promise.resolve(already);
    if (exitCode !== undefined) return Promise.reject(new Error(`the service host exited (${exitCode}): ${stderr}`));
    return new Promise<(typeof seen)[number]>((resolve, fail) => waiters.push({ pred, resolve, fail }));
  };

  try {
    const ready = await waitFor((m) => m.from === 'host');
    assert.equal(ready.message.type, 'ready', stderr);

    send('port', { type: 'request', id: 1, method: 'journal.info', params: {} });
    const info = await waitFor((m) => m.message.type === 'response' && m.message.id === 1);
    assert.equal((info.message.result as { path: string }).path, join(dir, 'journal.db'));

    send('port', { type: 'request', id: 2, method: 'runs.start', params: { source: { preset: 'seed-after-fix', overrides: ['durationMs=20', 'warmupMs=2'] } } });
    const started = await waitFor((m) => m.message.type === 'response' && m.message.id === 2);
    const [runId] = (started.message.result as { runIds: string[] }).runIds;
    const ended = await waitFor((m) => m.message.type === 'event' && m.message.data?.runId === runId && ['done', 'failed'].includes(m.message.data?.status ?? ''));
    assert.equal(ended.message.data?.status, 'done', JSON.stringify(seen.filter((m) => m.message.type === 'event').at(-1)));

    send('port', 'not json');
    const bad = await waitFor((m) => m.message.type === 'response' && m.message.id === 0);
    assert.equal(bad.message.error?.code, 'invalid');

    // A page's port (attached without namesFiles) names no files: backups and merges go through main's dialogs.
    send('port', { type: 'request', id: 3, method: 'journal.backup', params: { path: join(dir, 'from-the-page.sqlite') } });
    const refused = (await waitFor((m) => m.message.type === 'response' && m.message.id === 3)).message as { error?: { code: string; fields?: { path: string; message: string }[] } };
    assert.equal(refused.error?.code, 'invalid');
    assert.equal(refused.error?.fields?.[0]?.path, 'path');
    assert.match(refused.error?.fields?.[0]?.message ?? '', /file access through the API is off.*File menu/);
    assert.equal(existsSync(join(dir, 'from-the-page.sqlite')), false);

    send('parent', { type: 'shutdown' });
    assert.equal(await exited, 0, stderr);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

// Another process holding the journal's write lock (a long merge, a backup,
// another lab) while runs finish: the service and the compiled command wait
// for it asynchronously, keep every result, and never crash.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openJournal } from '../../db/index.ts';
import WebSocket from 'ws';
import { Lab, LabClient, webSocketTransport } from '../../service/index.ts';
import type { EventData } from '../../service/protocol/events.ts';
import { cleanupTempDirs, tempDir } from '../fixtures/journal-helpers.ts';
import { cliBin, runCli } from './cli-run.ts';

after(cleanupTempDirs);

const lockHolder = fileURLToPath(new URL('../fixtures/lock-holder.mjs', import.meta.url));
const LOCK_MS = 3000;
const QUICK = ['durationMs=30', 'warmupMs=3'];

interface Holder {
  child: ChildProcess;
  released: Promise<void>;
  /** Whether the holder has not yet said it lets go (it may be late to say so, never early). */
  isHolding: () => boolean;
  /** When it let go (epoch ms), once released. */
  releasedAtMs: () => Promise<number>;
}

/** Starts a process holding BEGIN IMMEDIATE on `path` for `ms`; resolves once it holds the lock. */
async function holdLock(path: string, ms: number): Promise<Holder> {
  const child = spawn(process.execPath, [lockHolder, path, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let onLocked: () => void = () => {};
  let onReleased: () => void = () => {};
  const locked = new Promise<void>((resolve) => (onLocked = resolve));
  const released = new Promise<void>((resolve) => (onReleased = resolve));
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('locked\n')) onLocked();
    if (out.includes('released\n')) onReleased();
  });
  child.once('exit', (code) => {
    onLocked();
    onReleased();
    if (code !== 0) assert.fail(`the lock holder exited with ${code}`);
  });
  await locked;
  const releasedAtMs = async (): Promise<number> => {
    await released;
    return Number(/releasing at (\d+)/.exec(out)?.[1]);
  };
  return { child, released, isHolding: () => !out.includes('releasing'), releasedAtMs };
}

function newJournal(): string {
  const path = join(tempDir(), 'journal.sqlite');
  openJournal(path).close(); // created and migrated before the holder locks it
  return path;
}

test('the service in process: under a held lock reads answer, writes wait without freezing the loop, every run ends done', async () => {
  const path = newJournal();
  const lab = Lab.open({ journalPath: path, workers: 2, validateResults: true });
  try {
    const holder = await holdLock(path, LOCK_MS);
    // The longest stall of the event loop while the lock is held: SQLite's own busy wait used to take 5 s.
    let longestStallMs = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestStallMs = Math.max(longestStallMs, now - last);
      last = now;
    }, 10);
    try {
      // A read answers at once while the lock is held.
      assert.equal((await lab.call('runs.list', {})).total, 0);
      assert.ok(holder.isHolding(), 'the read did not wait for the lock');
      // Writes wait for it (asynchronously) and then go through.
      const { runIds } = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: QUICK }, seeds: 4, tags: ['under-lock'] });
      const queuedAtMs = Date.now();
      assert.ok(queuedAtMs >= (await holder.releasedAtMs()), 'the runs were queued once the lock was released');
      const ended = await lab.call('runs.wait', { ids: runIds });
      assert.deepEqual(ended.map((r) => r.status), ['done', 'done', 'done', 'done']);
      assert.deepEqual((await lab.call('runs.tag', { id: runIds[0] as string, add: ['after'] })).tags.sort(), ['after', 'under-lock']);
    } finally {
      clearInterval(ticker);
    }
    assert.ok(longestStallMs < 1500, `the event loop stalled ${longestStallMs.toFixed(0)} ms at most (SQLite's busy wait would have taken ${LOCK_MS} ms)`);
    const journal = openJournal(path, { readonly: true });
    try {
      const done = journal.runs.listRuns({ filter: { tags: ['under-lock'], status: ['done'] }, metrics: ['throughputGbps'] });
      assert.equal(done.total, 4, 'every result was journaled');
      assert.ok(done.rows.every((r) => r.metrics.throughputGbps !== undefined));
    } finally {
      journal.close();
    }
  } finally {
    await lab.close();
  }
});

test('runs that finish while another process holds the lock wait for it, are told about, and are written', async () => {
  const path = newJournal();
  const lab = Lab.open({ journalPath: path, workers: 2, validateResults: true });
  const busy: EventData<'journal.busy'>[] = [];
  lab.on('journal.busy', (e) => busy.push(e));
  try {
    // Queue first (the journal is free), then lock once one is running: the runs end while the lock is held.
    const firstRunning = new Promise<void>((resolve) => lab.on('run.status', (e) => e.status === 'running' && resolve()));
    const { runIds } = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: ['durationMs=1000', 'warmupMs=3'] }, seeds: 3 });
    await firstRunning;
    const holder = await holdLock(path, 4000);
    const ended = await lab.call('runs.wait', { ids: runIds });
    const endedAtMs = Date.now();
    assert.ok(endedAtMs >= (await holder.releasedAtMs()), 'the endings waited for the lock');
    assert.deepEqual(ended.map((r) => r.status), ['done', 'done', 'done']);
    assert.ok(busy.some((e) => e.busy && e.pendingWrites > 0 && e.path === path), `told that the journal was busy: ${JSON.stringify(busy)}`);
    // Linux names the process holding the lock (from /proc/locks).
    if (process.platform === 'linux') assert.equal(busy.find((e) => e.busy)?.holderPid, holder.child.pid);
    assert.equal(busy.at(-1)?.busy, false, 'and told when it was free again');
  } finally {
    await lab.close();
  }
});

test('the compiled command: a sweep under a held lock exits 0 with every run done, and says the journal was busy', async () => {
  const path = newJournal();
  const dir = tempDir();
  const spec = join(dir, 'spec.json');
  writeFileSync(spec, JSON.stringify({ name: 'under lock', base: { preset: 'seed-after-fix', overrides: QUICK }, grid: { policy: ['strict', 'lazy'] }, seeds: 3 }));
  const holder = await holdLock(path, LOCK_MS);
  const r = await runCli(['sweep', spec, '--json', '--journal', path]);
  await holder.released;
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { total: number; runs: { status: string }[] };
  assert.equal(out.total, 6);
  assert.deepEqual(out.runs.map((x) => x.status), Array(6).fill('done'));
  assert.doesNotMatch(r.err, /SqliteError|database is locked|\n\s+at /);
  assert.match(r.err, /journal busy: another process.* is writing .*journal\.sqlite/);
  if (process.platform === 'linux') assert.ok(r.err.includes(`another process (pid ${holder.child.pid}) is writing`), r.err);
  assert.match(r.err, /journal free again after \d+\.\d s/);
  const journal = openJournal(path, { readonly: true });
  try {
    assert.equal(journal.runs.listRuns({ filter: { status: ['done'] } }).total, 6);
  } finally {
    journal.close();
  }
});

test('the compiled serve: under a held lock a client still lists, its runs all end done, and serve stays up', async () => {
  const path = newJournal();
  const serve = spawn(process.execPath, [cliBin, 'serve', '--port', '0', '--journal', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  serve.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => serve.on('close', resolve));
  try {
    const url = await new Promise<URL>((resolve, reject) => {
      let out = '';
      serve.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Listening on (\S+)/.exec(out);
        if (m?.[1]) resolve(new URL(m[1]));
      });
      serve.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    const client = new LabClient(webSocketTransport(`ws://127.0.0.1:${url.port}/api?token=${encodeURIComponent(url.searchParams.get('token') ?? '')}`, { WebSocketImpl: WebSocket, reconnect: false }));
    try {
      const { runIds } = await client.call('runs.start', { source: { preset: 'seed-after-fix', overrides: ['durationMs=1000', 'warmupMs=3'] }, seeds: 2 });
      const holder = await holdLock(path, LOCK_MS);
      assert.equal((await client.call('runs.list', {})).total, 2);
      assert.ok(holder.isHolding(), 'the list did not wait for the lock');
      const ended = await client.call('runs.wait', { ids: runIds });
      assert.deepEqual(ended.map((r) => r.status), ['done', 'done']);
      const tagged = await client.call('runs.tag', { id: runIds[0] as string, add: ['after-lock'] });
      assert.deepEqual(tagged.tags, ['after-lock']);
      await holder.released;
    } finally {
      client.close();
    }
    assert.equal(serve.exitCode, null, 'serve is still running');
    serve.kill('SIGTERM');
    assert.equal(await exited, 0, err);
    assert.doesNotMatch(err, /SqliteError|database is locked|\n\s+at /);
  } finally {
    if (serve.exitCode === null) serve.kill('SIGKILL');
  }
});

test('opening a journal with orphaned runs while another process holds the lock still lists; the orphans are recovered later', async () => {
  const path = newJournal();
  const journal = openJournal(path);
  const orphan = journal.runs.insertRun({ name: 'orphan', scenario: {}, modelVersion: '0', seed: 1 });
  journal.close(); // queued, held by a closed journal: an orphan for the next open
  const holder = await holdLock(path, 1500);
  const lab = Lab.open({ journalPath: path, workers: 1 });
  try {
    const listed = await lab.call('runs.list', {});
    assert.ok(holder.isHolding(), 'the list did not wait for the lock');
    assert.equal(listed.rows[0]?.status, 'queued', 'left for later');
  } finally {
    await lab.close();
  }
  await holder.released;
  const again = openJournal(path);
  try {
    assert.equal(again.runs.getRun(orphan).status, 'interrupted');
  } finally {
    again.close();
  }
});

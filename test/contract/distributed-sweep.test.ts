// Distributed sweeps end to end: a real redis-server on a loopback port,
// `iommu-lab worker` processes and the coordinator (`sweep --redis`) as users
// run them, and the journal read back directly.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { MODEL_VERSION } from '../../core/index.ts';
import { openInProcess } from '../../service/index.ts';
import { workerClientName } from '../../service/distributed/jobs.ts';
import { cliBin, runCli } from './cli-run.ts';
import { startRedis, type TestRedis } from '../fixtures/redis-server.ts';

const PASSWORD = 'h0nest-s3cret';
const QUEUE = 'iommu-lab-simulate';
const UUID_KEY = /^bull:iommu-lab-simulate:[0-9a-f]{8}-[0-9a-f]{4}-/;

let redis: TestRedis;
let dir: string;
const children: ChildProcess[] = [];

function spec(name: string, seeds: number, durationMs: number, grid: Record<string, string[]> = {}): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ name, base: { preset: 'seed-after-fix', overrides: [`durationMs=${durationMs}`, 'warmupMs=2'] }, grid, seeds }));
  return path;
}

const workerJournal = () => join(dir, 'worker-must-not-write.db');

/** A worker process; resolves once it takes jobs. */
async function startWorker(name: string): Promise<ChildProcess> {
  // A journal path in the environment, which a worker must never open.
  const env = { ...process.env, IOMMU_LAB_JOURNAL: workerJournal() };
  const child = spawn(process.execPath, [cliBin, 'worker', '--redis', redis.url, '--concurrency', '1', '--name', name, '--lock-ms', '1000'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('taking jobs')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}): ${err}`)));
  });
  return child;
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

interface RunRow {
  id: string;
  name: string;
  status: string;
  error: string | null;
  result_json: string | null;
}

function journalRuns(path: string): RunRow[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare<[], RunRow>('SELECT r.id, r.name, r.status, r.error, d.result_json FROM runs r JOIN run_documents d ON d.run_seq = r.seq ORDER BY r.seq').all();
  } finally {
    db.close();
  }
}

function integrity(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('PRAGMA integrity_check').pluck().get() as string) ?? '';
  } finally {
    db.close();
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000, poll?: () => Promise<void>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await poll?.(), !check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function doneCount(journal: string): number {
  if (!existsSync(journal)) return 0;
  try {
    return journalRuns(journal).filter((r) => r.status === 'done').length;
  } catch {
    return 0; // not created yet
  }
}

async function jobKeys(): Promise<string[]> {
  const client = new Redis({ port: redis.port, host: '127.0.0.1', password: PASSWORD });
  try {
    return (await client.keys('bull:iommu-lab-simulate:*')).filter((k) => UUID_KEY.test(k));
  } finally {
    client.disconnect();
  }
}

function testQueue(): Queue {
  return new Queue(QUEUE, { connection: { host: '127.0.0.1', port: redis.port, password: PASSWORD } });
}

function coordinator(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; out: string; err: string }> } {
  const child = spawn(process.execPath, [cliBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return { child, done: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, out, err }))) };
}

describe('distributed sweeps (BullMQ on a private redis-server)', { timeout: 90_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'iommu-lab-dist-'));
    redis = await startRedis(PASSWORD);
  });
  after(async () => {
    await Promise.all(children.map((c) => stop(c, 'SIGKILL')));
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a 40-run sweep across two worker processes journals results byte-identical to a local run, leaves no job and no password behind', async () => {
    const workers = await Promise.all([startWorker('a'), startWorker('b')]);
    const specPath = spec('grid40', 10, 20, { 'viommu.backend': ['nested-fl', 'shadow-sl'], policy: ['strict', 'lazy'] });
    const remote = join(dir, 'remote.db');
    const local = join(dir, 'local.db');
    const [r, l] = [await runCli(['sweep', specPath, '--redis', redis.url, '--journal', remote]), await runCli(['sweep', specPath, '--journal', local])];
    assert.equal(r.code, 0, r.err);
    assert.equal(l.code, 0, l.err);
    const remoteRuns = journalRuns(remote);
    const localRuns = new Map(journalRuns(local).map((x) => [x.name, x.result_json]));
    assert.equal(remoteRuns.length, 40);
    for (const run of remoteRuns) {
      assert.equal(run.status, 'done', `${run.name}: ${run.error}`);
      assert.ok(run.result_json && run.result_json.length > 100);
      assert.equal(run.result_json, localRuns.get(run.name), `result of ${run.name} differs from the local run`);
    }
    assert.deepEqual(await jobKeys(), []);
    for (const text of [r.out, r.err, readFileSync(remote, 'latin1')]) assert.ok(!text.includes(PASSWORD), 'the Redis password leaked');
    assert.equal(integrity(remote), 'ok');
    await Promise.all(workers.map((w) => stop(w)));
    assert.equal(existsSync(workerJournal()), false, 'a worker never opens a journal');
  });

  it('a worker SIGKILLed mid-sweep: its job goes to the other worker and every run is journaled done once', async () => {
    const [a] = await Promise.all([startWorker('kill-me'), startWorker('survivor')]);
    const journal = join(dir, 'killed-worker.db');
    const sweep = coordinator(['sweep', spec('killworker', 10, 200), '--redis', redis.url, '--journal', journal]);
    // Killed while it holds a job (BullMQ records which worker took it).
    const queue = testQueue();
    let held: string | undefined;
    try {
      await until('a job on the worker to kill', () => held !== undefined, 15_000, async () => {
        held = (await queue.getActive()).find((j) => j.processedBy === workerClientName('kill-me', MODEL_VERSION))?.id;
      });
    } finally {
      await queue.close();
    }
    await stop(a as ChildProcess, 'SIGKILL');
    const end = await sweep.done;
    assert.equal(end.code, 0, end.err);
    const runs = journalRuns(journal);
    assert.equal(runs.length, 10);
    assert.equal(runs.find((x) => x.id === held)?.status, 'done', 'the killed worker\'s job was taken over');
    assert.deepEqual(runs.filter((x) => x.status !== 'done').map((x) => `${x.name} ${x.status} ${x.error}`), []);
    assert.equal(integrity(journal), 'ok');
    assert.deepEqual(await jobKeys(), []);
  });

  it('a coordinator SIGKILLed mid-sweep, then --resume: what finished meanwhile is journaled, the rest runs, every run done once', async () => {
    const worker = await startWorker('resume');
    const journal = join(dir, 'resume.db');
    const sweep = coordinator(['sweep', spec('resumed', 8, 200), '--redis', redis.url, '--journal', journal]);
    await until('two runs done', () => doneCount(journal) >= 2);
    sweep.child.kill('SIGKILL');
    await sweep.done;
    const journaledBefore = doneCount(journal);
    assert.ok(journaledBefore < 8, 'the coordinator ended before the sweep did');
    // The worker goes on with the queue while no coordinator listens: results wait in Redis.
    const queue = testQueue();
    try {
      let waiting = 0;
      await until('a result finished with no coordinator', () => waiting > 0, 15_000, async () => {
        waiting = await queue.getCompletedCount();
      });
      // A job lost with Redis's state (flushed, evicted): resuming enqueues it again. The worker may
      // take a waiting job between the listing and the removal (it is then locked): try the next one.
      let lost = false;
      for (const job of await queue.getWaiting()) {
        lost = await job.remove().then(() => true, (err: Error) => (/locked by another worker/.test(err.message) ? false : Promise.reject(err)));
        if (lost) break;
      }
      assert.ok(lost, 'a job still waiting, removed');
    } finally {
      await queue.close();
    }
    const resumed = await runCli(['sweep', '--resume', 'resumed', '--redis', redis.url, '--journal', journal]);
    assert.equal(resumed.code, 0, resumed.err);
    const runs = journalRuns(journal);
    assert.equal(runs.length, 8);
    assert.deepEqual(runs.filter((x) => x.status !== 'done').map((x) => `${x.name} ${x.status} ${x.error}`), []);
    assert.equal(integrity(journal), 'ok');
    assert.deepEqual(await jobKeys(), []);
    const again = await runCli(['sweep', '--resume', 'resumed', '--redis', redis.url, '--journal', journal]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /nothing to resume/);
    await stop(worker);
  });

  it('Ctrl-C mid-sweep removes the waiting jobs and stops the running one: every run ends cancelled, no job or mark is left in Redis', async () => {
    const worker = await startWorker('cancel');
    const journal = join(dir, 'cancel.db');
    // Runs of a simulated minute (seconds of wall time each): the running one must be stopped, not waited for.
    const sweep = coordinator(['sweep', spec('cancelled', 4, 60_000), '--redis', redis.url, '--journal', journal]);
    const queue = testQueue();
    try {
      let started = false;
      await until('a job under way on the worker', () => started, 15_000, async () => {
        started = (await queue.getActive()).some((j) => typeof j.progress === 'number' && j.progress > 0);
      });
    } finally {
      await queue.close();
    }
    const interruptedAt = Date.now();
    sweep.child.kill('SIGINT');
    const end = await sweep.done;
    const stopMs = Date.now() - interruptedAt;
    assert.notEqual(end.code, 0);
    assert.ok(stopMs < 4000, `the coordinator took ${stopMs} ms to stop`);
    const runs = journalRuns(journal);
    assert.deepEqual(runs.map((x) => x.status), ['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    assert.deepEqual(await jobKeys(), []);
    const client = new Redis({ port: redis.port, host: '127.0.0.1', password: PASSWORD });
    try {
      assert.deepEqual(await client.keys('iommu-lab:cancel:*'), []);
    } finally {
      client.disconnect();
    }
    await stop(worker);
  });

  it('an unreachable Redis or a wrong password: one line naming the masked URL, exit 2, no journal written', async () => {
    const specPath = spec('unreachable', 1, 20);
    const journal = join(dir, 'never.db');
    const wrongPort = await runCli(['sweep', specPath, '--redis', `redis://:${PASSWORD}@127.0.0.1:1`, '--journal', journal]);
    assert.equal(wrongPort.code, 2);
    assert.match(wrongPort.err, /^iommu-lab: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/?: .*ECONNREFUSED/);
    assert.equal(wrongPort.err.trim().split('\n').length, 1);
    const wrongPassword = await runCli(['sweep', specPath, '--redis', `redis://:not-${PASSWORD}@127.0.0.1:${redis.port}`, '--journal', journal]);
    assert.equal(wrongPassword.code, 2);
    assert.match(wrongPassword.err, /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/?: .*(WRONGPASS|invalid username-password)/);
    const worker = await runCli(['worker', '--redis', `redis://:${PASSWORD}@127.0.0.1:1`]);
    assert.equal(worker.code, 2);
    assert.match(worker.err, /cannot reach Redis at redis:\/\/:\*\*\*@/);
    const badScheme = await runCli(['sweep', specPath, '--redis', 'http://127.0.0.1:1', '--journal', journal]);
    assert.equal(badScheme.code, 2);
    assert.match(badScheme.err, /redis:\/\/ or rediss:\/\//);
    for (const r of [wrongPort, wrongPassword, worker]) assert.ok(!`${r.out}${r.err}`.includes(PASSWORD));
    assert.equal(existsSync(journal), false, 'nothing journaled');
  });

  it('a job that fails on its worker (time limit) ends its run failed with the message, tried once', async () => {
    const worker = await startWorker('fail');
    const journal = join(dir, 'failed.db');
    const { lab, client } = openInProcess({ journalPath: journal, redisUrl: redis.url });
    try {
      const { runIds } = await client.call('runs.start', { source: { preset: 'seed-after-fix', overrides: ['durationMs=5000'] }, timeLimitMs: 100, runOn: 'workers' });
      const [run] = await client.call('runs.wait', { ids: runIds });
      assert.equal(run?.status, 'failed');
      assert.match(run?.error ?? '', /exceeded its time limit of 100 ms/);
      assert.deepEqual(await jobKeys(), []);
    } finally {
      client.close();
      await lab.close();
      await stop(worker);
    }
  });

  it('a worker refuses jobs of another model version or kind: the job fails once with the reason, no retry', async () => {
    const worker = await startWorker('refuse');
    const queue = testQueue();
    try {
      const other = await queue.add('simulate', { modelVersion: 'model-from-another-release', scenario: {}, timeLimitMs: 1000 }, { jobId: 'other-model', attempts: 3 });
      const code = await queue.add('exec', { command: 'rm -rf /' }, { jobId: 'foreign-kind', attempts: 3 });
      for (const job of [other, code]) {
        const end = Date.now() + 10_000;
        let state = await job.getState();
        while (state !== 'failed' && Date.now() < end) {
          await new Promise((r) => setTimeout(r, 50));
          state = await job.getState();
        }
        assert.equal(state, 'failed');
      }
      const [o, c] = await Promise.all([queue.getJob('other-model'), queue.getJob('foreign-kind')]);
      assert.match(o?.failedReason ?? '', /model version mismatch: the job is for model "model-from-another-release", this worker runs model /);
      assert.equal(o?.attemptsMade, 1, 'not retried');
      assert.match(c?.failedReason ?? '', /job kind "exec" refused/);
      assert.equal(c?.attemptsMade, 1, 'not retried');
      await queue.remove('other-model');
      await queue.remove('foreign-kind');
    } finally {
      await queue.close();
      await stop(worker);
    }
  });

  it('only workers of another model version online: the sweep is refused naming them, nothing journaled, no job queued', async () => {
    await Promise.all(children.map((c) => stop(c))); // earlier tests' workers (of this model) leave
    // A worker of another release, as BullMQ lists it; it would refuse every job.
    const foreign = new Worker(QUEUE, async () => undefined, { connection: { host: '127.0.0.1', port: redis.port, password: PASSWORD }, name: workerClientName('old-release', '0.9.0') });
    await foreign.waitUntilReady();
    const journal = join(dir, 'mismatch.db');
    try {
      const r = await runCli(['sweep', spec('mismatch', 2, 5), '--redis', redis.url, '--journal', journal]);
      assert.equal(r.code, 2, `${r.out}\n${r.err}`);
      assert.match(r.err, new RegExp(`no worker on redis://:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/? runs model ${MODEL_VERSION.replaceAll('.', '\\.')}.*old-release \\(model 0\\.9\\.0\\)`));
      assert.equal(existsSync(journal), false, 'nothing journaled');
      assert.deepEqual(await jobKeys(), []);
    } finally {
      await foreign.close();
    }
  });

  it('a service with a Redis URL runs where it is asked: sweeps.workers lists the worker with its model; runOn this-machine queues no job', async () => {
    const worker = await startWorker('lister');
    const { lab, client } = openInProcess({ journalPath: join(dir, 'placed.db'), redisUrl: redis.url });
    try {
      const listed = await client.call('sweeps.workers', {});
      assert.match(listed.redis ?? '', /^redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
      assert.deepEqual(listed.workers.filter((w) => w.name === 'lister'), [{ name: 'lister', modelVersion: MODEL_VERSION, compatible: true }], 'listed once, with its model');
      // The window asks again every few seconds: over the open queue, no new connection each time.
      const admin = new Redis({ port: redis.port, host: '127.0.0.1', password: PASSWORD });
      const connectionsReceived = async () => Number(/total_connections_received:(\d+)/.exec(await admin.info('stats'))?.[1]);
      const before = await connectionsReceived();
      for (let i = 0; i < 3; i++) await client.call('sweeps.workers', {});
      assert.equal(await connectionsReceived(), before, 'no connection opened by asking again');
      admin.disconnect();
      const seen: string[] = [];
      const queue = testQueue();
      const stopWatching = setInterval(() => void queue.getJobCounts().then((c) => Object.values(c).some((n) => n > 0) && seen.push('job')), 5);
      const local = await client.call('sweeps.start', { spec: { name: 'here', base: { preset: 'seed-after-fix', overrides: ['durationMs=5', 'warmupMs=1'] }, grid: {}, seeds: 2 }, runOn: 'this-machine' });
      assert.equal(local.workersOnline, null);
      const ended = await client.call('runs.wait', { ids: local.runIds });
      clearInterval(stopWatching);
      await queue.close();
      assert.deepEqual(ended.map((r) => r.status), ['done', 'done']);
      assert.deepEqual(seen, [], 'no job went through Redis');
      const remote = await client.call('sweeps.start', { spec: { name: 'there', base: { preset: 'seed-after-fix', overrides: ['durationMs=5', 'warmupMs=1'] }, grid: {}, seeds: 2 }, runOn: 'workers' });
      assert.ok(remote.workersOnline !== null && remote.workersOnline >= 1);
      assert.deepEqual((await client.call('runs.wait', { ids: remote.runIds })).map((r) => r.status), ['done', 'done']);
    } finally {
      client.close();
      await lab.close();
      await stop(worker);
    }
  });

  it('serve --redis names the masked Redis and its workers; an unreachable one is one line, exit 2', async () => {
    const journal = join(dir, 'serve-redis.db');
    const served = coordinator(['serve', '--port', '0', '--redis', redis.url, '--journal', journal]);
    let out = '';
    await new Promise<void>((resolve) => {
      served.child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Press Ctrl+C')) resolve();
      });
    });
    await stop(served.child);
    assert.match(out, /^Workers: sweeps may run on `iommu-lab worker` processes of redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? \(\d+ of this model online\)$/m);
    assert.ok(!out.includes(PASSWORD));
    const unreachable = await runCli(['serve', '--port', '0', '--redis', `redis://:${PASSWORD}@127.0.0.1:1`, '--journal', journal]);
    assert.equal(unreachable.code, 2);
    assert.match(unreachable.err, /^iommu-lab: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/?: /);
    assert.ok(!`${unreachable.out}${unreachable.err}`.includes(PASSWORD));
  });

  it('runOn workers without a Redis URL is an input error naming runOn', async () => {
    const { lab, client } = openInProcess({ journalPath: join(dir, 'no-redis.db') });
    try {
      await assert.rejects(client.call('sweeps.start', { spec: { base: { preset: 'seed-after-fix' }, grid: {}, seeds: 1 }, runOn: 'workers' }), (err: { code?: string; fields?: { path: string; message: string }[] }) => {
        assert.equal(err.code, 'invalid');
        assert.equal(err.fields?.[0]?.path, 'runOn');
        assert.match(err.fields?.[0]?.message ?? '', /needs a Redis URL: start the service with --redis URL/);
        return true;
      });
      assert.equal(existsSync(join(dir, 'no-redis.db')), false);
    } finally {
      client.close();
      await lab.close();
    }
  });
});

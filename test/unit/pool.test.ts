import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { JobCancelledError, JobFailedError, JobTimeoutError, WorkerPool } from '../../service/pool/index.ts';
import type { JobProgress, WorkerPoolOptions } from '../../service/pool/index.ts';

const workerUrl = new URL('../fixtures/pool-worker.ts', import.meta.url);

// Pools are closed after each suite even when an assertion fails midway.
const pools: WorkerPool[] = [];
function makePool(options: Partial<WorkerPoolOptions> = {}): WorkerPool {
  const pool = new WorkerPool({ workerUrl, ...options });
  pools.push(pool);
  return pool;
}
after(() => Promise.all(pools.map((pool) => pool.close())));

/**
 * Runs a 'hang' job and resolves once it is inside its endless loop. The job is
 * wrapped: returning the promise itself from an async function would await it.
 */
async function startHang(pool: WorkerPool, options: { signal?: AbortSignal } = {}): Promise<{ job: Promise<unknown> }> {
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  const job = pool.run('hang', null, { ...options, onProgress: () => started() });
  // Attach a handler now: the job may reject before the caller awaits it.
  job.catch(() => {});
  await Promise.race([running, job]);
  return { job };
}

describe('WorkerPool results', () => {
  test('runs more jobs than workers and returns every result', async () => {
    const pool = makePool({ size: 2 });
    const inputs = Array.from({ length: 20 }, (_, i) => i);
    const outputs = await Promise.all(inputs.map((n) => pool.run<number, number>('square', n)));
    assert.deepEqual(outputs, inputs.map((n) => n * n));
    assert.deepEqual(pool.stats(), { busy: 0, idle: 2, queued: 0 });
  });

  test('starts workers lazily, no more than there are jobs', async () => {
    const pool = makePool({ size: 4 });
    assert.deepEqual(pool.stats(), { busy: 0, idle: 0, queued: 0 });
    const job = pool.run('square', 3);
    assert.deepEqual(pool.stats(), { busy: 1, idle: 0, queued: 0 });
    assert.equal(await job, 9);
    assert.deepEqual(pool.stats(), { busy: 0, idle: 1, queued: 0 });
  });

  test('size caps concurrency', async () => {
    const pool = makePool({ size: 2 });
    const counters = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    const jobs = Array.from({ length: 6 }, () => pool.run<unknown, number>('concurrent', { counters, ms: 50 }));
    assert.deepEqual(pool.stats(), { busy: 2, idle: 0, queued: 4 });
    const running = await Promise.all(jobs);
    assert.ok(running.every((n) => n >= 1 && n <= 2), `running counts: ${running.join(', ')}`);
    assert.ok(Atomics.load(counters, 1) <= 2);
    assert.equal(Atomics.load(counters, 0), 0);
  });

  test('a job ahead goes before the queued jobs, after other jobs ahead, in order', async () => {
    const pool = makePool({ size: 1 });
    const order: string[] = [];
    const run = (name: string, ahead = false) => pool.run<number, number>('square', 2, ahead ? { ahead } : {}).then(() => order.push(name));
    const jobs = [run('a'), run('b'), run('c'), run('urgent 1', true), run('urgent 2', true)];
    await Promise.all(jobs);
    // 'a' was handed to the worker at once; the rest waited.
    assert.deepEqual(order, ['a', 'urgent 1', 'urgent 2', 'b', 'c']);
  });

  test('runs a plain JavaScript worker module without tsx', async () => {
    const pool = makePool({ workerUrl: new URL('../fixtures/pool-worker-plain.mjs', import.meta.url), size: 1 });
    assert.equal(await pool.run('double', 21), 42);
  });
});

describe('WorkerPool progress', () => {
  test('throttles progress to one event per interval and ends at 1.0', async () => {
    const intervalMs = 50;
    const pool = makePool({ size: 1, progressIntervalMs: intervalMs });
    const events: JobProgress[] = [];
    const { calls, elapsedMs } = await pool.run<{ ms: number }, { calls: number; elapsedMs: number }>(
      'spin', { ms: 400 }, { onProgress: (p) => events.push(p) });

    assert.ok(events.length >= 2, `got ${events.length} events`);
    // One event per started interval plus the final 1.0; `elapsedMs` is measured in the worker, so this holds however slow the machine.
    const bound = Math.floor(elapsedMs / intervalMs) + 2;
    assert.ok(events.length <= bound, `${events.length} events in ${elapsedMs} ms, bound ${bound}`);
    assert.ok(calls > events.length, 'the handler reported more often than events were sent');
    assert.equal(events.at(-1)?.fraction, 1);
    const fractions = events.map((e) => e.fraction);
    assert.deepEqual(fractions, fractions.toSorted((a, b) => a - b));
    assert.ok(fractions.every((f) => f >= 0 && f <= 1));
    assert.equal(typeof (events[0]?.detail as { elapsedMs?: unknown } | undefined)?.elapsedMs, 'number');
  });

  test('a job without progress calls still ends with 1.0', async () => {
    const pool = makePool({ size: 1 });
    const events: JobProgress[] = [];
    await pool.run('square', 2, { onProgress: (p) => events.push(p) });
    assert.deepEqual(events, [{ fraction: 1 }]);
  });
});

describe('WorkerPool cancellation and time limits', () => {
  test('aborting a running job terminates it promptly; the pool goes on', async () => {
    const pool = makePool({ size: 1 });
    const controller = new AbortController();
    const { job } = await startHang(pool, { signal: controller.signal });
    const abortedAt = performance.now();
    controller.abort(new Error('user pressed stop'));
    await assert.rejects(job, (error: unknown) => {
      assert.ok(error instanceof JobCancelledError);
      assert.equal(error.kind, 'hang');
      assert.equal((error.cause as Error).message, 'user pressed stop');
      return true;
    });
    // Rejection does not wait for the thread to die; a generous bound keeps this stable on a loaded machine.
    assert.ok(performance.now() - abortedAt < 1000);
    assert.equal(await pool.run('square', 5), 25);
  });

  test('aborting a queued job removes it without touching the running one', async () => {
    const pool = makePool({ size: 1 });
    const counters = new Int32Array(new SharedArrayBuffer(8));
    const first = pool.run('concurrent', { counters, ms: 200 });
    const controller = new AbortController();
    const queued = pool.run('square', 4, { signal: controller.signal });
    assert.equal(pool.stats().queued, 1);
    controller.abort();
    await assert.rejects(queued, JobCancelledError);
    assert.deepEqual(pool.stats(), { busy: 1, idle: 0, queued: 0 });
    assert.equal(await first, 1);
  });

  test('an already aborted signal rejects without starting a worker', async () => {
    const pool = makePool({ size: 1 });
    await assert.rejects(pool.run('square', 1, { signal: AbortSignal.abort() }), JobCancelledError);
    assert.deepEqual(pool.stats(), { busy: 0, idle: 0, queued: 0 });
  });

  test('a job over its time limit rejects with JobTimeoutError; the pool goes on', async () => {
    const pool = makePool({ size: 1 });
    const job = pool.run('hang', null, { timeoutMs: 300 });
    await assert.rejects(job, (error: unknown) => {
      assert.ok(error instanceof JobTimeoutError);
      assert.equal(error.timeoutMs, 300);
      return true;
    });
    assert.equal(await pool.run('square', 6, { timeoutMs: 30_000 }), 36);
  });

  test('rejects an invalid time limit', async () => {
    const pool = makePool({ size: 1 });
    await assert.rejects(pool.run('square', 1, { timeoutMs: -1 }), RangeError);
  });
});

describe('WorkerPool failures', () => {
  test('a throwing job fails with its message and stack; the worker stays', async () => {
    const pool = makePool({ size: 1 });
    const before = await pool.run('whoami', null);
    await assert.rejects(pool.run('throw', 'bad scenario: rateGbps must be > 0'), (error: unknown) => {
      assert.ok(error instanceof JobFailedError);
      assert.equal(error.message, 'bad scenario: rateGbps must be > 0');
      assert.equal(error.crashed, false);
      assert.equal(error.workerName, 'Error');
      assert.match(error.workerStack ?? '', /pool-worker\.ts/);
      return true;
    });
    assert.equal(await pool.run('whoami', null), before);
  });

  test('an unknown kind fails and names the known ones', async () => {
    const pool = makePool({ size: 1 });
    await assert.rejects(pool.run('nope', null), /unknown job kind 'nope'.*square/);
  });

  test('an output that cannot be cloned fails the job, not the worker', async () => {
    const pool = makePool({ size: 1 });
    await assert.rejects(pool.run('unclonable', null), (error: unknown) =>
      error instanceof JobFailedError && !error.crashed && /cannot be sent/.test(error.message));
    assert.equal(await pool.run('square', 7), 49);
  });

  test('an input that cannot be cloned fails the job, not the worker', async () => {
    const pool = makePool({ size: 1 });
    await assert.rejects(pool.run('square', () => 1), (error: unknown) =>
      error instanceof JobFailedError && !error.crashed && /cannot be sent/.test(error.message));
    assert.equal(await pool.run('square', 8), 64);
  });

  test('process.exit in a worker fails the job as a crash; a new worker takes the next job', async () => {
    const pool = makePool({ size: 1 });
    const before = await pool.run('whoami', null);
    await assert.rejects(pool.run('exit', null), (error: unknown) => {
      assert.ok(error instanceof JobFailedError);
      assert.equal(error.crashed, true);
      assert.match(error.message, /worker crashed while running job 'exit'.*code 1/);
      return true;
    });
    const after = await pool.run('whoami', null);
    assert.notEqual(after, before);
  });

  test('an error escaping the job crashes the worker; other jobs go on', async () => {
    const pool = makePool({ size: 2 });
    const counters = new Int32Array(new SharedArrayBuffer(8));
    const neighbour = pool.run('concurrent', { counters, ms: 300 });
    await assert.rejects(pool.run('uncaught', 'escaped the handler'), (error: unknown) =>
      error instanceof JobFailedError && error.crashed && /crashed.*escaped the handler/.test(error.message));
    assert.equal(typeof await neighbour, 'number');
    assert.equal(await pool.run('square', 9), 81);
  });

  test('running out of memory fails the job as a crash', async () => {
    const pool = makePool({ size: 1, resourceLimits: { maxOldGenerationSizeMb: 64 } });
    await assert.rejects(pool.run('oom', null), (error: unknown) =>
      error instanceof JobFailedError && error.crashed && /memory/i.test(error.message));
    assert.equal(await pool.run('square', 10), 100);
  });
});

describe('WorkerPool close', () => {
  test('close() rejects running and queued jobs and terminates the workers', async () => {
    const pool = makePool({ size: 1 });
    const { job: running } = await startHang(pool);
    const queued = [pool.run('square', 1), pool.run('square', 2)];
    assert.deepEqual(pool.stats(), { busy: 1, idle: 0, queued: 2 });
    // Listen before closing: the jobs reject during close().
    const outcomes = Promise.all([running, ...queued].map((job) => assert.rejects(job, JobCancelledError)));
    await pool.close();
    await outcomes;
    assert.deepEqual(pool.stats(), { busy: 0, idle: 0, queued: 0 });
    await assert.rejects(pool.run('square', 3), JobCancelledError);
  });

  test('an idle pool does not keep the process alive', async () => {
    // The script runs a job and never closes its pool; it must still exit.
    const script = fileURLToPath(new URL('../fixtures/pool-idle-exit.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const killer = setTimeout(() => child.kill(), 30_000);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const [code] = await once(child, 'exit');
    clearTimeout(killer);
    assert.equal(code, 0);
    assert.equal(stdout.trim(), '144');
  });
});

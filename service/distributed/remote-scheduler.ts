// Carries journaled runs through a BullMQ queue instead of this process's
// worker threads: the same run life (queued -> running -> done / failed /
// cancelled) and the same journal writes as the local scheduler, but the
// simulations run in `iommu-lab worker` processes on any machine. Only this
// process (the coordinator) writes the journal; workers never do.
//
// The run id is the job id: adding a run that is already in the queue (a
// resumed sweep) attaches to the job there, whatever its state, so a result
// that finished while no coordinator listened is journaled, once.
// bullmq and ioredis load with the first distributed sweep, not with every command.
import type { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis, RedisOptions as IoRedisOptions } from 'ioredis';
import { MODEL_VERSION, type Scenario } from '../../core/index.ts';
import type { Journal } from '../../db/index.ts';
import { ServiceError } from '../errors.ts';
import type { JournalWrites } from '../journal-writes.ts';
import type { RunOutput } from '../run-output.ts';
import { DEFAULT_TIME_LIMIT_MS, type RunScheduler, type SchedulerHooks } from '../scheduler.ts';
import { CANCEL_MARK_TTL_S, cancelKey, KEEP_UNCOLLECTED_S, parseWorkerClientName, QUEUE_NAME, SIMULATE_JOB, type SimulateJobData } from './jobs.ts';
import { maskRedisUrl, redisOptions, RedisUrlError } from './redis-url.ts';

/** How long the coordinator waits for Redis to answer before saying it is unreachable. */
const CONNECT_TIMEOUT_MS = 3000;

type Outcome = { kind: 'done'; output: RunOutput; durationMs: number } | { kind: 'failed'; message: string } | { kind: 'cancelled' };

interface RemoteRun {
  settle: (outcome: Outcome) => void;
  ended: Promise<void>;
  running: boolean;
  cancelled: boolean;
}

/** Reaches Redis once, with no retries: the one-line reason names the (masked) URL. */
export async function checkRedis(url: string): Promise<void> {
  let options;
  try {
    options = redisOptions(url);
  } catch (err) {
    if (err instanceof RedisUrlError) throw ServiceError.invalid([{ path: 'redis', message: err.message }]);
    throw err;
  }
  const { Redis } = await import('ioredis');
  const client = new Redis({ ...(options as IoRedisOptions), lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, disconnectTimeout: 50, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // The socket's own error (ECONNREFUSED, a TLS failure) says more than connect()'s "Connection is closed".
  let socketError: Error | undefined;
  client.on('error', (err: Error) => (socketError ??= err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    const reason = (socketError ?? (err as Error)).message;
    throw new ServiceError('unavailable', `cannot reach Redis at ${maskRedisUrl(url)}: ${maskSecrets(reason, options.password)}`);
  } finally {
    client.disconnect();
  }
}

function maskSecrets(message: string, password: string | undefined): string {
  return password ? message.split(password).join('***') : message;
}

export class RemoteScheduler {
  readonly #url: string;
  readonly #journal: () => Journal;
  readonly #writes: JournalWrites;
  readonly #hooks: SchedulerHooks;
  /** Jobs that are not journaled runs (unsaved simulations, analyses, fits), and runs asked to, stay on this machine's threads. */
  readonly #local: RunScheduler;
  readonly #runs = new Map<string, RemoteRun>();
  #connected: Promise<{ queue: Queue; events: QueueEvents; marks: Redis }> | undefined;

  constructor(url: string, journal: () => Journal, hooks: SchedulerHooks, writes: JournalWrites, local: RunScheduler) {
    this.#url = url;
    this.#journal = journal;
    this.#hooks = hooks;
    this.#writes = writes;
    this.#local = local;
  }

  /** The URL as it may be shown. */
  get redisUrl(): string {
    return maskRedisUrl(this.#url);
  }

  get workers(): number {
    return this.#local.workers;
  }

  get poolStarted(): boolean {
    return this.#local.poolStarted;
  }

  job: RunScheduler['job'] = (kind, input, opts) => this.#local.job(kind, input, opts);
  parseJson: RunScheduler['parseJson'] = (bytes) => this.#local.parseJson(bytes);

  /**
   * Checks Redis answers (before anything is journaled), then opens the queue
   * and its event stream; once open, a no-op (the window asks for the workers
   * every few seconds: each check would open and close a connection).
   */
  async connect(): Promise<void> {
    if (this.#connected === undefined) await checkRedis(this.#url);
    this.#connected ??= (async () => {
      const [{ Queue, QueueEvents }, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
      const connection = redisOptions(this.#url);
      const queue = new Queue(QUEUE_NAME, { connection });
      const events = new QueueEvents(QUEUE_NAME, { connection });
      // Cancel marks for jobs a worker runs (plain keys, beside the queue's).
      const marks = new Redis({ ...(connection as IoRedisOptions), maxRetriesPerRequest: 1 });
      queue.on('error', () => undefined);
      events.on('error', () => undefined);
      marks.on('error', () => undefined);
      events.on('active', ({ jobId }) => this.#onActive(jobId));
      events.on('progress', ({ jobId, data }) => {
        if (this.#runs.has(jobId) && typeof data === 'number') this.#hooks.onProgress(jobId, data);
      });
      events.on('completed', ({ jobId }) => void this.#collect(jobId));
      events.on('failed', ({ jobId }) => void this.#collect(jobId));
      await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
      return { queue, events, marks };
    })();
    await this.#connected;
  }

  async #open(): Promise<{ queue: Queue; events: QueueEvents; marks: Redis }> {
    if (!this.#connected) await this.connect();
    return this.#connected as Promise<{ queue: Queue; events: QueueEvents; marks: Redis }>;
  }

  #onActive(runId: string): void {
    const run = this.#runs.get(runId);
    if (!run || run.running) return;
    run.running = true;
    this.#writes.run(() => this.#journal().runs.markRunning(runId)).catch(() => undefined);
    this.#hooks.onStatus(runId, 'running', null);
  }

  /** Reads a job's state; an ended job settles its run (an event may have been missed while no coordinator listened). */
  async #collect(runId: string): Promise<void> {
    const run = this.#runs.get(runId);
    if (!run) return;
    const { queue } = await this.#open();
    const job: Job | undefined = await queue.getJob(runId);
    if (!job) return;
    const state = await job.getState();
    if (state === 'active') this.#onActive(runId);
    if (state === 'completed') {
      run.settle(run.cancelled ? { kind: 'cancelled' } : { kind: 'done', output: job.returnvalue as RunOutput, durationMs: Math.max(0, (job.finishedOn ?? 0) - (job.processedOn ?? 0)) });
    } else if (state === 'failed') {
      run.settle(run.cancelled ? { kind: 'cancelled' } : { kind: 'failed', message: job.failedReason || 'the job failed without a reason' });
    }
  }

  /**
   * The workers taking jobs from the queue now, with the model version each
   * announces: a sweep that none of them would run is refused before it is
   * journaled (remote workers refuse another model's jobs).
   */
  async onlineWorkers(): Promise<{ name: string; modelVersion: string | null; compatible: boolean }[]> {
    const { queue } = await this.#open();
    // A Redis that refuses CLIENT LIST (some managed ones) shows no workers: the sweep is queued, workers still check each job.
    const clients = await queue.getWorkers().catch(() => []);
    // A worker holds more than one connection under its name: count it once.
    const names = [...new Set(clients.map((c) => c['rawname'] ?? '').filter((n) => n !== ''))];
    return names
      .map((raw) => parseWorkerClientName(raw.slice(raw.indexOf(':w:') + 3)))
      .map((w) => ({ ...w, compatible: w.modelVersion === MODEL_VERSION }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Enqueues a queued run (or attaches to its job when it is in the queue
   * already), or with `onThisMachine` runs it on this machine's threads;
   * resolves when it has ended.
   */
  schedule(runId: string, scenario: Scenario, timeLimitMs = DEFAULT_TIME_LIMIT_MS, onThisMachine = false): Promise<void> {
    if (onThisMachine) return this.#local.schedule(runId, scenario, timeLimitMs);
    const existing = this.#runs.get(runId);
    if (existing) return existing.ended;
    let settle!: (outcome: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => {
      let settled = false;
      settle = (o) => {
        if (!settled) resolve(o);
        settled = true;
      };
    });
    const run: RemoteRun = { settle, ended: Promise.resolve(), running: false, cancelled: false };
    this.#runs.set(runId, run);
    run.ended = (async () => {
      try {
        const { queue } = await this.#open();
        const data: SimulateJobData = { modelVersion: MODEL_VERSION, scenario, timeLimitMs };
        // One attempt: a failing simulation fails again; a lost worker is BullMQ's stalled-job recovery, not a retry.
        await queue.add(SIMULATE_JOB, data, { jobId: runId, attempts: 1, removeOnComplete: { age: KEEP_UNCOLLECTED_S }, removeOnFail: { age: KEEP_UNCOLLECTED_S } });
        await this.#collect(runId);
      } catch (err) {
        settle({ kind: 'failed', message: `could not enqueue the run on ${this.redisUrl}: ${(err as Error).message}` });
      }
      const ending = await outcome;
      const status = await this.#record(runId, ending);
      if (status) this.#hooks.onStatus(runId, status.status, status.error);
      // Journaled: the job has nothing left to give.
      await this.#remove(runId);
    })()
      .catch(() => undefined)
      .finally(() => this.#runs.delete(runId));
    return run.ended;
  }

  async #remove(runId: string): Promise<void> {
    try {
      const { queue, marks } = await this.#open();
      await queue.remove(runId);
      await marks.del(cancelKey(runId));
    } catch {
      // Removed already, or still locked by a worker that will finish it: the age limit clears it.
    }
  }

  async #record(runId: string, ending: Outcome): Promise<{ status: 'done' | 'failed' | 'cancelled'; error: string | null } | undefined> {
    const runs = () => this.#journal().runs;
    try {
      if (ending.kind === 'done') {
        const { result, metrics, series } = ending.output;
        await this.#writes.run(() => runs().completeRun(runId, { result, metrics, series, durationMs: ending.durationMs }));
        return { status: 'done', error: null };
      }
      if (ending.kind === 'failed') {
        await this.#writes.run(() => runs().failRun(runId, ending.message));
        return { status: 'failed', error: ending.message };
      }
      await this.#writes.run(() => runs().cancelRun(runId));
      return { status: 'cancelled', error: null };
    } catch (err) {
      if (ending.kind !== 'done') return undefined;
      const message = `the result could not be journaled: ${(err as Error).message}`;
      try {
        await this.#writes.run(() => runs().failRun(runId, message));
        return { status: 'failed', error: message };
      } catch {
        return undefined;
      }
    }
  }

  isActive(runId: string): boolean {
    return this.#runs.has(runId) || this.#local.isActive(runId);
  }

  /**
   * Cancels runs this process carries: a waiting job is removed from the
   * queue; a job a worker runs is marked, and the worker stops it at its next
   * progress step (a result that arrives first is dropped). Returns how many
   * were still active.
   */
  cancel(runIds: readonly string[]): number {
    let n = this.#local.cancel(runIds);
    for (const id of runIds) {
      const run = this.#runs.get(id);
      if (!run || run.cancelled) continue;
      run.cancelled = true;
      n++;
      void this.#open()
        .then(async ({ queue, marks }) => {
          const job = await queue.getJob(id);
          if (!job) return run.settle({ kind: 'cancelled' });
          const state = await job.getState();
          // Its end (the worker's refusal to go on) settles it (#collect).
          if (state === 'active') return void (await marks.set(cancelKey(id), '1', 'EX', CANCEL_MARK_TTL_S));
          if (state !== 'completed' && state !== 'failed') await job.remove().catch(() => undefined);
          run.settle({ kind: 'cancelled' });
        })
        .catch(() => run.settle({ kind: 'cancelled' }));
    }
    return n;
  }

  async settled(runIds: readonly string[]): Promise<void> {
    await Promise.all([this.#local.settled(runIds), ...runIds.map((id) => this.#runs.get(id)?.ended)]);
  }

  /** Cancels what this process still carries, then closes the queue connections and the local workers. */
  async close(): Promise<void> {
    const ids = [...this.#runs.keys()];
    this.cancel(ids);
    await this.settled(ids);
    const connected = this.#connected;
    this.#connected = undefined;
    if (connected) {
      const { queue, events, marks } = await connected.catch(() => ({ queue: undefined, events: undefined, marks: undefined }));
      await Promise.all([queue?.close(), events?.close(), marks?.quit().catch(() => undefined)]);
    }
    await this.#local.close();
  }
}

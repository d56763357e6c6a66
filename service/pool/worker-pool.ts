// A pool of worker threads running named jobs, with progress, cancellation,
// time limits, and crash isolation: whatever a job does, only that job fails.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ResourceLimits } from 'node:worker_threads';
import { JobCancelledError, JobFailedError, JobTimeoutError } from './errors.ts';
import type { JobError } from './errors.ts';
import { isFromWorker } from './protocol.ts';
import type { FromWorker, PoolWorkerData, RunMessage } from './protocol.ts';

export interface WorkerPoolOptions {
  /** Worker module (.js/.mjs, or .ts loaded through tsx); it calls defineWorker(). */
  workerUrl: URL;
  /** Maximum number of worker threads. Default: min(available parallelism, 4). */
  size?: number;
  /** Minimum time between two progress events of one job. Default 100 ms. */
  progressIntervalMs?: number;
  /** Per-worker V8 limits; a worker exceeding them crashes and its job fails. */
  resourceLimits?: ResourceLimits;
}

export interface JobProgress {
  /** In [0, 1]; the last event of a successful job is 1. */
  fraction: number;
  detail?: unknown;
}

export interface RunOptions {
  /** Time limit, counted from the moment the job is handed to a worker (a new worker's start-up included). */
  timeoutMs?: number;
  onProgress?: (progress: JobProgress) => void;
  /** Called once, when a worker takes the job off the queue. */
  onStart?: () => void;
  /** Ahead of the jobs waiting (behind other such jobs): one a user waits on, say a merge, need not wait for a sweep's queue. */
  ahead?: boolean;
  signal?: AbortSignal;
}

export interface PoolStats {
  /** Workers running a job. */
  busy: number;
  /** Started workers waiting for a job. */
  idle: number;
  /** Jobs waiting for a worker. */
  queued: number;
}

interface Job {
  id: number;
  kind: string;
  input: unknown;
  options: RunOptions;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  slot?: Slot;
  timer?: NodeJS.Timeout;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker;
  job?: Job;
  /** Being terminated: takes no jobs, still counts against `size` until its thread is gone. */
  retiring: boolean;
  /** Last 'error' event, reported when the thread exits. */
  crash?: Error;
}

const MAX_DEFAULT_SIZE = 4;
const DEFAULT_PROGRESS_INTERVAL_MS = 100;
const TSX_ENTRY_URL = new URL('./tsx-entry.mjs', import.meta.url);

export class WorkerPool {
  readonly size: number;
  private readonly workerUrl: URL;
  private readonly workerData: PoolWorkerData;
  private readonly resourceLimits: ResourceLimits | undefined;
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private nextJobId = 1;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: WorkerPoolOptions) {
    const size = options.size ?? Math.min(availableParallelism(), MAX_DEFAULT_SIZE);
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be an integer >= 1, got ${size}`);
    const progressIntervalMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
    if (!Number.isFinite(progressIntervalMs) || progressIntervalMs < 0) {
      throw new RangeError(`progressIntervalMs must be a finite number >= 0, got ${progressIntervalMs}`);
    }
    this.size = size;
    this.resourceLimits = options.resourceLimits;
    if (/\.[cm]?ts$/.test(options.workerUrl.pathname)) {
      // Resolved here so a missing tsx fails at construction, not in every worker.
      this.workerUrl = TSX_ENTRY_URL;
      this.workerData = {
        progressIntervalMs,
        tsx: { apiUrl: import.meta.resolve('tsx/esm/api'), moduleUrl: options.workerUrl.href },
      };
    } else {
      this.workerUrl = options.workerUrl;
      this.workerData = { progressIntervalMs };
    }
  }

  /**
   * Runs one job of the given kind on a worker. A job that does not produce a
   * result rejects with JobCancelledError, JobTimeoutError or JobFailedError;
   * invalid options reject with a RangeError.
   */
  run<TIn, TOut>(kind: string, input: TIn, options: RunOptions = {}): Promise<TOut> {
    return new Promise<TOut>((resolve, reject) => {
      const { signal, timeoutMs } = options;
      if (this.closed) return reject(new JobCancelledError(kind, `job '${kind}' was not started: the pool is closed`));
      if (signal?.aborted) return reject(cancelled(kind, signal));
      if (timeoutMs !== undefined && !(timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1)) {
        return reject(new RangeError(`timeoutMs must be in (0, 2^31 - 1] (setTimeout's range), got ${timeoutMs}`));
      }

      const job: Job = { id: this.nextJobId++, kind, input, options, resolve: resolve as (output: unknown) => void, reject };
      if (signal) {
        job.onAbort = () => this.abort(job, cancelled(kind, signal));
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      if (options.ahead === true) {
        const firstBehind = this.queue.findIndex((j) => j.options.ahead !== true);
        this.queue.splice(firstBehind === -1 ? this.queue.length : firstBehind, 0, job);
      } else this.queue.push(job);
      this.pump();
    });
  }

  stats(): PoolStats {
    let busy = 0;
    let idle = 0;
    for (const slot of this.slots) {
      if (slot.job) busy++;
      else if (!slot.retiring) idle++;
    }
    return { busy, idle, queued: this.queue.length };
  }

  /** Terminates every worker; running and queued jobs reject with JobCancelledError. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = this.shutDown();
    }
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    for (const job of this.queue.splice(0)) {
      this.settle(job);
      job.reject(new JobCancelledError(job.kind, `job '${job.kind}' was cancelled: the pool was closed`));
    }
    const exits: Promise<number>[] = [];
    for (const slot of this.slots) {
      const job = slot.job;
      if (job) {
        this.settle(job);
        job.reject(new JobCancelledError(job.kind, `job '${job.kind}' was cancelled: the pool was closed`));
      }
      slot.retiring = true;
      exits.push(slot.worker.terminate());
    }
    await Promise.all(exits);
  }

  /** Hands queued jobs to idle workers, starting workers up to `size`. */
  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      const slot = this.idleSlot() ?? (this.slots.size < this.size ? this.spawn() : undefined);
      if (slot === undefined) return;
      const job = this.queue.shift();
      if (job === undefined) return;
      if (slot instanceof Error) {
        // Fail the job rather than leave it queued behind a worker that can never start.
        this.settle(job);
        job.reject(new JobFailedError(job.kind, `worker could not be started for job '${job.kind}': ${slot.message}`, { crashed: true, cause: slot }));
        continue;
      }
      this.dispatch(slot, job);
    }
  }

  private idleSlot(): Slot | undefined {
    for (const slot of this.slots) {
      if (!slot.job && !slot.retiring) return slot;
    }
    return undefined;
  }

  private spawn(): Slot | Error {
    let worker: Worker;
    try {
      worker = new Worker(this.workerUrl, {
        workerData: this.workerData,
        // The tsx entry registers TypeScript support itself; an inherited `--import tsx` would register it twice.
        ...(this.workerData.tsx ? { execArgv: [] } : {}),
        ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
      });
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    const slot: Slot = { worker, retiring: false };
    worker.on('message', (message: unknown) => {
      if (isFromWorker(message)) this.onMessage(slot, message);
    });
    worker.on('messageerror', (error) => this.onMessageError(slot, error));
    worker.on('error', (error) => {
      slot.crash = error;
    });
    worker.on('exit', (code) => this.onExit(slot, code));
    this.slots.add(slot);
    return slot;
  }

  private dispatch(slot: Slot, job: Job): void {
    const message: RunMessage = { type: 'run', jobId: job.id, kind: job.kind, input: job.input };
    try {
      slot.worker.postMessage(message);
    } catch (error) {
      // The input cannot be cloned; the worker never saw the job and stays usable.
      this.settle(job);
      slot.worker.unref();
      const reason = error instanceof Error ? error.message : String(error);
      job.reject(new JobFailedError(job.kind, `job '${job.kind}' input cannot be sent to a worker: ${reason}`, { crashed: false, cause: error }));
      return;
    }
    slot.job = job;
    job.slot = slot;
    job.options.onStart?.();
    // Only busy workers keep the process alive; an idle pool must not block exit.
    slot.worker.ref();
    const { timeoutMs } = job.options;
    if (timeoutMs !== undefined) {
      job.timer = setTimeout(() => this.abort(job, new JobTimeoutError(job.kind, timeoutMs)), timeoutMs);
    }
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    const job = slot.job;
    // Late messages of a job that was already settled are dropped.
    if (job === undefined || job.id !== message.jobId) return;
    switch (message.type) {
      case 'progress':
        job.options.onProgress?.(message.detail === undefined
          ? { fraction: message.fraction }
          : { fraction: message.fraction, detail: message.detail });
        return;
      case 'result':
        this.release(slot, job);
        job.resolve(message.output);
        return;
      case 'error': {
        const { name, message: text, stack, fields } = message.error;
        this.release(slot, job);
        job.reject(new JobFailedError(job.kind, text, { crashed: false, workerName: name, workerStack: stack, ...(fields ? { fields } : {}) }));
        return;
      }
    }
  }

  private onMessageError(slot: Slot, error: Error): void {
    const job = slot.job;
    if (job === undefined) return;
    // The worker may still be inside the job, so it cannot take another one.
    this.retire(slot);
    this.settle(job);
    job.reject(new JobFailedError(job.kind, `a message of job '${job.kind}' could not be received: ${error.message}`, { crashed: false, cause: error }));
  }

  private onExit(slot: Slot, code: number): void {
    this.slots.delete(slot);
    const job = slot.job;
    if (job !== undefined && !slot.retiring) {
      this.settle(job);
      const why = slot.crash ? slot.crash.message : `it exited with code ${code}`;
      job.reject(new JobFailedError(job.kind, `worker crashed while running job '${job.kind}': ${why}`, { crashed: true, cause: slot.crash }));
    }
    // A replacement starts only if jobs are waiting.
    this.pump();
  }

  /** Ends a job early: removed from the queue, or its worker terminated mid-run. */
  private abort(job: Job, error: JobError): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    else if (job.slot) this.retire(job.slot);
    else return; // already settled
    this.settle(job);
    job.reject(error);
  }

  /** Terminates a worker whose state is unknown; its 'exit' frees the slot. */
  private retire(slot: Slot): void {
    slot.retiring = true;
    slot.job = undefined;
    void slot.worker.terminate();
  }

  /** The job finished normally: its worker takes the next one. */
  private release(slot: Slot, job: Job): void {
    this.settle(job);
    slot.worker.unref();
    this.pump();
  }

  /** Drops the job's timer and abort listener; every ending goes through here exactly once. */
  private settle(job: Job): void {
    clearTimeout(job.timer);
    if (job.onAbort) job.options.signal?.removeEventListener('abort', job.onAbort);
    if (job.slot?.job === job) job.slot.job = undefined;
    job.slot = undefined;
  }
}

function cancelled(kind: string, signal: AbortSignal): JobCancelledError {
  const reason: unknown = signal.reason;
  return new JobCancelledError(kind, `job '${kind}' was cancelled`, { cause: reason });
}

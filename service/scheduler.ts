// Carries journaled runs through the worker pool: queued -> running when a
// worker takes one, then done (results in one transaction), failed (with the
// message), or cancelled (partial data discarded: nothing is written before
// the end).
import { availableParallelism } from 'node:os';
import type { Scenario } from '../core/index.ts';
import type { Journal, RunStatus } from '../db/index.ts';
import { JobCancelledError, JobFailedError, JobTimeoutError, WorkerPool } from './pool/index.ts';
import { JournalWrites } from './journal-writes.ts';
import { favorMemoryOverSpeed } from './memory.ts';
import type { RunOutput } from './run-output.ts';
import type { JobInput, JobKind, JobOutput } from './workers/jobs.ts';

/** The worker entry beside this file; a bundled host (Electron) passes its bundled copy instead. */
const JOBS_WORKER_URL = new URL('./workers/jobs.worker.ts', import.meta.url);
/** No default scenario runs longer than seconds; a limit of 10 min catches a runaway model without cutting real work. */
export const DEFAULT_TIME_LIMIT_MS = 10 * 60_000;
const MAX_WORKERS = 8;

export interface SchedulerHooks {
  onStatus(runId: string, status: RunStatus, error: string | null): void;
  onProgress(runId: string, fraction: number): void;
}

/** How a run ended, and the journal write that records it. */
interface Ending {
  status: 'done' | 'failed' | 'cancelled';
  error: string | null;
  write: () => void;
}

interface ActiveRun {
  controller: AbortController;
  ended: Promise<void>;
}

export class RunScheduler {
  /** The journal is opened by the first run, not by the scheduler. */
  readonly #journal: () => Journal;
  /** Every journal write goes through here: never thrown out of a pool callback, retried while another process holds the lock. */
  readonly #writes: JournalWrites;
  readonly #hooks: SchedulerHooks;
  readonly #maxWorkers: number;
  readonly #workerUrl: URL;
  #pool: WorkerPool | undefined;
  /** One thread for parsing large messages, apart from the runs' pool so a message never waits behind a simulation. */
  #parser: WorkerPool | undefined;
  readonly #active = new Map<string, ActiveRun>();

  constructor(journal: () => Journal, hooks: SchedulerHooks, opts: { workers?: number; workerUrl?: URL; writes?: JournalWrites } = {}) {
    this.#journal = journal;
    this.#writes = opts.writes ?? new JournalWrites({ path: () => journal().path });
    this.#workerUrl = opts.workerUrl ?? JOBS_WORKER_URL;
    this.#hooks = hooks;
    this.#maxWorkers = Math.max(1, Math.min(opts.workers ?? availableParallelism(), MAX_WORKERS));
  }

  get workers(): number {
    return this.#maxWorkers;
  }

  /** Whether a job has started the pool (it starts with the first). */
  get poolStarted(): boolean {
    return this.#pool !== undefined;
  }

  /** The pool starts with the first run and grows to min(cores, jobs): workers start only when jobs wait. */
  #poolFor(): WorkerPool {
    // Runs make garbage fast here (results cloned from the workers, their journal rows): memory.ts.
    if (this.#pool === undefined) favorMemoryOverSpeed();
    this.#pool ??= new WorkerPool({ workerUrl: this.#workerUrl, size: this.#maxWorkers, progressIntervalMs: 100 });
    return this.#pool;
  }

  /** Submits a queued run; resolves when it has ended, whatever the outcome. */
  schedule(runId: string, scenario: Scenario, timeLimitMs = DEFAULT_TIME_LIMIT_MS): Promise<void> {
    const controller = new AbortController();
    let startedAt = performance.now();
    const job = this.#poolFor().run<JobInput<'simulate'>, RunOutput>('simulate', scenario, {
      signal: controller.signal,
      timeoutMs: timeLimitMs,
      onStart: () => {
        startedAt = performance.now(); // the run's duration leaves out its time in the queue
        // Written in the background: the run is running whether or not the journal can say so yet.
        // The queue keeps it before the run's ending; a refusal (the run was deleted) has nothing to report.
        this.#writes.run(() => this.#journal().runs.markRunning(runId)).catch(() => undefined);
        this.#hooks.onStatus(runId, 'running', null);
      },
      onProgress: ({ fraction }) => this.#hooks.onProgress(runId, fraction),
    });
    const ended = job
      .then(
        (out): Ending => ({ status: 'done', error: null, write: () => this.#journal().runs.completeRun(runId, { result: out.result, metrics: out.metrics, series: out.series, durationMs: performance.now() - startedAt }) }),
        (err: unknown): Ending => {
          if (err instanceof JobCancelledError) return { status: 'cancelled', error: null, write: () => this.#journal().runs.cancelRun(runId) };
          const message = err instanceof JobTimeoutError || err instanceof JobFailedError ? err.message : `internal error: ${String(err)}`;
          return { status: 'failed', error: message, write: () => this.#journal().runs.failRun(runId, message) };
        },
      )
      .then((ending) => this.#record(runId, ending))
      .then(
        (ending) => (ending ? this.#hooks.onStatus(runId, ending.status, ending.error) : undefined),
        () => undefined, // never thrown: #journal_ reports what it could not write
      )
      .finally(() => this.#active.delete(runId));
    this.#active.set(runId, { controller, ended });
    return ended;
  }

  /**
   * Writes a run's ending. No bound on the wait: a held lock delays the
   * result, never drops it. A result the journal refuses (a value out of its
   * rules) ends the run `failed` with the reason; a run deleted meanwhile has
   * nothing left to report (undefined).
   */
  async #record(runId: string, ending: Ending): Promise<Omit<Ending, 'write'> | undefined> {
    try {
      await this.#writes.run(ending.write);
      return ending;
    } catch (err) {
      if (ending.status !== 'done') return undefined;
      const message = `the result could not be journaled: ${(err as Error).message}`;
      try {
        await this.#writes.run(() => this.#journal().runs.failRun(runId, message));
        return { status: 'failed', error: message };
      } catch {
        return undefined;
      }
    }
  }

  /** A job that is not a journaled run (an unsaved simulation, history analysis, calibration) on the same workers, so the host's thread stays responsive. */
  job<K extends JobKind>(kind: K, input: JobInput<K>, opts: { signal?: AbortSignal; onProgress?: (fraction: number) => void; timeoutMs?: number; ahead?: boolean } = {}): Promise<JobOutput<K>> {
    return this.#poolFor().run<JobInput<K>, JobOutput<K>>(kind, input, {
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIME_LIMIT_MS,
      ...(opts.ahead ? { ahead: true } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: ({ fraction }: { fraction: number }) => opts.onProgress?.(fraction) } : {}),
    });
  }

  /**
   * A JSON message of megabytes parsed on a thread of its own: the host's
   * thread only takes in the result (a copy of its strings, a few ms for an
   * import of 4 MiB, against 15-20 ms to decode and parse it, and more under load).
   */
  parseJson(bytes: Uint8Array): Promise<unknown> {
    this.#parser ??= new WorkerPool({ workerUrl: this.#workerUrl, size: 1 });
    return this.#parser.run<Uint8Array, unknown>('parseJson', bytes, { timeoutMs: DEFAULT_TIME_LIMIT_MS });
  }

  isActive(runId: string): boolean {
    return this.#active.has(runId);
  }

  /** Cancels the runs this process is carrying; returns how many were still active. */
  cancel(runIds: readonly string[]): number {
    let n = 0;
    for (const id of runIds) {
      const run = this.#active.get(id);
      if (run && !run.controller.signal.aborted) {
        run.controller.abort();
        n++;
      }
    }
    return n;
  }

  /** Resolves when the given runs (those this process carries) have ended. */
  async settled(runIds: readonly string[]): Promise<void> {
    await Promise.all(runIds.map((id) => this.#active.get(id)?.ended));
  }

  /** Cancels what is still running and stops the workers. */
  async close(): Promise<void> {
    const ended = [...this.#active.values()].map((r) => r.ended);
    for (const r of this.#active.values()) r.controller.abort();
    await Promise.all(ended);
    await Promise.all([this.#pool?.close(), this.#parser?.close()]);
  }
}

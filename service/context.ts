// What every domain's handlers share: the journal (opened on first use), the
// scheduler and its worker pool (started on the first job), events, cost
// profiles, and run-id and benchmark lookups. Constructing it opens nothing,
// so methods that need neither (policy.resolve, scenario.preview without a
// cost profile) run without loading SQLite or starting a worker.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { MODEL_VERSION, type Scenario } from '../core/index.ts';
import { JournalOpenError, openJournal, openJournalSnapshot, type Benchmark, type Journal, type RunStatus, type RunSummary, type SchemaUpgrade } from '../db/index.ts';
import { findBenchmark } from './benchmark-lookup.ts';
import { summaryOf } from './compare.ts';
import { ServiceError } from './errors.ts';
import { events, type EventData, type EventName } from './protocol/events.ts';
import { isEndedStatus } from './protocol/fields.ts';
import type { RunPlace } from './protocol/constants.ts';
import type { MethodName, ParsedParams, Result } from './protocol/methods.ts';
import { JournalBusyError, JournalWrites, SERVICE_BUSY_TIMEOUT_MS } from './journal-writes.ts';
import { RemoteScheduler } from './distributed/remote-scheduler.ts';
import { RunScheduler } from './scheduler.ts';
import type { CostProfiles } from './scenarios.ts';

export interface LabOptions {
  journalPath: string;
  /** Worker threads at most (default: cores, capped at 8). */
  workers?: number;
  /** The jobs worker module; default: service/workers/jobs.worker.ts (bundled hosts pass their own). */
  workerUrl?: URL;
  /** Check every result and event against the protocol's schemas too (tests; costs a parse per call). */
  validateResults?: boolean;
  /** Hears what the user should know but that is no error (a journal opened read-only). */
  onNotice?: (message: string) => void;
  /** Journaled runs go to `iommu-lab worker` processes through this Redis (BullMQ) instead of this machine's threads. */
  redisUrl?: string;
}

/** A method's writes wait this long for another process's lock before the caller hears "journal busy". */
export const METHOD_BUSY_BOUND_MS = 15_000;

export type Handler<M extends MethodName> = (params: ParsedParams<M>) => Result<M> | Promise<Result<M>>;
export type Handlers = { [M in MethodName]: Handler<M> };
/** A domain's part of the handlers. */
export type DomainHandlers<M extends MethodName> = { [K in M]: Handler<K> };

interface SweepCounts {
  total: number;
  ended: number;
  failed: number;
  cancelled: number;
}

/** In place if SQLite can; else (a folder this process cannot write) from a private copy taken now. */
function openReadOnly(path: string): Journal {
  try {
    return openJournal(path, { readonly: true, busyTimeoutMs: SERVICE_BUSY_TIMEOUT_MS });
  } catch (err) {
    if (!(err instanceof JournalOpenError)) throw err;
    return openJournalSnapshot(path);
  }
}

export class LabContext {
  readonly journalPath: string;
  readonly validateResults: boolean;
  readonly scheduler: RunScheduler | RemoteScheduler;
  /** Set when runs go through Redis (LabOptions.redisUrl). */
  readonly remote: RemoteScheduler | undefined;
  /** The queue of journal writes that found the lock taken (journal-writes.ts). */
  readonly writes: JournalWrites;
  readonly #events = new EventEmitter();
  #journal: Journal | undefined;
  /** Why the journal is open read-only, when it is. */
  #readOnlyReason: string | undefined;
  readonly #onNotice: ((message: string) => void) | undefined;
  #closed = false;
  /** Sweeps this process carries: counts for sweep.progress. */
  readonly #sweeps = new Map<string, SweepCounts>();
  readonly #sweepOf = new Map<string, string>();

  /**
   * Cost profiles as scenarios resolve them. The journal opens only when a
   * scenario names one, and a journal that does not exist yet holds none (it
   * is not created just to say so).
   */
  readonly profiles: CostProfiles = {
    get: (name) => (this.#hasJournal() ? this.journal.profiles.getCostProfile(name) : undefined),
    names: () => (this.#hasJournal() ? this.journal.profiles.listCostProfiles().map((p) => p.name) : []),
  };

  #hasJournal(): boolean {
    return this.#journal !== undefined || existsSync(this.journalPath);
  }

  constructor(opts: LabOptions) {
    this.journalPath = opts.journalPath;
    this.validateResults = opts.validateResults === true;
    this.#onNotice = opts.onNotice;
    this.#events.setMaxListeners(0);
    this.writes = new JournalWrites({ path: () => this.journalPath, onBusy: (state) => this.emit('journal.busy', { path: this.journalPath, ...state }) });
    const hooks = {
      onStatus: (runId: string, status: RunStatus, error: string | null) => this.#onStatus(runId, status, error),
      onProgress: (runId: string, fraction: number) => this.emit('run.progress', { runId, fraction }),
    };
    const local = new RunScheduler(() => this.journal, hooks, {
      writes: this.writes,
      ...(opts.workers === undefined ? {} : { workers: opts.workers }),
      ...(opts.workerUrl === undefined ? {} : { workerUrl: opts.workerUrl }),
    });
    this.remote = opts.redisUrl === undefined ? undefined : new RemoteScheduler(opts.redisUrl, () => this.journal, hooks, this.writes, local);
    this.scheduler = this.remote ?? local;
  }

  /** The journal, opened (created and migrated if needed) on first use. */
  get journal(): Journal {
    if (this.#closed && this.#journal === undefined) throw new ServiceError('unavailable', 'the service is closed');
    this.#journal ??= this.#openJournal();
    return this.#journal;
  }

  /**
   * Read-write if possible; a journal that is there but cannot be written (a
   * read-only file or folder) opens read-only, so it can still be listed,
   * shown and exported, and the host is told.
   */
  #openJournal(): Journal {
    const opts = {
      busyTimeoutMs: SERVICE_BUSY_TIMEOUT_MS,
      onUpgrade: ({ from, to, runs }: SchemaUpgrade) =>
        this.#onNotice?.(`upgrading journal ${this.journalPath} from schema ${from} to ${to} (${runs} runs): once, and about a minute per 500k runs; nothing else can write it meanwhile`),
    };
    let journal: Journal;
    try {
      journal = openJournal(this.journalPath, opts);
    } catch (err) {
      if (!(err instanceof JournalOpenError) || !existsSync(this.journalPath)) throw err;
      try {
        journal = openReadOnly(this.journalPath);
      } catch {
        throw err; // the first reason is the one to give
      }
      this.#readOnlyReason = err.reason;
    }
    if (journal.readonly) {
      this.#readOnlyReason ??= 'no permission to write the file';
      this.#onNotice?.(`journal ${this.journalPath} opened read-only (${this.#readOnlyReason}): listing, showing and exporting work, changes are refused`);
    }
    return journal;
  }

  /**
   * Runs a method's handler; when it met another process's write lock
   * (nothing of its transaction was written), runs it again behind the
   * waiting writes, for up to METHOD_BUSY_BOUND_MS, then says the journal is busy.
   */
  async retryOnBusy<T>(handler: () => T | Promise<T>): Promise<T> {
    try {
      return await this.writes.run(handler, { boundMs: METHOD_BUSY_BOUND_MS, tryFirst: true });
    } catch (err) {
      if (err instanceof JournalBusyError) throw new ServiceError('unavailable', err.message);
      const code = (err as { code?: unknown } | null)?.code;
      if (this.#readOnlyReason !== undefined && typeof code === 'string' && code.startsWith('SQLITE_READONLY')) {
        throw new ServiceError('unavailable', `journal ${this.journalPath} is open read-only (${this.#readOnlyReason}); this method changes it`);
      }
      throw err;
    }
  }

  get journalOpen(): boolean {
    return this.#journal !== undefined;
  }

  on<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void {
    this.#events.on(event, listener);
    return () => this.#events.off(event, listener);
  }

  emit<E extends EventName>(event: E, data: EventData<E>): void {
    if (this.validateResults) events[event].parse(data);
    this.#events.emit(event, data);
  }

  #onStatus(runId: string, status: RunStatus, error: string | null): void {
    this.emit('run.status', { runId, status, error });
    const sweepId = this.#sweepOf.get(runId);
    const sweep = sweepId === undefined ? undefined : this.#sweeps.get(sweepId);
    if (sweepId === undefined || sweep === undefined || !isEndedStatus(status)) return;
    this.#sweepOf.delete(runId);
    sweep.ended++;
    if (status === 'failed') sweep.failed++;
    if (status === 'cancelled') sweep.cancelled++;
    this.emit('sweep.progress', { sweepId, ...sweep });
    if (sweep.ended === sweep.total) this.#sweeps.delete(sweepId);
  }

  /** A full run id from an id or a unique prefix of one (as people type them). */
  resolveRunId(idOrPrefix: string): string {
    const found = this.journal.runs.findRunIds(idOrPrefix, 2);
    if (found.length === 1) return found[0] as string;
    if (found.length === 0) throw new ServiceError('not_found', `run ${JSON.stringify(idOrPrefix)} not found in the journal`);
    throw ServiceError.invalid([{ path: 'id', message: `${JSON.stringify(idOrPrefix)} matches more than one run; give more characters` }]);
  }

  resolveRunIds(ids: readonly string[]): string[] {
    return [...new Set(ids.map((id) => this.resolveRunId(id)))];
  }

  summaries(ids: readonly string[]): RunSummary[] {
    return ids.map((id) => summaryOf(this.journal.runs.getRun(id, { series: false })));
  }

  /** A benchmark by name, or not_found (the one lookup, benchmark-lookup.ts). */
  benchmark(name: string): Benchmark {
    return findBenchmark(this.journal, name);
  }

  /**
   * Checks a place can take runs, before any is journaled: 'workers' needs a
   * Redis that answers and, when workers are online, one that runs this
   * model version (workers refuse another model's jobs). Returns the
   * compatible workers online; null for this machine.
   */
  async checkRunPlace(runOn: RunPlace): Promise<number | null> {
    if (runOn === 'this-machine') return null;
    if (!this.remote) throw ServiceError.invalid([{ path: 'runOn', message: "'workers' needs a Redis URL: start the service with --redis URL (serve --redis, sweep --redis)" }]);
    await this.remote.connect();
    const online = await this.remote.onlineWorkers();
    const compatible = online.filter((w) => w.compatible).length;
    if (online.length > 0 && compatible === 0) {
      const seen = online.map((w) => `${w.name} (model ${w.modelVersion ?? 'unknown'})`).join(', ');
      throw ServiceError.invalid([
        { path: 'runOn', message: `no worker on ${this.remote.redisUrl} runs model ${MODEL_VERSION}, and workers refuse another model's jobs (online: ${seen}); start \`iommu-lab worker\` from this release` },
      ]);
    }
    return compatible;
  }

  /** Journals the runs (all or none), then hands them to this machine's threads or to the workers (checkRunPlace first). */
  queue(
    runs: { name: string; scenario: Scenario }[],
    opts: { experimentId: string | null; tags: readonly string[]; timeLimitMs?: number | undefined; sweepId?: string; runOn: RunPlace },
  ): string[] {
    const runIds = this.journal.runs.insertRunsBulk(
      runs.map((r) => ({ name: r.name, scenario: r.scenario, modelVersion: MODEL_VERSION, seed: r.scenario.seed, status: 'queued' as const, experimentId: opts.experimentId, tags: opts.tags })),
    );
    if (opts.sweepId !== undefined) {
      this.#sweeps.set(opts.sweepId, { total: runIds.length, ended: 0, failed: 0, cancelled: 0 });
      for (const id of runIds) this.#sweepOf.set(id, opts.sweepId);
    }
    runIds.forEach((id, i) => {
      this.emit('run.status', { runId: id, status: 'queued', error: null });
      const scenario = (runs[i] as { scenario: Scenario }).scenario;
      void (this.remote ? this.remote.schedule(id, scenario, opts.timeLimitMs, opts.runOn === 'this-machine') : this.scheduler.schedule(id, scenario, opts.timeLimitMs));
    });
    return runIds;
  }

  /** Hands runs that are journaled already (a resumed sweep) to the scheduler again, counted as one sweep. */
  resume(runs: readonly { id: string; scenario: Scenario }[], sweepId: string): string[] {
    this.#sweeps.set(sweepId, { total: runs.length, ended: 0, failed: 0, cancelled: 0 });
    for (const r of runs) {
      this.#sweepOf.set(r.id, sweepId);
      void this.scheduler.schedule(r.id, r.scenario);
    }
    return runs.map((r) => r.id);
  }

  /** Cancels the runs this process carries, stops the workers, closes the journal (if it was opened). */
  async close(): Promise<void> {
    await this.scheduler.close();
    await this.writes.drained();
    this.#closed = true;
    this.#journal?.close();
  }
}

// Journal writes when another process may hold SQLite's write lock (a merge,
// a backup, another lab on the same file). The service has one event loop:
// SQLite's own busy wait would freeze every client for as long as its timeout,
// and an error thrown out of a worker-pool callback would take the host down.
// So the service's connection waits only briefly (SERVICE_BUSY_TIMEOUT_MS),
// and a write that still finds the lock taken waits here, asynchronously, in
// one FIFO queue: one probe at a time, so a hundred finished runs waiting for
// the lock block the loop no more than one does, and writes keep their order
// (a run's `running` before its `done`).
import { setTimeout as sleep } from 'node:timers/promises';
import { writeLockHolder } from './lock-holder.ts';

/** The service's connection waits this long in SQLite's busy handler, blocking the event loop, before the async retry takes over. */
export const SERVICE_BUSY_TIMEOUT_MS = 50;
/** Pause between two tries once the lock was found taken: doubles from the first to the last. */
const FIRST_PAUSE_MS = 10;
const MAX_PAUSE_MS = 500;
/** After waiting this long, hosts are told the journal is busy (and told again when it frees). */
export const BUSY_NOTICE_AFTER_MS = 500;

/** What a host hears while writes wait for another process's lock. */
export interface BusyState {
  busy: boolean;
  /** Writes waiting (finished runs among them). */
  pendingWrites: number;
  /** How long the oldest waiting write has waited. */
  waitedMs: number;
  /** The process holding the lock, when the system says (Linux). */
  holderPid: number | null;
  /** With busy false: the lock was released and the waiting writes went through (false: the last one gave up waiting). */
  released: boolean;
}

/** SQLite refused the write lock (another connection holds it). Nothing of the attempted transaction was written. */
export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** "another process (pid N)", or without the pid when it is not known. */
export function otherProcess(pid: number | null | undefined): string {
  return pid === null || pid === undefined ? 'another process' : `another process (pid ${pid})`;
}

export function busyMessage(path: string, waitedMs: number, holderPid?: number): string {
  return `journal busy: ${otherProcess(holderPid)} is writing ${path} (waited ${(waitedMs / 1000).toFixed(1)} s); try again when it has finished`;
}

/** A write that waited longer than its bound. Nothing of it was written. */
export class JournalBusyError extends Error {
  override readonly name = 'JournalBusyError';
}

interface Options {
  /** The journal's file, for messages. */
  path: () => string;
  onBusy?: (state: BusyState) => void;
  noticeAfterMs?: number;
}

export class JournalWrites {
  readonly #opts: Options;
  /** Settles when every write queued so far has settled. */
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #waitingSince: number | null = null;
  #noticed = false;

  constructor(opts: Options) {
    this.#opts = opts;
  }

  get pendingWrites(): number {
    return this.#pending;
  }

  /**
   * Runs `write` (one transaction: on SQLITE_BUSY nothing of it was written)
   * now when no write waits, else after those that do; retries while the lock
   * is taken. With `boundMs`, gives up after waiting that long with a
   * JournalBusyError; without, waits as long as the lock is held (a finished
   * run's result is never dropped). Any other error rejects at once.
   * `tryFirst` tries at once even when writes wait: a method's reads pass
   * while finished runs wait for the lock; its write, if refused, queues.
   */
  run<T>(write: () => T | Promise<T>, opts: { boundMs?: number; tryFirst?: boolean } = {}): Promise<T> {
    if (this.#pending === 0 || opts.tryFirst === true) {
      try {
        const value = write();
        return Promise.resolve(value).catch((err: unknown) => (isBusyError(err) ? this.#enqueue(write, opts.boundMs, true) : Promise.reject(err)));
      } catch (err) {
        if (!isBusyError(err)) return Promise.reject(err);
        return this.#enqueue(write, opts.boundMs, true);
      }
    }
    return this.#enqueue(write, opts.boundMs, false);
  }

  /** `refused`: the write has just met the lock; its next try waits a pause (two busy waits back to back would hold the loop twice as long). */
  #enqueue<T>(write: () => T | Promise<T>, boundMs: number | undefined, refused: boolean): Promise<T> {
    this.#pending++;
    const queuedAt = Date.now();
    const attempt = this.#tail.then(async () => {
      if (refused) await sleep(FIRST_PAUSE_MS);
      return this.#retry(write, queuedAt, boundMs);
    });
    this.#tail = attempt.then(
      () => undefined,
      () => undefined,
    );
    return attempt.then(
      (value) => {
        this.#settleOne(true);
        return value;
      },
      (err: unknown) => {
        this.#settleOne(!(err instanceof JournalBusyError));
        throw err;
      },
    );
  }

  /** One queued write settled; `through`: it was written (or failed for a reason of its own), not given up on the lock. */
  #settleOne(through: boolean): void {
    this.#pending--;
    if (this.#pending === 0) this.#settle(through);
  }

  async #retry<T>(write: () => T | Promise<T>, queuedAt: number, boundMs: number | undefined): Promise<T> {
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
      try {
        return await write();
      } catch (err) {
        if (!isBusyError(err)) throw err;
      }
      const now = Date.now();
      this.#waitingSince ??= queuedAt;
      if (boundMs !== undefined && now - queuedAt >= boundMs) {
        throw new JournalBusyError(busyMessage(this.#opts.path(), now - queuedAt, writeLockHolder(this.#opts.path())));
      }
      if (!this.#noticed && now - this.#waitingSince >= (this.#opts.noticeAfterMs ?? BUSY_NOTICE_AFTER_MS)) {
        this.#noticed = true;
        const holderPid = writeLockHolder(this.#opts.path()) ?? null;
        this.#opts.onBusy?.({ busy: true, pendingWrites: this.#pending, waitedMs: now - this.#waitingSince, holderPid, released: false });
      }
      await sleep(pause);
    }
  }

  /**
   * The queue drained: a host that heard "busy" hears that no write waits any
   * more, and whether the lock was released (the writes went through) or the
   * last write gave up (its caller got the error).
   */
  #settle(through: boolean): void {
    const since = this.#waitingSince;
    this.#waitingSince = null;
    if (!this.#noticed) return;
    this.#noticed = false;
    this.#opts.onBusy?.({ busy: false, pendingWrites: 0, waitedMs: since === null ? 0 : Date.now() - since, holderPid: null, released: through });
  }

  /** Resolves when every write queued so far has settled. */
  drained(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}

// The service every host carries: the protocol's methods, composed from one
// set of handlers per domain, over a shared context. `call` validates params
// at the boundary, runs the handler, and turns whatever goes wrong into a
// ServiceError (code, message, and the fields at fault). Nothing opens until
// a method needs it: the journal on the first journal method, the workers on
// the first job.
import { LabContext, type Handlers, type LabOptions } from './context.ts';
import { ServiceError, toServiceError } from './errors.ts';
import { benchmarksHandlers } from './handlers/benchmarks.ts';
import { calibrationHandlers } from './handlers/calibration.ts';
import { experimentsHandlers } from './handlers/experiments.ts';
import { exportsHandlers } from './handlers/exports.ts';
import { importsHandlers } from './handlers/imports.ts';
import { journalHandlers } from './handlers/journal.ts';
import { profilesHandlers } from './handlers/profiles.ts';
import { runsHandlers } from './handlers/runs.ts';
import { scenarioHandlers } from './handlers/scenario.ts';
import { sweepsHandlers } from './handlers/sweeps.ts';
import { fieldsOfZodError } from './protocol/errors.ts';
import type { EventData, EventName } from './protocol/events.ts';
import { isMethodName, methods, type MethodName, type Params, type Result } from './protocol/methods.ts';
import type { LabApi } from './protocol/wire.ts';
import type { Journal } from '../db/index.ts';

export type { LabOptions } from './context.ts';

export class Lab implements LabApi {
  readonly #ctx: LabContext;
  readonly #handlers: Handlers;

  /** A service over the journal at `opts.journalPath`; the file is opened (created, migrated) by the first method that needs it. */
  static open(opts: LabOptions): Lab {
    return new Lab(opts);
  }

  private constructor(opts: LabOptions) {
    const ctx = new LabContext(opts);
    this.#ctx = ctx;
    this.#handlers = {
      ...scenarioHandlers(ctx),
      ...journalHandlers(ctx),
      ...runsHandlers(ctx),
      ...sweepsHandlers(ctx),
      ...exportsHandlers(ctx),
      ...experimentsHandlers(ctx),
      ...importsHandlers(ctx),
      ...benchmarksHandlers(ctx),
      ...calibrationHandlers(ctx),
      ...profilesHandlers(ctx),
    };
  }

  /** The journal (opened now if no method has opened it yet). */
  get journal(): Journal {
    return this.#ctx.journal;
  }

  /** Whether a method has opened the journal. */
  get journalOpen(): boolean {
    return this.#ctx.journalOpen;
  }

  /** Whether a job has started the worker pool. */
  get workersStarted(): boolean {
    return this.#ctx.scheduler.poolStarted;
  }

  /** Calls a method by name with untrusted params (what transports do). */
  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>>;
  async call(method: string, params: unknown): Promise<unknown>;
  async call(method: string, params: unknown): Promise<unknown> {
    if (!isMethodName(method)) {
      throw ServiceError.invalid([{ path: 'method', message: `unknown method ${JSON.stringify(method)}; allowed: ${Object.keys(methods).join(', ')}` }]);
    }
    const parsed = methods[method].params.safeParse(params ?? {});
    if (!parsed.success) throw ServiceError.invalid(fieldsOfZodError(parsed.error));
    let result: unknown;
    try {
      // A method that met another process's write lock waits for it asynchronously (the event loop stays free).
      result = await this.#ctx.retryOnBusy(() => (this.#handlers[method] as (p: unknown) => unknown)(parsed.data));
    } catch (err) {
      throw toServiceError(err);
    }
    if (this.#ctx.validateResults) {
      const check = methods[method].result.safeParse(result);
      if (!check.success) throw new ServiceError('internal', `result of ${method} breaks the contract: ${check.error.message}`);
    }
    return result;
  }

  /** A large message's JSON parsed off this thread (transports use it for messages of megabytes). */
  parseJson(bytes: Uint8Array): Promise<unknown> {
    return this.#ctx.scheduler.parseJson(bytes);
  }

  on<E extends EventName>(event: E, listener: (data: EventData<E>) => void): () => void {
    return this.#ctx.on(event, listener);
  }

  /** Cancels the runs this process carries, stops the workers, closes the journal. */
  close(): Promise<void> {
    return this.#ctx.close();
  }
}

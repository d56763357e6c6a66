// Worker side of the pool: a worker module calls defineWorker() once with its
// handlers; this file turns pool messages into handler calls and back.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { isRunMessage } from './protocol.ts';
import type { FromWorker, PoolWorkerData, RunMessage, SerializedError } from './protocol.ts';

export interface JobContext {
  /**
   * Reports progress in [0, 1] (clamped). Calls are cheap: messages are
   * throttled here to one per progress interval, and a final 1.0 is always
   * sent when the handler returns.
   */
  progress(fraction: number, detail?: unknown): void;
}

/**
 * A job handler. Its input arrives by structured clone; its return value (or
 * the promise's value) goes back the same way. `input: never` lets each handler
 * declare its own input type.
 */
export type JobHandler = (input: never, ctx: JobContext) => unknown;

const DEFAULT_PROGRESS_INTERVAL_MS = 100;

/** Serves pool jobs from this worker thread with the given handlers, keyed by job kind. */
export function defineWorker(handlers: Record<string, JobHandler>): void {
  const port = parentPort;
  if (isMainThread || port === null) {
    throw new Error('defineWorker() must be called from a module running in a worker thread');
  }
  const intervalMs = progressIntervalOf(workerData);
  port.on('message', (message: unknown) => {
    if (isRunMessage(message)) void runJob(port, handlers, message, intervalMs);
  });
}

function progressIntervalOf(data: unknown): number {
  const value = (data as Partial<PoolWorkerData> | null | undefined)?.progressIntervalMs;
  return typeof value === 'number' && value >= 0 ? value : DEFAULT_PROGRESS_INTERVAL_MS;
}

async function runJob(
  port: MessagePort,
  handlers: Record<string, JobHandler>,
  { jobId, kind, input }: RunMessage,
  intervalMs: number,
): Promise<void> {
  const post = (message: FromWorker): void => port.postMessage(message);
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let lastFraction: number | undefined;
  let done = false;

  const ctx: JobContext = {
    progress(fraction, detail) {
      // A handler may keep ctx around; the pool has moved on by then.
      if (done) return;
      if (!Number.isFinite(fraction)) throw new RangeError(`progress fraction must be a finite number, got ${fraction}`);
      const clamped = Math.min(1, Math.max(0, fraction));
      const now = performance.now();
      const isFinal = clamped === 1 && lastFraction !== 1;
      if (!isFinal && now - lastSentAt < intervalMs) return;
      lastSentAt = now;
      lastFraction = clamped;
      post(detail === undefined
        ? { type: 'progress', jobId, fraction: clamped }
        : { type: 'progress', jobId, fraction: clamped, detail });
    },
  };

  let output: unknown;
  try {
    const handler = Object.hasOwn(handlers, kind) ? handlers[kind] : undefined;
    if (handler === undefined) {
      const known = Object.keys(handlers).join(', ') || 'none';
      throw new Error(`unknown job kind '${kind}' (this worker handles: ${known})`);
    }
    output = await handler(input as never, ctx);
    ctx.progress(1);
  } catch (error) {
    done = true;
    post({ type: 'error', jobId, error: serializeError(error) });
    return;
  }
  done = true;
  try {
    post({ type: 'result', jobId, output });
  } catch (error) {
    // Typically a DataCloneError: the output holds functions, class instances with private state, etc.
    const { message } = serializeError(error);
    post({ type: 'error', jobId, error: { name: 'DataCloneError', message: `job '${kind}' returned a value that cannot be sent to the pool: ${message}` } });
  }
}

/** The fields of an input error, when the error carries them as data (read by shape, not by class name). */
function fieldsOf(error: Error): SerializedError['fields'] {
  const fields = (error as { fields?: unknown }).fields;
  if (!Array.isArray(fields)) return undefined;
  const ok = fields.every((f) => f !== null && typeof f === 'object' && typeof f.path === 'string' && typeof f.message === 'string');
  return ok ? fields.map((f: { path: string; message: string }) => ({ path: f.path, message: f.message })) : undefined;
}

function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const fields = fieldsOf(error);
    return {
      name: error.name,
      message: error.message,
      ...(error.stack === undefined ? {} : { stack: error.stack }),
      ...(fields === undefined ? {} : { fields }),
    };
  }
  let message: string;
  try {
    message = String(error);
  } catch {
    message = 'a non-Error value was thrown';
  }
  return { name: 'Error', message };
}

// Messages between the pool and its workers. Everything here crosses threads
// by structured clone, so it holds plain data only.

/** Data every pool worker starts with (`workerData`). */
export interface PoolWorkerData {
  /** Minimum time between two progress messages of one job. */
  progressIntervalMs: number;
  /** Set when the worker module is TypeScript and is loaded through the tsx entry. */
  tsx?: {
    /** URL of tsx's ESM register API. */
    apiUrl: string;
    /** URL of the worker module to import once tsx is registered. */
    moduleUrl: string;
  };
}

/** Pool -> worker: run one job. A worker runs one job at a time. */
export interface RunMessage {
  type: 'run';
  jobId: number;
  kind: string;
  input: unknown;
}

export type ToWorker = RunMessage;

export interface ProgressMessage {
  type: 'progress';
  jobId: number;
  /** In [0, 1]. */
  fraction: number;
  detail?: unknown;
}

export interface ResultMessage {
  type: 'result';
  jobId: number;
  output: unknown;
}

/** An Error reduced to what survives the trip between threads. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** For bad input: every field at fault (an error with an own `fields` array of {path, message}). */
  fields?: { path: string; message: string }[];
}

export interface ErrorMessage {
  type: 'error';
  jobId: number;
  error: SerializedError;
}

export type FromWorker = ProgressMessage | ResultMessage | ErrorMessage;

const fromWorkerTypes = new Set<string>(['progress', 'result', 'error']);

/** Worker modules may post their own messages; the pool only acts on these. */
export function isFromWorker(value: unknown): value is FromWorker {
  if (typeof value !== 'object' || value === null) return false;
  const { type, jobId } = value as { type?: unknown; jobId?: unknown };
  return typeof type === 'string' && fromWorkerTypes.has(type) && typeof jobId === 'number';
}

export function isRunMessage(value: unknown): value is RunMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { type, jobId, kind } = value as { type?: unknown; jobId?: unknown; kind?: unknown };
  return type === 'run' && typeof jobId === 'number' && typeof kind === 'string';
}

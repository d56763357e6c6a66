// Typed outcomes of a pool job that did not produce a result. Callers map them
// to a run status: cancelled, timed out, or failed with the message shown.

/** Base class of every job rejection, so callers can tell them from their own bugs. */
export class JobError extends Error {
  override name = 'JobError';
  /** The handler name the job was submitted under. */
  readonly kind: string;

  constructor(kind: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
  }
}

/** The job's signal was aborted, or the pool was closed before the job ended. */
export class JobCancelledError extends JobError {
  override name = 'JobCancelledError';
}

/** The job ran longer than its `timeoutMs`; the worker running it was terminated. */
export class JobTimeoutError extends JobError {
  override name = 'JobTimeoutError';
  readonly timeoutMs: number;

  constructor(kind: string, timeoutMs: number) {
    super(kind, `job '${kind}' exceeded its time limit of ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

export interface JobFailure {
  /** True when the worker thread died (exit, uncaught error, out of memory) rather than the handler throwing. */
  crashed: boolean;
  /** `name` of the error thrown in the worker, when it threw one. */
  workerName?: string;
  /** Stack of the error as captured inside the worker. */
  workerStack?: string;
  /** For bad input: the fields at fault, as the worker reported them. */
  fields?: { path: string; message: string }[];
  cause?: unknown;
}

/**
 * The handler threw, or the worker thread crashed while running the job. A
 * handler's error message is kept as is, so it can be shown to the user.
 */
export class JobFailedError extends JobError {
  override name = 'JobFailedError';
  readonly crashed: boolean;
  readonly workerName: string | undefined;
  readonly workerStack: string | undefined;
  readonly fields: { path: string; message: string }[] | undefined;

  constructor(kind: string, message: string, failure: JobFailure) {
    super(kind, message, failure.cause === undefined ? undefined : { cause: failure.cause });
    this.crashed = failure.crashed;
    this.workerName = failure.workerName;
    this.workerStack = failure.workerStack;
    this.fields = failure.fields;
  }
}

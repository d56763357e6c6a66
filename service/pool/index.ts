// Main-thread API of the worker pool. Worker modules import defineWorker from
// './worker-runtime.ts' directly, so they do not load the pool itself.
export { WorkerPool } from './worker-pool.ts';
export type { JobProgress, PoolStats, RunOptions, WorkerPoolOptions } from './worker-pool.ts';
export { JobCancelledError, JobError, JobFailedError, JobTimeoutError } from './errors.ts';
export type { JobFailure } from './errors.ts';
export { defineWorker } from './worker-runtime.ts';
export type { JobContext, JobHandler } from './worker-runtime.ts';

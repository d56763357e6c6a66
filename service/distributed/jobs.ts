// What travels through the queue: only simulation jobs, as data. A worker
// runs nothing else (no code from the queue), and refuses a model version
// other than its own, so a sweep's results all come from one model.
import type { Scenario } from '../../core/index.ts';

/** The BullMQ queue every coordinator and worker of a lab shares. */
export const QUEUE_NAME = 'iommu-lab-simulate';
/** The one job kind (the BullMQ job name). */
export const SIMULATE_JOB = 'simulate';

export interface SimulateJobData {
  modelVersion: string;
  scenario: Scenario;
  timeLimitMs: number;
}

/** A job's results stay this long in Redis when no coordinator collects them (it removes them once journaled). */
export const KEEP_UNCOLLECTED_S = 7 * 24 * 3600;

/** Set by a coordinator to stop a job a worker runs (Ctrl-C); the worker looks at each progress step. */
export function cancelKey(runId: string): string {
  return `iommu-lab:cancel:${runId}`;
}
/** A cancel mark outlives any job it could concern (the longest time limit). */
export const CANCEL_MARK_TTL_S = 24 * 3600;

/**
 * A worker announces its model version in its BullMQ name (the Redis client
 * name, which `Queue.getWorkers()` lists), so a coordinator can refuse a sweep
 * no online worker would accept before journaling anything. Client names take
 * no spaces.
 */
const MODEL_TAG = '~model=';

export function workerClientName(name: string, modelVersion: string): string {
  return `${name.replace(/\s+/g, '_')}${MODEL_TAG}${modelVersion}`;
}

/** The user's name and the model version from a worker's client name (null: a worker that did not say). */
export function parseWorkerClientName(clientName: string): { name: string; modelVersion: string | null } {
  const at = clientName.lastIndexOf(MODEL_TAG);
  return at < 0 ? { name: clientName, modelVersion: null } : { name: clientName.slice(0, at), modelVersion: clientName.slice(at + MODEL_TAG.length) };
}

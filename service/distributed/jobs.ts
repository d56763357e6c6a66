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

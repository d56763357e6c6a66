// `iommu-lab worker`: takes simulation jobs from the lab's BullMQ queue and
// runs them on this machine's worker threads (the service's pool). It never
// opens a journal: the result goes back through the queue to the coordinator.
import type { Job } from 'bullmq';
import type { RedisOptions as IoRedisOptions } from 'ioredis';
import { MODEL_VERSION, safeParseScenario } from '../../core/index.ts';
import { JobCancelledError, JobFailedError, JobTimeoutError, WorkerPool } from '../pool/index.ts';
import type { RunOutput } from '../run-output.ts';
import { DEFAULT_TIME_LIMIT_MS } from '../scheduler.ts';
import { cancelKey, QUEUE_NAME, SIMULATE_JOB, workerClientName, type SimulateJobData } from './jobs.ts';
import { redisOptions } from './redis-url.ts';
import { checkRedis } from './remote-scheduler.ts';

const JOBS_WORKER_URL = new URL('../workers/jobs.worker.ts', import.meta.url);

export interface QueueWorkerOptions {
  redisUrl: string;
  /** Jobs run at once, each on its own thread. */
  concurrency: number;
  /** Shown in BullMQ's worker list (with this worker's model version). */
  name: string;
  /** The compiled worker entry, when running from the built command. */
  workerUrl?: URL;
  /** How long a job stays with a worker that stopped answering before another worker takes it (BullMQ lock). */
  lockDurationMs?: number;
  /** How often the worker looks for such jobs. */
  stalledIntervalMs?: number;
  onLog?: (line: string) => void;
}

export interface QueueWorker {
  close(): Promise<void>;
}

/** The job's reason to be refused, or undefined: only simulate jobs of this model version, with a valid scenario. */
function refusal(job: Job): string | undefined {
  if (job.name !== SIMULATE_JOB) return `job kind ${JSON.stringify(job.name)} refused: this worker runs only '${SIMULATE_JOB}' jobs`;
  const data = job.data as Partial<SimulateJobData> | null;
  if (data?.modelVersion !== MODEL_VERSION) return `model version mismatch: the job is for model ${JSON.stringify(data?.modelVersion)}, this worker runs model ${MODEL_VERSION}`;
  return undefined;
}

export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorker> {
  await checkRedis(opts.redisUrl);
  const [{ UnrecoverableError, Worker }, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
  const pool = new WorkerPool({ workerUrl: opts.workerUrl ?? JOBS_WORKER_URL, size: opts.concurrency, progressIntervalMs: 250 });
  const log = opts.onLog ?? (() => undefined);
  // Reads the coordinators' cancel marks.
  const marks = new Redis({ ...(redisOptions(opts.redisUrl) as IoRedisOptions), maxRetriesPerRequest: 1 });
  marks.on('error', () => undefined);
  const worker = new Worker(
    QUEUE_NAME,
    async (job: Job) => {
      const refused = refusal(job);
      // Unrecoverable: not retried, whatever the job's attempts.
      if (refused) throw new UnrecoverableError(refused);
      const data = job.data as SimulateJobData;
      const parsed = safeParseScenario(data.scenario);
      if (!parsed.ok) throw new UnrecoverableError(`invalid scenario: ${parsed.errors.map((e) => `${e.path || '(root)'}: ${e.message}`).join('; ')}`);
      const timeoutMs = Number.isInteger(data.timeLimitMs) && data.timeLimitMs > 0 ? data.timeLimitMs : DEFAULT_TIME_LIMIT_MS;
      const controller = new AbortController();
      const runId = job.id ?? '';
      try {
        return await pool.run<SimulateJobData['scenario'], RunOutput>('simulate', data.scenario, {
          timeoutMs,
          signal: controller.signal,
          onProgress: ({ fraction }) => {
            void job.updateProgress(fraction).catch(() => undefined);
            void marks.exists(cancelKey(runId)).then((n) => n > 0 && controller.abort(), () => undefined);
          },
        });
      } catch (err) {
        if (err instanceof JobCancelledError) throw new UnrecoverableError('cancelled by the sweep\'s coordinator');
        if (err instanceof JobTimeoutError || err instanceof JobFailedError) throw new UnrecoverableError(err.message);
        throw err;
      }
    },
    {
      connection: redisOptions(opts.redisUrl),
      concurrency: opts.concurrency,
      name: workerClientName(opts.name, MODEL_VERSION),
      ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs } : {}),
      ...(opts.stalledIntervalMs ? { stalledInterval: opts.stalledIntervalMs } : {}),
      // A job whose worker died is handed on once; a second loss fails it rather than crash every worker in turn.
      maxStalledCount: 1,
    },
  );
  worker.on('error', (err) => log(`queue error: ${err.message}`));
  worker.on('failed', (job, err) => log(`job ${job?.id ?? '?'} failed: ${err.message}`));
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      await pool.close();
      await marks.quit().catch(() => undefined);
    },
  };
}

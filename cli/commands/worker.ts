// iommu-lab worker --redis URL: a long-running process that takes simulation
// jobs of distributed sweeps from the lab's Redis (BullMQ) and runs them on
// this machine's threads. It writes no journal; the sweep's coordinator does.
import { availableParallelism, hostname } from 'node:os';
import type { Command } from 'commander';
import { compiledWorkerUrl } from '../client.ts';
import { loadService } from '../service-module.ts';
import { parseIntOption, UsageError, type Io } from '../usage.ts';

interface WorkerOpts {
  redis: string;
  concurrency?: number;
  name?: string;
  lockMs?: number;
}

export function registerWorker(program: Command, io: Io): void {
  program
    .command('worker')
    .description('run simulation jobs of distributed sweeps (sweep --redis) from a Redis queue until stopped')
    .requiredOption('--redis <url>', 'redis://[:password@]host[:port][/db], or rediss:// for TLS')
    .option('--concurrency <n>', 'jobs at once, one thread each (default: the cores of this machine)', parseIntOption('--concurrency', 1, 256))
    .option('--name <name>', 'name shown in the queue\'s worker list (default: host and pid)')
    .option('--lock-ms <ms>', 'how long a job stays with a worker that stopped answering before another worker takes it', parseIntOption('--lock-ms', 500, 3_600_000))
    .action(async (opts: WorkerOpts) => {
      const { startQueueWorker, maskRedisUrl } = await loadService();
      const concurrency = opts.concurrency ?? availableParallelism();
      const workerUrl = compiledWorkerUrl();
      let worker;
      try {
        worker = await startQueueWorker({
          redisUrl: opts.redis,
          concurrency,
          name: opts.name ?? `${hostname()}:${process.pid}`,
          ...(workerUrl ? { workerUrl } : {}),
          // BullMQ checks for stalled jobs at half the lock's length.
          ...(opts.lockMs ? { lockDurationMs: opts.lockMs, stalledIntervalMs: Math.max(250, Math.floor(opts.lockMs / 2)) } : {}),
          onLog: (line) => io.err(`iommu-lab worker: ${line}`),
        });
      } catch (err) {
        // Redis unreachable or a bad URL: one line (the URL masked), exit 2.
        const e = err as { code?: string; message: string; fields?: { message: string }[] };
        if (e.code === 'invalid' && e.fields?.length) throw new UsageError(`--redis ${e.fields.map((f) => f.message).join('; ')}`);
        if (e.code === 'unavailable') throw new UsageError(e.message);
        throw err;
      }
      io.err(`iommu-lab worker: taking jobs from ${maskRedisUrl(opts.redis)} with ${concurrency} thread${concurrency === 1 ? '' : 's'} (Ctrl-C stops after the running jobs)`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await worker.close();
    });
}

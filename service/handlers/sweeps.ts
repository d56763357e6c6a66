// Sweeps: a grid of scenarios times seeds, validated whole, journaled and queued at once.
// On workers (distributed sweeps) Redis must answer, and a worker online must
// run this model version, before anything is journaled.
import { randomUUID } from 'node:crypto';
import { parseScenario } from '../../core/index.ts';
import type { DomainHandlers, LabContext } from '../context.ts';
import { ServiceError } from '../errors.ts';
import { expandSweep } from '../sweep.ts';

export function sweepsHandlers(ctx: LabContext): DomainHandlers<'sweeps.start' | 'sweeps.resume' | 'sweeps.workers'> {
  return {
    'sweeps.start': async ({ spec, dryRun, runOn }) => {
      const expanded = expandSweep(spec, ctx.profiles);
      if (dryRun) return { sweepId: null, runIds: [], points: expanded.points, total: expanded.runs.length, workersOnline: null };
      const workersOnline = await ctx.checkRunPlace(runOn);
      const sweepId = randomUUID();
      const name = spec.name ?? `sweep ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
      const experimentId = ctx.journal.experiments.ensureExperiment({ name, description: `sweep over ${Object.keys(spec.grid).join(', ') || 'seeds'}` }).id;
      const runIds = ctx.queue(expanded.runs, { experimentId, tags: spec.tags ?? [], sweepId, runOn });
      return { sweepId, runIds, points: expanded.points, total: runIds.length, workersOnline };
    },

    'sweeps.resume': async ({ experiment }) => {
      if (!ctx.remote) throw ServiceError.invalid([{ path: 'redis', message: 'resuming a sweep needs the Redis URL its workers use' }]);
      await ctx.checkRunPlace('workers');
      const runs = ctx.journal.experiments.experimentRuns(experiment);
      // Interrupted: the coordinator that queued them ended; they are this process's again.
      const requeued = new Set(ctx.journal.runs.requeueInterrupted(runs.filter((r) => r.status === 'interrupted').map((r) => r.id)));
      const pending = runs.filter((r) => r.status === 'queued' || r.status === 'running' || requeued.has(r.id));
      const sweepId = randomUUID();
      const runIds = ctx.resume(
        pending.map((r) => ({ id: r.id, scenario: parseScenario(r.scenario) })),
        sweepId,
      );
      return { sweepId, runIds, points: 0, total: runIds.length };
    },

    'sweeps.workers': async () => {
      if (!ctx.remote) return { redis: null, workers: [] };
      await ctx.remote.connect();
      return { redis: ctx.remote.redisUrl, workers: await ctx.remote.onlineWorkers() };
    },
  };
}

// Sweeps: a grid of scenarios times seeds, validated whole, journaled and queued at once.
// With a Redis URL (distributed sweeps) Redis must answer before anything is journaled.
import { randomUUID } from 'node:crypto';
import { parseScenario } from '../../core/index.ts';
import type { DomainHandlers, LabContext } from '../context.ts';
import { ServiceError } from '../errors.ts';
import { expandSweep } from '../sweep.ts';

export function sweepsHandlers(ctx: LabContext): DomainHandlers<'sweeps.start' | 'sweeps.resume'> {
  return {
    'sweeps.start': async ({ spec, dryRun }) => {
      const expanded = expandSweep(spec, ctx.profiles);
      if (dryRun) return { sweepId: null, runIds: [], points: expanded.points, total: expanded.runs.length };
      await ctx.remote?.connect();
      const sweepId = randomUUID();
      const name = spec.name ?? `sweep ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
      const experimentId = ctx.journal.experiments.ensureExperiment({ name, description: `sweep over ${Object.keys(spec.grid).join(', ') || 'seeds'}` }).id;
      const runIds = ctx.queue(expanded.runs, { experimentId, tags: spec.tags ?? [], sweepId });
      return { sweepId, runIds, points: expanded.points, total: runIds.length };
    },

    'sweeps.resume': async ({ experiment }) => {
      if (!ctx.remote) throw ServiceError.invalid([{ path: 'redis', message: 'resuming a sweep needs the Redis URL its workers use' }]);
      await ctx.remote.connect();
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
  };
}

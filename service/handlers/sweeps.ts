// Sweeps: a grid of scenarios times seeds, validated whole, journaled and queued at once.
import { randomUUID } from 'node:crypto';
import type { DomainHandlers, LabContext } from '../context.ts';
import { expandSweep } from '../sweep.ts';

export function sweepsHandlers(ctx: LabContext): DomainHandlers<'sweeps.start'> {
  return {
    'sweeps.start': ({ spec, dryRun }) => {
      const expanded = expandSweep(spec, ctx.profiles);
      if (dryRun) return { sweepId: null, runIds: [], points: expanded.points, total: expanded.runs.length };
      const sweepId = randomUUID();
      const name = spec.name ?? `sweep ${new Date().toISOString().slice(0, 19).replace('T', ' ')}`;
      const experimentId = ctx.journal.experiments.ensureExperiment({ name, description: `sweep over ${Object.keys(spec.grid).join(', ') || 'seeds'}` }).id;
      const runIds = ctx.queue(expanded.runs, { experimentId, tags: spec.tags ?? [], sweepId });
      return { sweepId, runIds, points: expanded.points, total: runIds.length };
    },
  };
}

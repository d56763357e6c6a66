// Runs: start (journaled, in workers), simulate without journaling, follow,
// list, tag, annotate, compare side by side, delete.
import { parseScenario } from '../../core/index.ts';
import type { Run } from '../../db/index.ts';
import { compareRuns } from '../compare.ts';
import type { DomainHandlers, LabContext } from '../context.ts';
import { ServiceError } from '../errors.ts';
import { buildScenario, defaultRunName, withSeed } from '../scenarios.ts';

type Methods = 'runs.start' | 'runs.simulate' | 'runs.cancel' | 'runs.wait' | 'runs.list' | 'runs.get' | 'runs.delete' | 'runs.tag' | 'runs.note' | 'runs.compare';

export function runsHandlers(ctx: LabContext): DomainHandlers<Methods> {
  return {
    'runs.start': async (p) => {
      await ctx.checkRunPlace(p.runOn);
      const base = buildScenario(p.source, ctx.profiles);
      const name = p.name ?? defaultRunName(p.source, base);
      const runs = Array.from({ length: p.seeds }, (_, i) => {
        const scenario = i === 0 ? base : parseScenario({ ...base, seed: base.seed + i });
        return { name: p.seeds > 1 ? `${name} seed=${scenario.seed}` : name, scenario };
      });
      const experimentId = p.experiment === undefined ? null : ctx.journal.experiments.ensureExperiment({ name: p.experiment }).id;
      return { runIds: ctx.queue(runs, { experimentId, tags: p.tags ?? [], timeLimitMs: p.timeLimitMs, runOn: p.runOn }), experimentId };
    },

    'runs.simulate': async ({ source, seeds, timeLimitMs }) => {
      const base = buildScenario(source, ctx.profiles);
      const results = await Promise.all(
        Array.from({ length: seeds }, (_, i) => ctx.scheduler.job('simulate', i === 0 ? base : withSeed(base, base.seed + i), timeLimitMs === undefined ? {} : { timeoutMs: timeLimitMs })),
      );
      return { results };
    },

    'runs.cancel': ({ ids }) => ({ cancelled: ctx.scheduler.cancel(ctx.resolveRunIds(ids)) }),

    'runs.wait': async ({ ids }) => {
      const runIds = ctx.resolveRunIds(ids);
      await ctx.scheduler.settled(runIds);
      return ctx.summaries(runIds);
    },

    'runs.list': (q) => ctx.journal.runs.listRuns(q),

    'runs.get': ({ id, series }) => ctx.journal.runs.getRun(ctx.resolveRunId(id), { series }),

    'runs.delete': ({ ids }) => {
      const runIds = ctx.resolveRunIds(ids);
      const active = runIds.filter((id) => ctx.scheduler.isActive(id));
      if (active.length) throw new ServiceError('conflict', `cancel these runs before deleting them: ${active.join(', ')}`);
      return { deleted: ctx.journal.runs.deleteRuns(runIds) };
    },

    'runs.tag': ({ id, add, remove }) => {
      const runId = ctx.resolveRunId(id);
      // Both or neither: a refused removal leaves the added tags out too.
      ctx.journal.transaction(() => {
        if (add.length) ctx.journal.runs.tagRun(runId, add);
        if (remove.length) ctx.journal.runs.untagRun(runId, remove);
      });
      return { tags: ctx.journal.runs.getRun(runId, { series: false }).tags };
    },

    'runs.note': ({ id, body }) => ctx.journal.runs.addNote(ctx.resolveRunId(id), body),

    'runs.compare': ({ ids }) => {
      const runs: Run[] = ids.map((id) => ctx.journal.runs.getRun(ctx.resolveRunId(id), { series: false }));
      return compareRuns(runs);
    },
  };
}

// Experiments: the runs of a sweep analysed per grid point, and the scenario
// fields of any runs as table columns.
import type { DomainHandlers, LabContext } from '../context.ts';
import { analyseExperiment, flattenRun, type FieldValue } from '../experiments.ts';
import { COMMON_FIELD_PATHS } from '../protocol/constants.ts';

export function experimentsHandlers(ctx: LabContext): DomainHandlers<'experiments.list' | 'experiments.show' | 'runs.fields'> {
  return {
    'experiments.list': () => ctx.journal.experiments.listExperimentSummaries(),

    'experiments.show': ({ name, by, metrics }) => {
      const store = ctx.journal.experiments;
      const id = store.requireExperiment(name).id;
      const summary = store.listExperimentSummaries().find((e) => e.id === id);
      if (!summary) throw new Error(`experiment ${id} vanished while it was read`);
      return analyseExperiment(summary, store.experimentRuns(id), { by, metrics });
    },

    // Without paths: the common columns, then every other path the runs have, in scenario order.
    'runs.fields': ({ ids, paths }) => {
      const docs = ctx.journal.experiments.runDocuments(ctx.resolveRunIds(ids));
      const flat = docs.map((d) => ({ id: d.id, fields: flattenRun(d) }));
      const all = [...new Set(flat.flatMap((r) => Object.keys(r.fields)))];
      const chosen = paths ?? [...COMMON_FIELD_PATHS.filter((p) => all.includes(p)), ...all.filter((p) => !(COMMON_FIELD_PATHS as readonly string[]).includes(p))];
      return {
        paths: chosen,
        rows: flat.map((r) => ({ id: r.id, fields: Object.fromEntries(chosen.map((p): [string, FieldValue] => [p, r.fields[p] ?? null])) })),
      };
    },
  };
}

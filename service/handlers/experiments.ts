// Experiments: the runs of a sweep analysed per grid point, and the scenario
// fields of any runs as table columns.
import type { DomainHandlers, LabContext } from '../context.ts';
import { analyseExperiment, flattenRun, type FieldValue } from '../experiments.ts';
import { ServiceError } from '../errors.ts';
import { COMMON_FIELD_PATHS, MAX_FIELD_COLUMNS, MAX_SCENARIO_CONFIG_DEPTH, MAX_SCENARIO_CONFIG_KEYS } from '../protocol/constants.ts';
import { jsonTooLarge } from '../protocol/json.ts';

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
      // Bounded before flattening: a scenario of 700k keys (from a merged or hand-made journal) would hold the service.
      for (const d of docs) {
        const why = jsonTooLarge(d.scenario, MAX_SCENARIO_CONFIG_KEYS, MAX_SCENARIO_CONFIG_DEPTH);
        if (why !== null) throw ServiceError.invalid([{ path: 'ids', message: `run ${d.id}: its scenario ${why} (at most ${MAX_SCENARIO_CONFIG_KEYS}); leave it out` }]);
      }
      const flat = docs.map((d) => ({ id: d.id, fields: flattenRun(d) }));
      const all = [...new Set(flat.flatMap((r) => Object.keys(r.fields)))];
      if (paths === undefined && all.length > MAX_FIELD_COLUMNS) {
        throw ServiceError.invalid([{ path: 'paths', message: `these runs have ${all.length} scenario fields, more than ${MAX_FIELD_COLUMNS} columns: name the paths wanted` }]);
      }
      const chosen = paths ?? [...COMMON_FIELD_PATHS.filter((p) => all.includes(p)), ...all.filter((p) => !(COMMON_FIELD_PATHS as readonly string[]).includes(p))];
      return {
        paths: chosen,
        rows: flat.map((r) => ({ id: r.id, fields: Object.fromEntries(chosen.map((p): [string, FieldValue] => [p, r.fields[p] ?? null])) })),
      };
    },
  };
}

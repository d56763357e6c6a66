// Experiments: named groups of runs (a sweep, a study), unique by name, and
// the documents an analysis of one needs (scenario, metrics, effective policy).
import { randomUUID } from 'node:crypto';
import { parseJson } from './codec.ts';
import { parseMetrics } from './run-rows.ts';
import { JournalInputError, NotFoundError } from './errors.ts';
import type { Sql } from './statements.ts';
import { nowIso } from './time.ts';
import type { Experiment, JsonObject, NewExperiment, RunStatus } from './types.ts';
import * as v from './validate.ts';

/** An experiment with how many runs it holds, by outcome. */
export interface ExperimentSummary extends Experiment {
  runs: number;
  done: number;
  active: number;
}

/** One run as an analysis reads it: its scenario, its metrics, and the policy the guest kernel really used. */
export interface RunDocument {
  id: string;
  name: string;
  status: RunStatus;
  seed: number;
  experimentId: string | null;
  scenario: JsonObject;
  /** The guest kernel's decision (result.policy.effective); null for runs without a result. */
  effectivePolicy: string | null;
  metrics: Record<string, number>;
}

interface RunDocumentRow {
  seq: number;
  id: string;
  name: string;
  status: RunStatus;
  seed: number;
  experiment_id: string | null;
  scenario_json: string;
  effective: string | null;
}

const RUN_DOCUMENT_SELECT = `SELECT r.seq, r.id, r.name, r.status, r.seed, r.experiment_id, json(sc.scenario_jsonb) AS scenario_json,
  json_extract(d.result_json, '$.policy.effective') AS effective
  FROM runs r JOIN run_documents d ON d.run_seq = r.seq JOIN scenarios sc ON sc.seq = d.scenario_seq`;

const parseMetricsOf = (json: string | undefined): Record<string, number> => (json === undefined ? {} : parseMetrics(json));

interface ExperimentRow {
  id: string;
  name: string;
  description: string;
  created_at: string;
}

const toExperiment = (r: ExperimentRow): Experiment => ({ id: r.id, name: r.name, description: r.description, createdAt: r.created_at });

export class ExperimentStore {
  constructor(private readonly sql: Sql) {}

  createExperiment(input: NewExperiment): Experiment {
    const e = v.parseInput(v.newExperiment, input, 'experiment');
    return this.sql.write(() => {
      if (this.#byName(e.name)) throw new JournalInputError('experiment.name', `${JSON.stringify(e.name)} already exists`);
      const row: ExperimentRow = { id: randomUUID(), name: e.name, description: e.description, created_at: nowIso() };
      this.sql.prepare('INSERT INTO experiments (id, name, description, created_at) VALUES (?, ?, ?, ?)').run(row.id, row.name, row.description, row.created_at);
      return toExperiment(row);
    });
  }

  getExperimentByName(name: string): Experiment | undefined {
    const row = this.#byName(v.parseInput(v.newExperiment.shape.name, name, 'name'));
    return row && toExperiment(row);
  }

  /** The experiment of that name, created if missing (an existing description is kept). */
  ensureExperiment(input: NewExperiment): Experiment {
    const e = v.parseInput(v.newExperiment, input, 'experiment');
    return this.sql.write(() => this.getExperimentByName(e.name) ?? this.createExperiment(e));
  }

  listExperiments(): Experiment[] {
    return this.sql.prepare<ExperimentRow>('SELECT id, name, description, created_at FROM experiments ORDER BY created_at, rowid').all().map(toExperiment);
  }

  /** Every experiment with its run counts, oldest first. */
  listExperimentSummaries(): ExperimentSummary[] {
    return this.sql
      .prepare<ExperimentRow & { runs: number; done: number; active: number }>(
        `SELECT e.id, e.name, e.description, e.created_at,
           count(r.seq) AS runs,
           coalesce(sum(r.status = 'done'), 0) AS done,
           coalesce(sum(r.status IN ('queued', 'running')), 0) AS active
         FROM experiments e LEFT JOIN runs r ON r.experiment_id = e.id
         GROUP BY e.id ORDER BY e.created_at, e.rowid`,
      )
      .all()
      .map((r) => ({ ...toExperiment(r), runs: r.runs, done: r.done, active: r.active }));
  }

  /** An experiment by id or name. */
  requireExperiment(idOrName: string): Experiment {
    const key = v.parseInput(v.newExperiment.shape.name, idOrName, 'experiment');
    const row = this.sql.prepare<ExperimentRow>('SELECT id, name, description, created_at FROM experiments WHERE id = ? OR name = ? LIMIT 1').get(key, key);
    if (!row) throw new NotFoundError('experiment', key);
    return toExperiment(row);
  }

  /** The runs of an experiment (every status) with their documents, in the order they were created. */
  experimentRuns(idOrName: string): RunDocument[] {
    const e = this.requireExperiment(idOrName);
    const rows = this.sql.prepare<RunDocumentRow>(`${RUN_DOCUMENT_SELECT} WHERE r.experiment_id = ? ORDER BY r.seq`).all(e.id);
    return this.#withMetrics(rows);
  }

  /** The documents of the given runs (full ids), in the order given; unknown ids are left out. */
  runDocuments(ids: readonly string[]): RunDocument[] {
    if (!Array.isArray(ids)) throw new JournalInputError('ids', 'must be an array of run ids');
    const stmt = this.sql.prepare<RunDocumentRow>(`${RUN_DOCUMENT_SELECT} WHERE r.id = ?`);
    const rows = ids.map((id) => stmt.get(v.parseInput(v.uuid, id, 'ids'))).filter((r): r is RunDocumentRow => r !== undefined);
    return this.#withMetrics(rows);
  }

  #withMetrics(rows: readonly RunDocumentRow[]): RunDocument[] {
    const metricsOf = this.sql.prepare<string>('SELECT json(metrics_jsonb) FROM run_metrics WHERE run_seq = ?').pluck();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      seed: r.seed,
      experimentId: r.experiment_id,
      scenario: parseJson<JsonObject>(r.scenario_json),
      effectivePolicy: r.effective,
      metrics: parseMetricsOf(metricsOf.get(r.seq) as string | undefined),
    }));
  }

  #byName(name: string): ExperimentRow | undefined {
    return this.sql.prepare<ExperimentRow>('SELECT id, name, description, created_at FROM experiments WHERE name = ?').get(name);
  }
}

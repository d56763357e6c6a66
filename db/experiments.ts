// Experiments: named groups of runs (a sweep, a study), unique by name.
import { randomUUID } from 'node:crypto';
import { JournalInputError } from './errors.ts';
import type { Sql } from './statements.ts';
import { nowIso } from './time.ts';
import type { Experiment, NewExperiment } from './types.ts';
import * as v from './validate.ts';

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

  #byName(name: string): ExperimentRow | undefined {
    return this.sql.prepare<ExperimentRow>('SELECT id, name, description, created_at FROM experiments WHERE name = ?').get(name);
  }
}

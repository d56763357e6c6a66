// Cost profiles: named sets of cost overrides (ns) that scenarios refer to by
// name. Which cost names exist is checked above this layer; here a profile is
// a name, numbers >= 0 and, when fitted, the calibration report.
import { randomUUID } from 'node:crypto';
import { parseJson } from './codec.ts';
import { ConflictError, JournalInputError } from './errors.ts';
import type { Sql } from './statements.ts';
import { nowIso } from './time.ts';
import type { CostProfile, JsonValue, NewCostProfile } from './types.ts';
import * as v from './validate.ts';

interface ProfileRow {
  id: string;
  name: string;
  description: string;
  costs_json: string;
  fit_json: string | null;
  model_version: string;
  created_at: string;
  updated_at: string;
}

const COLUMNS = 'id, name, description, costs_json, fit_json, model_version, created_at, updated_at';

const toProfile = (r: ProfileRow): CostProfile => ({
  id: r.id,
  name: r.name,
  description: r.description,
  costs: parseJson<Record<string, number>>(r.costs_json),
  fit: r.fit_json === null ? null : parseJson<JsonValue>(r.fit_json),
  modelVersion: r.model_version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class ProfileStore {
  constructor(private readonly sql: Sql) {}

  /** Stores a profile; an existing name is a ConflictError unless `replace`, which overwrites it keeping id and createdAt. */
  saveCostProfile(input: NewCostProfile, opts: { replace?: boolean } = {}): CostProfile {
    // Fields are named at the top level (`name`, `costs.<key>`), as callers pass them.
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new JournalInputError('profile', `must be an object, got ${v.describe(input)}`);
    const p = v.parseInput(v.newCostProfile, input, '');
    return this.sql.write(() => {
      const existing = this.#row(p.name);
      if (existing && opts.replace !== true) throw new ConflictError('cost profile', p.name);
      const now = nowIso();
      const row: ProfileRow = {
        id: existing?.id ?? randomUUID(),
        name: p.name,
        description: p.description,
        costs_json: JSON.stringify(p.costs),
        fit_json: p.fit === null ? null : JSON.stringify(p.fit),
        model_version: p.modelVersion,
        created_at: existing?.created_at ?? now,
        updated_at: now,
      };
      if (existing) {
        this.sql
          .prepare('UPDATE cost_profiles SET description = @description, costs_json = @costs_json, fit_json = @fit_json, model_version = @model_version, updated_at = @updated_at WHERE id = @id')
          .run(row);
      } else {
        this.sql.prepare(`INSERT INTO cost_profiles (${COLUMNS}) VALUES (@id, @name, @description, @costs_json, @fit_json, @model_version, @created_at, @updated_at)`).run(row);
      }
      return toProfile(row);
    });
  }

  getCostProfile(name: string): CostProfile | undefined {
    const row = this.#row(v.parseInput(v.profileName, name, 'name'));
    return row && toProfile(row);
  }

  listCostProfiles(): CostProfile[] {
    return this.sql.prepare<ProfileRow>(`SELECT ${COLUMNS} FROM cost_profiles ORDER BY name`).all().map(toProfile);
  }

  /** True if a profile of that name was there. */
  deleteCostProfile(name: string): boolean {
    const n = v.parseInput(v.profileName, name, 'name');
    return this.sql.write(() => this.sql.prepare('DELETE FROM cost_profiles WHERE name = ?').run(n).changes > 0);
  }

  #row(name: string): ProfileRow | undefined {
    return this.sql.prepare<ProfileRow>(`SELECT ${COLUMNS} FROM cost_profiles WHERE name = ?`).get(name);
  }
}

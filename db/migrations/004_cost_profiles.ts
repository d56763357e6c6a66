// Schema 4: named cost profiles, sets of cost overrides (ns) that scenarios
// refer to by name; fitted by a calibration (fit_json keeps its report) or typed by hand.
import type { Migration } from './types.ts';

export const costProfiles: Migration = {
  version: 4,
  name: 'cost_profiles',
  sql: `
CREATE TABLE cost_profiles (
  id            TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
  name          TEXT NOT NULL UNIQUE,
  description   TEXT NOT NULL DEFAULT '',
  costs_json    TEXT NOT NULL CHECK (json_valid(costs_json)),
  fit_json      TEXT CHECK (fit_json IS NULL OR json_valid(fit_json)),
  model_version TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
`,
};

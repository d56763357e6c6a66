// Where a scenario comes from: a preset or a config object, then `path=value` overrides.
import { z } from 'zod';
import { MAX_SCENARIO_CONFIG_DEPTH, MAX_SCENARIO_CONFIG_KEYS } from './constants.ts';
import { jsonObjectSchema, jsonTooLarge } from './json.ts';

const boundedConfigSchema = z.preprocess((value, ctx) => {
  // A scenario has under a hundred fields: checking (and naming) each of 100k unknown keys would hold the service for seconds.
  const why = jsonTooLarge(value, MAX_SCENARIO_CONFIG_KEYS, MAX_SCENARIO_CONFIG_DEPTH);
  if (why !== null) ctx.addIssue({ code: 'custom', message: `${why}; a scenario has under a hundred fields` });
  return value;
}, jsonObjectSchema);

export const scenarioSourceSchema = z.strictObject({
  preset: z.string().optional(),
  config: boundedConfigSchema.optional(),
  overrides: z.array(z.string()).max(200).optional(),
});
export type ScenarioSourceInput = z.infer<typeof scenarioSourceSchema>;

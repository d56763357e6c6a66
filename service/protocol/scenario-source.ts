// Where a scenario comes from: a preset or a config object, then `path=value` overrides.
import { z } from 'zod';
import { jsonObjectSchema } from './json.ts';

export const scenarioSourceSchema = z.strictObject({
  preset: z.string().optional(),
  config: jsonObjectSchema.optional(),
  overrides: z.array(z.string()).max(200).optional(),
});
export type ScenarioSourceInput = z.infer<typeof scenarioSourceSchema>;

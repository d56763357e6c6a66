// What a simulation returns, as `runs.simulate` carries it.
//
// PLACEHOLDER: core/model/result.ts exports the complete `simulationResultSchema`.
// Until it lands, a JSON object stands in for the result as journaled (the full
// result with its series arrays moved out to `series`, their interval kept). At
// merge, swap the line below for:
//   simulationResultSchema.omit({ series: true }).extend({ series: z.object({ intervalMs: z.number() }) })
import { z } from 'zod';
import type { SimulationResult } from '../../core/model/result.ts';
import { jsonObjectSchema } from './json.ts';
import { seriesSchema } from './results.ts';

export const journaledSimulationResultSchema = jsonObjectSchema;
/** A simulation result as journaled: its series arrays live beside it (downsampled), only their interval stays. */
export type JournaledSimulationResult = Omit<SimulationResult, 'series'> & { series: { intervalMs: number } };

/** One seed's outcome: the result as journaled, its scalar metrics, its downsampled series. */
export const simulationOutputSchema = z.object({
  result: journaledSimulationResultSchema as unknown as z.ZodType<JournaledSimulationResult>,
  metrics: z.record(z.string(), z.number()),
  series: z.record(z.string(), seriesSchema),
});
export type SimulationOutput = z.output<typeof simulationOutputSchema>;

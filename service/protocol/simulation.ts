// What a simulation returns, as `runs.simulate` carries it and the journal
// keeps it: core's complete result schema, with its series arrays moved out
// (downsampled, beside it) and only their interval kept.
import { z } from 'zod';
import { simulationResultSchema } from '../../core/model/result.ts';
import { seriesSchema } from './results.ts';

export const journaledSimulationResultSchema = simulationResultSchema.omit({ series: true }).extend({ series: z.object({ intervalMs: z.number() }).strict() });
/** A simulation result as journaled. */
export type JournaledSimulationResult = z.output<typeof journaledSimulationResultSchema>;

/** One seed's outcome: the result as journaled, its scalar metrics, its downsampled series. */
export const simulationOutputSchema = z.object({
  result: journaledSimulationResultSchema,
  metrics: z.record(z.string(), z.number()),
  series: z.record(z.string(), seriesSchema),
});
export type SimulationOutput = z.output<typeof simulationOutputSchema>;

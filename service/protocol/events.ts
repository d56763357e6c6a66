// Events the service emits to every connected client.
import { z } from 'zod';
import { calibrationStatusSchema } from './calibration.ts';
import { runStatusSchema } from './fields.ts';

/** Event name -> data schema. */
export const events = {
  'run.progress': z.object({ runId: z.string(), fraction: z.number().min(0).max(1) }),
  'run.status': z.object({ runId: z.string(), status: runStatusSchema, error: z.string().nullable() }),
  'sweep.progress': z.object({ sweepId: z.string(), total: z.number(), ended: z.number(), failed: z.number(), cancelled: z.number() }),
  'calibration.progress': z.object({ calibrationId: z.string(), fraction: z.number().min(0).max(1) }),
  'calibration.status': z.object({ calibrationId: z.string(), status: calibrationStatusSchema, error: z.string().nullable() }),
  /** Journal writes wait for another process's write lock (busy), or no longer do; finished results wait, never dropped. */
  'journal.busy': z.object({
    path: z.string(),
    busy: z.boolean(),
    pendingWrites: z.number().int().min(0),
    waitedMs: z.number().min(0),
    /** The process holding the lock, when the system says (Linux); null otherwise. */
    holderPid: z.number().int().nullable(),
    /** With busy false: the lock was released and the waiting writes went through (false: the last one gave up). */
    released: z.boolean(),
  }),
} as const;

export type EventName = keyof typeof events;
export type EventData<E extends EventName> = z.output<(typeof events)[E]>;
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

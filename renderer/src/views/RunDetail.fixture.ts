// For the run page's tests: a lab client that serves one journaled run, as
// the service answers runs.get, and refuses any other call.
import type { LabClient } from '../lib/api.ts';

export interface ServedRun {
  id: string;
  name: string;
  kind: 'simulated' | 'measured';
  modelVersion: string;
  metrics: Record<string, number>;
  scenario: unknown;
  result: Record<string, unknown> | null;
}

export function labServingRun(run: ServedRun): LabClient {
  const served = {
    status: 'done',
    seed: 1,
    experimentId: null,
    scenarioHash: 'abcdef0123456789',
    createdAt: '2026-01-01T00:00:00Z',
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:00:01Z',
    durationMs: 1000,
    error: null,
    tags: [],
    notes: [],
    series: {},
    ...run,
  };
  return {
    call: async (method: string) => {
      if (method === 'runs.get') return served;
      throw new Error(`unexpected call ${method}`);
    },
    on: () => () => {},
  } as unknown as LabClient;
}

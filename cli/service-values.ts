// Values of the service that the command definitions show in --help. Help must
// not load the service (it brings zod, the SQLite driver and the simulation
// core), so they are written here, typed against the service's own: if the
// two ever differ, the typecheck fails.
import type { MAX_SWEEP_RUNS as SERVICE_MAX_SWEEP_RUNS, RunStatus } from '../service/index.ts';

export const RUN_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'] as const satisfies readonly RunStatus[];
// A status of the service missing above makes this line fail to compile.
const _everyStatus: [Exclude<RunStatus, (typeof RUN_STATUSES)[number]>] extends [never] ? true : never = true;

export const MAX_SWEEP_RUNS: typeof SERVICE_MAX_SWEEP_RUNS = 10_000;

// Following started runs through the service's events: per-run fraction and
// status, and for a sweep its aggregate counts.
import { isEndedStatus, type EventData } from '../../../../service/protocol/index.ts';

export type RunStatus = EventData<'run.status'>['status'];

export interface RunTrack {
  fraction: number;
  status: RunStatus;
  error: string | null;
}

export interface Started {
  kind: 'run' | 'sweep';
  runIds: string[];
  sweepId: string | null;
  /** Seed of the first run (runs.start runs seeds s, s+1, ...). */
  firstSeed: number;
}

export type SweepCounts = Omit<EventData<'sweep.progress'>, 'sweepId'>;

export function isEnded(status: RunStatus | undefined): boolean {
  return status !== undefined && isEndedStatus(status);
}

/** What an event says about a run, folded into what was known. */
export function applyRunEvent(prev: RunTrack | undefined, event: { fraction?: number; status?: RunStatus; error?: string | null }): RunTrack {
  const status = event.status ?? prev?.status ?? 'queued';
  const fraction = status === 'done' ? 1 : Math.max(prev?.fraction ?? 0, event.fraction ?? 0);
  return { fraction, status, error: event.error !== undefined ? event.error : (prev?.error ?? null) };
}

export interface ProgressSummary {
  total: number;
  ended: number;
  failed: number;
  cancelled: number;
  /** Runs not known to have ended: what Cancel sends. */
  active: string[];
}

/**
 * Counts for the progress header. Run events and sweep events may arrive in
 * either order, so each count takes the larger of the two sources.
 */
export function summarize(started: Started, runs: Record<string, RunTrack>, sweep: SweepCounts | null): ProgressSummary {
  let ended = 0;
  let failed = 0;
  let cancelled = 0;
  const active: string[] = [];
  for (const id of started.runIds) {
    const status = runs[id]?.status;
    if (isEnded(status)) ended++;
    else active.push(id);
    if (status === 'failed') failed++;
    if (status === 'cancelled') cancelled++;
  }
  return {
    total: started.runIds.length,
    ended: Math.max(ended, sweep?.ended ?? 0),
    failed: Math.max(failed, sweep?.failed ?? 0),
    cancelled: Math.max(cancelled, sweep?.cancelled ?? 0),
    active: sweep && sweep.ended >= sweep.total ? [] : active,
  };
}

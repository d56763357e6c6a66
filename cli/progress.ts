// Progress of long operations on a terminal: one bar, drawn on stderr only
// when it is a TTY (pipes and --json output stay clean); Ctrl-C cancels the
// work in the service instead of killing the process mid-write.
import cliProgress from 'cli-progress';
import type { Result } from '../service/index.ts';
import { isEndedStatus } from '../service/protocol/constants.ts';
import type { Client } from './client.ts';

interface BatchProgress {
  stop(): void;
}

/** Follows `runIds` through run events: the bar counts ended runs plus the running ones' fractions. */
export function showBatchProgress(client: Pick<Client, 'on'>, runIds: readonly string[], label: string, stream: NodeJS.WriteStream = process.stderr): BatchProgress {
  if (!stream.isTTY || runIds.length === 0) return { stop() {} };
  const fraction = new Map<string, number>(runIds.map((id) => [id, 0]));
  const counts = { done: 0, failed: 0, cancelled: 0 };
  const bar = new cliProgress.SingleBar(
    // The bar's own value and total count hundredths of runs (fractions of running runs move it), and cli-progress
    // gives its own {total} precedence over the payload's: the run counts go under names of their own.
    { stream, format: `${label} [{bar}] {percentage}% | {runsEnded}/{runsTotal} runs | {failed} failed | {eta_formatted} left`, hideCursor: true, clearOnComplete: false, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  const total = runIds.length;
  bar.start(total * 100, 0, { runsEnded: 0, runsTotal: total, failed: 0 });
  const update = () => {
    let sum = 0;
    for (const f of fraction.values()) sum += f;
    bar.update(Math.round(sum * 100), { runsEnded: counts.done + counts.failed + counts.cancelled, runsTotal: total, failed: counts.failed });
  };
  const offProgress = client.on('run.progress', ({ runId, fraction: f }) => {
    if (!fraction.has(runId)) return;
    fraction.set(runId, f);
    update();
  });
  const offStatus = client.on('run.status', ({ runId, status }) => {
    if (!fraction.has(runId)) return;
    if (isEndedStatus(status)) {
      fraction.set(runId, 1);
      if (status === 'done') counts.done++;
      else if (status === 'failed') counts.failed++;
      else counts.cancelled++;
      update();
    }
  });
  return {
    stop() {
      offProgress();
      offStatus();
      bar.stop();
    },
  };
}

/**
 * Ctrl-C from before a batch is started until it has ended: the first one is
 * caught (the batch is cancelled as soon as its runs are known, instead of the
 * process dying mid-write); a second one ends the process as usual.
 */
export interface Interrupt {
  readonly fired: boolean;
  /** Calls `listener` on the first Ctrl-C, or at once if it came already. */
  onFire(listener: () => void): void;
  stop(): void;
}

export function catchInterrupt(): Interrupt {
  let fired = false;
  const listeners: (() => void)[] = [];
  const handler = (): void => {
    fired = true;
    for (const l of listeners.splice(0)) l();
  };
  process.once('SIGINT', handler);
  return {
    get fired() {
      return fired;
    },
    onFire(listener) {
      if (fired) listener();
      else listeners.push(listener);
    },
    stop() {
      listeners.length = 0;
      process.off('SIGINT', handler);
    },
  };
}

/** The shell's exit status after Ctrl-C (128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;

/** A batch's exit status: 0 only when every requested run is done; 130 after Ctrl-C; else 1. */
export function batchExitCode(ended: readonly { status: string }[], requested: number, interrupted: boolean): number {
  if (interrupted) return INTERRUPTED_EXIT_CODE;
  return ended.length === requested && ended.every((r) => r.status === 'done') ? 0 : 1;
}

/** "3 done, 1 failed, 0 cancelled of 4 runs", naming any other ending and a Ctrl-C. */
export function batchSummary(ended: readonly { status: string }[], requested: number, interrupted: boolean): string {
  const count = (s: string): number => ended.filter((r) => r.status === s).length;
  const other = ended.filter((r) => !['done', 'failed', 'cancelled'].includes(r.status)).length;
  const unfinished = requested - ended.length;
  return (
    `${count('done')} done, ${count('failed')} failed, ${count('cancelled')} cancelled` +
    `${other ? `, ${other} interrupted` : ''}${unfinished > 0 ? `, ${unfinished} not finished` : ''} of ${requested} runs` +
    `${interrupted ? ' (interrupted by Ctrl-C)' : ''}`
  );
}

/** Waits for a batch of runs with a bar; a Ctrl-C caught by `interrupt` cancels them (they end `cancelled`). */
export async function followBatch(client: Client, runIds: readonly string[], label: string, interrupt: Interrupt): Promise<Result<'runs.wait'>> {
  const bar = showBatchProgress(client, runIds, label);
  interrupt.onFire(() => {
    bar.stop();
    void client.call('runs.cancel', { ids: [...runIds] }).catch(() => undefined);
  });
  return client.call('runs.wait', { ids: [...runIds] }).finally(() => bar.stop());
}

/** One bar for a fit on a TTY; Ctrl-C cancels it in its worker. Returns the function that stops following. */
export function followCalibration(client: Client, calibrationId: string): () => void {
  const offs: (() => void)[] = [];
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'calibrate [{bar}] {percentage}% of the evaluation budget', hideCursor: true }, cliProgress.Presets.shades_classic);
    bar.start(100, 0);
    offs.push(client.on('calibration.progress', (e) => e.calibrationId === calibrationId && bar.update(Math.round(e.fraction * 100))), () => bar.stop());
  }
  const cancel = () => void client.call('calibration.cancel', { calibrationId });
  process.once('SIGINT', cancel);
  offs.push(() => process.off('SIGINT', cancel));
  return () => offs.forEach((off) => off());
}

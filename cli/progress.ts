// Progress of runs on a terminal: one bar for the whole batch, drawn on
// stderr only when it is a TTY (pipes and --json output stay clean).
import cliProgress from 'cli-progress';
import { isEndedStatus, type Lab } from '../service/index.ts';

export interface BatchProgress {
  stop(): void;
}

/** Follows `runIds` through run events: the bar counts ended runs plus the running ones' fractions. */
export function showBatchProgress(lab: Lab, runIds: readonly string[], label: string, stream: NodeJS.WriteStream = process.stderr): BatchProgress {
  if (!stream.isTTY || runIds.length === 0) return { stop() {} };
  const fraction = new Map<string, number>(runIds.map((id) => [id, 0]));
  const counts = { done: 0, failed: 0, cancelled: 0 };
  const bar = new cliProgress.SingleBar(
    { stream, format: `${label} [{bar}] {percentage}% | {ended}/{total} runs | {failed} failed | {eta_formatted} left`, hideCursor: true, clearOnComplete: false, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  const total = runIds.length;
  bar.start(total * 100, 0, { ended: 0, total, failed: 0 });
  const update = () => {
    let sum = 0;
    for (const f of fraction.values()) sum += f;
    bar.update(Math.round(sum * 100), { ended: counts.done + counts.failed + counts.cancelled, total, failed: counts.failed });
  };
  const offProgress = lab.on('run.progress', ({ runId, fraction: f }) => {
    if (!fraction.has(runId)) return;
    fraction.set(runId, f);
    update();
  });
  const offStatus = lab.on('run.status', ({ runId, status }) => {
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

/** Ctrl-C during a batch cancels its runs (they end `cancelled`) instead of killing the process mid-write. */
export function cancelOnInterrupt(lab: Lab, runIds: readonly string[], onCancel: () => void): () => void {
  const handler = () => {
    onCancel();
    void lab.call('runs.cancel', { ids: [...runIds] });
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

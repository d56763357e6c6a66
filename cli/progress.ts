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
function showBatchProgress(client: Client, runIds: readonly string[], label: string, stream: NodeJS.WriteStream = process.stderr): BatchProgress {
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

/** Ctrl-C during a batch cancels its runs (they end `cancelled`) instead of killing the process mid-write. */
function cancelOnInterrupt(client: Client, runIds: readonly string[], onCancel: () => void): () => void {
  const handler = () => {
    onCancel();
    void client.call('runs.cancel', { ids: [...runIds] });
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/** Waits for a batch of runs with a bar and Ctrl-C handling; `onInterrupt` hears of a Ctrl-C. */
export async function followBatch(client: Client, runIds: readonly string[], label: string, onInterrupt?: () => void): Promise<Result<'runs.wait'>> {
  const bar = showBatchProgress(client, runIds, label);
  const stopInterrupt = cancelOnInterrupt(client, runIds, () => {
    onInterrupt?.();
    bar.stop();
  });
  return client.call('runs.wait', { ids: [...runIds] }).finally(() => {
    bar.stop();
    stopInterrupt();
  });
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

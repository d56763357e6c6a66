// How the scheduler records a run's ending: never thrown out of a pool
// callback, never dropped. A result the journal refuses ends the run `failed`
// with the reason; a journal that is busy delays the ending, never loses it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findPreset } from '../../core/model/presets.ts';
import { mergeDeep, parseScenario } from '../../core/model/scenario.ts';
import type { Journal, RunStatus } from '../../db/index.ts';
import { RunScheduler } from '../../service/scheduler.ts';

const scenario = parseScenario(mergeDeep(findPreset('seed-after-fix')!.scenario, { durationMs: 20, warmupMs: 2 }));
const busy = (): Error => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

/** A journal stand-in whose lifecycle writes do what `behave` says, and that records what was written. */
function fakeJournal(behave: { markRunning?: () => void; completeRun?: () => void }) {
  const written: string[] = [];
  const journal = {
    path: '/fake.sqlite',
    runs: {
      markRunning: () => (behave.markRunning?.(), written.push('running')),
      completeRun: () => (behave.completeRun?.(), written.push('done')),
      failRun: (_id: string, message: string) => written.push(`failed: ${message}`),
      cancelRun: () => written.push('cancelled'),
    },
  };
  return { journal: journal as unknown as Journal, written };
}

async function runOnce(journal: Journal): Promise<{ status: RunStatus; error: string | null }[]> {
  const statuses: { status: RunStatus; error: string | null }[] = [];
  const scheduler = new RunScheduler(() => journal, { onStatus: (_id, status, error) => statuses.push({ status, error }), onProgress() {} }, { workers: 1 });
  try {
    await scheduler.schedule('11111111-2222-4333-8444-555555555555', scenario);
  } finally {
    await scheduler.close();
  }
  return statuses;
}

test('a result the journal refuses ends the run failed with the reason, instead of vanishing', async () => {
  const { journal, written } = fakeJournal({ completeRun: () => { throw new Error('completion.metrics.x must be finite'); } });
  const statuses = await runOnce(journal);
  assert.deepEqual(statuses.map((s) => s.status), ['running', 'failed']);
  assert.match(statuses[1]?.error ?? '', /^the result could not be journaled: completion\.metrics\.x must be finite$/);
  assert.deepEqual(written, ['running', 'failed: the result could not be journaled: completion.metrics.x must be finite']);
});

test('a busy journal delays the run\'s start and end, which are written in order once it frees', async () => {
  let refusals = 4;
  const refuseWhileBusy = (): void => {
    if (refusals > 0) {
      refusals--;
      throw busy();
    }
  };
  const { journal, written } = fakeJournal({ markRunning: refuseWhileBusy, completeRun: refuseWhileBusy });
  const statuses = await runOnce(journal);
  assert.deepEqual(statuses.map((s) => s.status), ['running', 'done']);
  assert.deepEqual(written, ['running', 'done'], 'running before done, nothing lost');
  assert.equal(refusals, 0);
});

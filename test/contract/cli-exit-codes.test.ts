// Exit statuses of `simulate` and `sweep`, through the compiled bin: 0 only
// when every requested run is done, 130 after Ctrl-C, 1 when any run did not
// end done; the summary line says which.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { batchExitCode, batchSummary } from '../../cli/progress.ts';
import { cleanupTempDirs, tempDir } from '../fixtures/journal-helpers.ts';
import { interruptOnceRunning, runCli } from './cli-run.ts';

after(cleanupTempDirs);

/** Long enough that the runs are still running when Ctrl-C comes. */
const SLOW = ['durationMs=20000', 'warmupMs=3'];

test('sweep: Ctrl-C cancels the runs and exits 130, and the summary says so', async () => {
  const dir = tempDir();
  const journal = join(dir, 'j.sqlite');
  const spec = join(dir, 'spec.json');
  writeFileSync(spec, JSON.stringify({ name: 'interrupted', base: { preset: 'seed-after-fix', overrides: SLOW }, grid: { policy: ['strict', 'lazy'] }, seeds: 2 }));
  const r = await interruptOnceRunning(['sweep', spec, '--journal', journal], journal);
  assert.equal(r.code, 130, r.err);
  assert.match(r.out, /0 done, 0 failed, 4 cancelled of 4 runs \(interrupted by Ctrl-C\)/);
});

test('simulate: Ctrl-C exits 130 with the summary on stderr; a run that completes exits 0', async () => {
  const dir = tempDir();
  const journal = join(dir, 'j.sqlite');
  const r = await interruptOnceRunning(['simulate', '--preset', 'seed-after-fix', ...SLOW.flatMap((s) => ['--set', s]), '--seeds', '2', '--json', '--journal', journal], journal);
  assert.equal(r.code, 130, r.err);
  assert.match(r.err, /iommu-lab: 0 done, 0 failed, 2 cancelled of 2 runs \(interrupted by Ctrl-C\)/);

  const ok = await runCli(['simulate', '--preset', 'seed-after-fix', '--set', 'durationMs=30', '--set', 'warmupMs=3', '--journal', journal]);
  assert.equal(ok.code, 0, ok.err);
  assert.doesNotMatch(ok.err, /done, .* of /);
});

test('the exit status and summary of a batch: 0 only when all requested runs are done', () => {
  const done = { status: 'done' };
  assert.equal(batchExitCode([done, done], 2, false), 0);
  assert.equal(batchExitCode([done, { status: 'failed' }], 2, false), 1);
  assert.equal(batchExitCode([done, { status: 'cancelled' }], 2, false), 1);
  assert.equal(batchExitCode([done, { status: 'interrupted' }], 2, false), 1);
  assert.equal(batchExitCode([done], 2, false), 1, 'a run that never reported an ending is not done');
  assert.equal(batchExitCode([done, done], 2, true), 130, 'Ctrl-C wins');
  assert.equal(batchSummary([done, { status: 'failed' }, { status: 'interrupted' }], 4, false), '1 done, 1 failed, 0 cancelled, 1 interrupted, 1 not finished of 4 runs');
});

// journal.merge runs in a worker over its own connection: it merges the same
// runs, merging twice adds nothing, the runs the service carries are left
// alone, and its refusals keep their codes and fields (not `internal`).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, type ApiError } from '../../service/index.ts';
import { cleanupTempDirs, doneRun, tempDir, withJournal } from '../fixtures/journal-helpers.ts';

after(cleanupTempDirs);

const refusal = (code: string, path?: string, message?: RegExp) => (err: ApiError) => {
  assert.equal(err.code, code, err.message);
  if (path !== undefined) assert.equal(err.fields[0]?.path, path);
  if (message) assert.match(err.message, message);
  return true;
};

test('a merge in the worker: runs added once, active runs here untouched, refusals with their codes', async () => {
  const dir = tempDir();
  const other = join(dir, 'other.sqlite');
  withJournal(other, (j) => j.runs.insertRunsBulk(Array.from({ length: 1200 }, (_, i) => doneRun(`other ${i}`, { throughputGbps: i }))));
  const lab = Lab.open({ journalPath: join(dir, 'journal.sqlite'), workers: 2 });
  try {
    // A run of this process, running in the other worker while the merge opens the journal: a worker
    // opening it as a Journal would take the run for an orphan of a closed journal and end it.
    const { runIds } = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: ['durationMs=1500', 'warmupMs=3'] } });
    const report = await lab.call('journal.merge', { path: other });
    assert.equal(report.runsAdded, 1200);
    assert.equal((await lab.call('journal.merge', { path: other })).runsAdded, 0, 'merging twice adds nothing');
    const ended = await lab.call('runs.wait', { ids: runIds });
    assert.deepEqual(ended.map((r) => r.status), ['done']);
    assert.equal((await lab.call('runs.list', { filter: { status: ['done'] }, page: { limit: 1 } })).total, 1201);

    const notJournal = join(dir, 'notes.sqlite');
    writeFileSync(notJournal, 'not a database '.repeat(100));
    await assert.rejects(lab.call('journal.merge', { path: notJournal }), refusal('unavailable', undefined, /not an SQLite database/));
    await assert.rejects(lab.call('journal.merge', { path: join(dir, 'missing.sqlite') }), refusal('invalid', 'otherPath', /does not exist/));
    await assert.rejects(lab.call('journal.merge', { path: join(dir, 'journal.sqlite') }), refusal('invalid', 'otherPath', /this journal itself/));
  } finally {
    await lab.close();
  }
});

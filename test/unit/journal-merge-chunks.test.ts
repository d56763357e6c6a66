// A merge commits in bounded chunks of runs: other writers get the lock
// between them, each run goes in whole, and the outcome is the same as one
// big transaction.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openJournal } from '../../db/index.ts';
import { Lab } from '../../service/index.ts';
import { cleanupTempDirs, doneRun, tableCounts, tempDir, withJournal } from '../fixtures/journal-helpers.ts';

after(cleanupTempDirs);

function source(path: string, runs: number): void {
  withJournal(path, (j) => {
    const ids = j.runs.insertRunsBulk(Array.from({ length: runs }, (_, i) => doneRun(`run ${i}`, { throughputGbps: i }, { tags: [`t${i % 3}`] })));
    j.runs.addNote(ids[0] as string, 'first');
    j.runs.addNote(ids[runs - 1] as string, 'last');
  });
}

test('a merge of 1,200 runs in chunks of 500 lets another writer in between chunks and equals a one-chunk merge', () => {
  const dir = tempDir();
  const src = join(dir, 'src.sqlite');
  source(src, 1200);
  const chunked = join(dir, 'chunked.sqlite');
  const whole = join(dir, 'whole.sqlite');
  openJournal(chunked).close();

  const journal = openJournal(chunked);
  const other = new Database(chunked, { timeout: 0 }); // fails at once if the merge held the lock
  let between = 0;
  try {
    const report = journal.mergeFrom(src, {
      chunkRuns: 500,
      betweenChunks: () => {
        between++;
        other.exec('BEGIN IMMEDIATE');
        other.exec('COMMIT');
      },
    });
    assert.equal(between, 4, 'before each of the 3 chunks of runs and before the histories');
    assert.equal(report.runsAdded, 1200);
    assert.equal(report.notesAdded, 2);
    assert.equal(report.tagsAdded, 1200);
    assert.equal(journal.mergeFrom(src, { chunkRuns: 500 }).runsAdded, 0, 'merging twice adds nothing');
    assert.deepEqual(journal.checkIntegrity(), []);
  } finally {
    other.close();
    journal.close();
  }
  withJournal(whole, (j) => assert.equal(j.mergeFrom(src, { chunkRuns: 100_000 }).runsAdded, 1200));
  assert.deepEqual(tableCounts(chunked), tableCounts(whole));
});

test('chunkRuns must be a whole number of at least 1', () => {
  const dir = tempDir();
  const src = join(dir, 'src.sqlite');
  source(src, 2);
  withJournal(join(dir, 'dst.sqlite'), (j) => assert.throws(() => j.mergeFrom(src, { chunkRuns: 0 }), /chunkRuns must be a whole number/));
});

test('the service answers other calls while a merge runs, and refuses a second merge meanwhile', async () => {
  const dir = tempDir();
  const src = join(dir, 'src.sqlite');
  source(src, 2500);
  const lab = Lab.open({ journalPath: join(dir, 'dst.sqlite'), workers: 1, validateResults: true });
  try {
    await lab.call('runs.list', {}); // the journal is open before the merge starts
    const order: string[] = [];
    const merged = lab.call('journal.merge', { path: src }).then((r) => (order.push('merge'), r));
    const second = lab.call('journal.merge', { path: src }).then(
      () => 'merged twice',
      (e: unknown) => (e as { code?: string }).code,
    );
    const listed = lab.call('runs.list', {}).then((r) => (order.push('list'), r));
    const [report, , list] = await Promise.all([merged, second, listed]);
    assert.equal(await second, 'conflict');
    assert.deepEqual(order, ['list', 'merge'], 'the list was answered while the merge ran');
    assert.ok(list.total < 2500, `the list saw the merge part way: ${list.total}`);
    assert.equal(report.runsAdded, 2500);
  } finally {
    await lab.close();
  }
});

// Journal writes nest as the driver's savepoints: an inner failure undoes the
// inner writes only, an outer failure undoes everything, and the stores'
// own writes (each a transaction) nest inside a caller's.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cleanupTempDirs, newRun, tempDir, withJournal } from '../fixtures/journal-helpers.ts';

after(cleanupTempDirs);

test('an inner failure rolls back the inner writes only; the outer ones commit', () => {
  withJournal(join(tempDir(), 'j.sqlite'), (j) => {
    j.transaction(() => {
      j.runs.insertRun(newRun('kept'));
      assert.throws(() =>
        j.transaction(() => {
          j.runs.insertRun(newRun('undone'));
          throw new Error('inner step failed');
        }),
      );
      // A store's own write (a bulk insert, itself a transaction) refused half-way leaves nothing either.
      assert.throws(() => j.runs.insertRunsBulk([{ ...newRun('bulk ok'), status: 'queued' }, { ...newRun(''), status: 'queued' }]));
    });
    assert.deepEqual(j.runs.listRuns().rows.map((r) => r.name), ['kept']);
  });
});

test('an outer failure rolls back everything, inner commits included', () => {
  withJournal(join(tempDir(), 'j.sqlite'), (j) => {
    assert.throws(() =>
      j.transaction(() => {
        j.transaction(() => j.runs.insertRun(newRun('inner')));
        j.runs.insertRun(newRun('outer'));
        throw new Error('outer step failed');
      }),
    );
    assert.equal(j.runs.listRuns().total, 0);
  });
});

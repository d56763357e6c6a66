// Runs left `interrupted` when the process holding them ended are queued
// again by a process that resumes them (a distributed sweep's new coordinator),
// and only those: a run that ended stays as it is.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openJournal } from '../../db/index.ts';
import { cleanupTempDirs, completion, newRun, tempDir } from '../fixtures/journal-helpers.ts';

after(() => cleanupTempDirs());

test('requeueInterrupted: interrupted -> queued (then done once); other statuses untouched', () => {
  const path = join(tempDir(), 'journal.sqlite');
  const first = openJournal(path);
  const lost = first.runs.insertRun(newRun('lost'));
  const finished = first.runs.insertRun(newRun('finished'));
  first.runs.completeRun(finished, completion());
  first.close(); // the holder ends: its queued run is an orphan

  const second = openJournal(path);
  try {
    assert.equal(second.runs.getRun(lost).status, 'interrupted');
    assert.deepEqual(second.runs.requeueInterrupted([lost, finished]), [lost]);
    const again = second.runs.getRun(lost);
    assert.equal(again.status, 'queued');
    assert.equal(again.error, null);
    assert.equal(second.runs.getRun(finished).status, 'done');
    assert.deepEqual(second.runs.requeueInterrupted([lost]), [], 'a queued run is not interrupted');
    second.runs.completeRun(lost, completion());
    assert.equal(second.runs.getRun(lost).status, 'done');
    assert.throws(() => second.runs.completeRun(lost, completion()), 'a result is journaled once');
    assert.throws(() => second.runs.requeueInterrupted(['not-an-id']), /ids/);
  } finally {
    second.close();
  }
});

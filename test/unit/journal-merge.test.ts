import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IncompatibleJournalError, JournalInputError, LATEST_SCHEMA_VERSION, openJournal } from '../../db/index.ts';
import type { Journal, RunPage } from '../../db/index.ts';
import { cleanupTempDirs, completion, doneRun, newRun, tempDir, V1, writeV1Journal, withJournal } from '../fixtures/journal-helpers.ts';

after(cleanupTempDirs);

const SHARED_RUN = '5a5a5a5a-1111-4222-8333-944455556666';
const MARKER = { at: '2025-02-10T00:00:00.000Z', label: 'kernel 6.9' };
const RX = { name: 'rx', metric: 'throughputGbps', higherIsBetter: true };

/** Journal A: a shared run, a failed run, a benchmark with one point and one marker. */
function makeA(path: string): void {
  withJournal(path, (a) => {
    const shared = a.experiments.ensureExperiment({ name: 'shared' });
    a.runs.insertRunsBulk([doneRun('shared run', { throughputGbps: 9 }, { id: SHARED_RUN, experimentId: shared.id, tags: ['x'] })]);
    a.runs.failRun(a.runs.insertRun(newRun('a failed', { status: 'running' })), 'boom');
    a.benchmarks.ensureBenchmark(RX);
    a.benchmarks.addBenchmarkPoint('rx', { value: 9, source: 'simulated', runId: SHARED_RUN, measuredAt: '2025-01-01T00:00:00Z' });
    a.benchmarks.addMarker('rx', MARKER);
  });
}

/** Journal B: the same shared run with more tags and a note, new runs, an active run, and more history. */
function makeB(path: string): { fromB: string; other: string; active: string } {
  return withJournal(path, (b) => {
    const shared = b.experiments.ensureExperiment({ name: 'shared' }); // same name, another UUID
    const onlyB = b.experiments.ensureExperiment({ name: 'only-b' });
    b.runs.insertRunsBulk([doneRun('shared run', { throughputGbps: 9 }, { id: SHARED_RUN, experimentId: shared.id, tags: ['x', 'y'] })]);
    b.runs.addNote(SHARED_RUN, 'seen on lab host B');
    const fromB = b.runs.insertRun(newRun('from b lazy flush', { experimentId: shared.id, tags: ['b'] }));
    b.runs.completeRun(fromB, completion());
    b.runs.addNote(fromB, 'queue stalls every 2 s');
    const other = b.runs.insertRun(newRun('other', { experimentId: onlyB.id }));
    b.runs.cancelRun(other);
    const active = b.runs.insertRun(newRun('still running', { status: 'running' }));
    b.benchmarks.ensureBenchmark(RX);
    b.benchmarks.addBenchmarkPoint('rx', { value: 8.8, source: 'iperf3', runId: fromB, measuredAt: '2025-02-01T00:00:00Z' });
    b.benchmarks.addBenchmarkPoint('rx', { value: 8.7, source: 'simulated', runId: active, measuredAt: '2025-03-01T00:00:00Z' });
    b.benchmarks.addMarker('rx', MARKER);
    b.benchmarks.addMarker('rx', { at: '2025-03-05T00:00:00.000Z', label: 'host moved' });
    return { fromB, other, active };
  });
}

const all = (j: Journal): RunPage => j.runs.listRuns({ page: { limit: 1000 }, sort: { by: 'created_at', dir: 'asc' } });

describe('mergeFrom', () => {
  test('copies missing runs with everything attached, unions tags and notes, and is idempotent', () => {
    const dir = tempDir();
    const pathA = join(dir, 'a.sqlite');
    const pathB = join(dir, 'b.sqlite');
    makeA(pathA);
    const { fromB, other, active } = makeB(pathB);
    const bBytes = readFileSync(pathB);
    const reader = openJournal(pathB, { readonly: true }); // read-write would recover B's running run
    const bRunFromB = reader.runs.getRun(fromB);
    reader.close();

    withJournal(pathA, (a) => {
      const report = a.mergeFrom(pathB);
      assert.deepEqual(report, {
        runsAdded: 2,
        runsAlreadyPresent: 1,
        runsSkippedActive: 1,
        experimentsAdded: 1,
        tagsAdded: 2, // y on the shared run, b on the new run
        notesAdded: 2,
        benchmarksAdded: 0,
        pointsAdded: 2,
        markersAdded: 1,
        profilesAdded: 0,
      });

      const copied = a.runs.getRun(fromB);
      const shared = a.experiments.getExperimentByName('shared');
      assert.deepEqual({ ...copied, experimentId: null, notes: [] }, { ...bRunFromB, experimentId: null, notes: [] });
      assert.equal(copied.experimentId, shared?.id, 'mapped to the experiment of the same name here');
      assert.deepEqual(copied.notes.map((n) => [n.id, n.body]), bRunFromB.notes.map((n) => [n.id, n.body]));
      assert.equal(a.runs.getRun(other).experimentId, a.experiments.getExperimentByName('only-b')?.id);
      assert.throws(() => a.runs.getRun(active), /not found/);

      const sharedRun = a.runs.getRun(SHARED_RUN);
      assert.deepEqual(sharedRun.tags, ['x', 'y']);
      assert.deepEqual(sharedRun.notes.map((n) => n.body), ['seen on lab host B']);

      // Search indexes cover the copied rows.
      assert.deepEqual(a.runs.listRuns({ filter: { text: 'stalls' } }).rows.map((r) => r.id), [fromB]);
      assert.deepEqual(a.runs.listRuns({ filter: { text: 'lazy flush' } }).rows.map((r) => r.id), [fromB]);

      const points = a.benchmarks.listBenchmarkPoints('rx');
      assert.deepEqual(points.map((p) => [p.value, p.runId]), [[9, SHARED_RUN], [8.8, fromB], [8.7, null]]);
      assert.deepEqual(a.benchmarks.listMarkers('rx').map((m) => m.label), ['kernel 6.9', 'host moved']);

      const before = all(a);
      const again = a.mergeFrom(pathB);
      assert.deepEqual(again, {
        runsAdded: 0, runsAlreadyPresent: 3, runsSkippedActive: 1, experimentsAdded: 0, tagsAdded: 0,
        notesAdded: 0, benchmarksAdded: 0, pointsAdded: 0, markersAdded: 0, profilesAdded: 0,
      });
      assert.deepEqual(all(a), before);
      assert.equal(before.total, 4);
      assert.deepEqual(a.checkIntegrity(), []);
    });
    assert.ok(readFileSync(pathB).equals(bBytes), 'the other journal is not modified');
  });

  test('merges an older journal through a migrated copy, leaving the original untouched', () => {
    const dir = tempDir();
    const v1 = join(dir, 'v1.sqlite');
    writeV1Journal(v1);
    const before = readFileSync(v1);
    withJournal(join(dir, 'main.sqlite'), (j) => {
      const report = j.mergeFrom(v1);
      assert.equal(report.runsAdded, 2);
      assert.equal(report.runsSkippedActive, 1, 'the run still marked running in the old file');
      assert.deepEqual(j.runs.getRun(V1.done).metrics, { latencyP99Us: 210.5, throughputGbps: 9.4 });
      assert.equal(j.runs.getRun(V1.done).kind, 'simulated');
      assert.deepEqual(j.checkIntegrity(), []);
    });
    assert.ok(readFileSync(v1).equals(before));
    const check = new Database(v1, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), 1);
    check.close();
  });

  test('refuses itself, missing files, newer journals and non-journals', () => {
    const dir = tempDir();
    const path = join(dir, 'j.sqlite');
    const newer = join(dir, 'newer.sqlite');
    withJournal(newer, () => {});
    const db = new Database(newer);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    const foreign = join(dir, 'foreign.sqlite');
    const fdb = new Database(foreign);
    fdb.exec('CREATE TABLE t (x)');
    fdb.close();

    withJournal(path, (j) => {
      j.runs.insertRun(newRun('mine'));
      assert.throws(() => j.mergeFrom(path), (e: unknown) => e instanceof JournalInputError && /is this journal itself/.test(e.message));
      assert.throws(() => j.mergeFrom(join(dir, 'missing.sqlite')), /does not exist/);
      assert.throws(() => j.mergeFrom(newer), (e: unknown) => e instanceof IncompatibleJournalError && /newer IOMMU Lab/.test(e.message));
      assert.throws(() => j.mergeFrom(foreign), /not an IOMMU Lab journal/);
      writeFileSync(join(dir, 'text.txt'), 'plain text, long enough to fill a database header and then some'.repeat(10));
      assert.throws(() => j.mergeFrom(join(dir, 'text.txt')), /is not an SQLite database/);
      assert.equal(j.runs.listRuns().total, 1);
    });
  });
});

describe('backup', () => {
  test('writes a consistent copy that opens as a journal', () => {
    const dir = tempDir();
    const path = join(dir, 'j.sqlite');
    const copy = join(dir, 'backup.sqlite');
    withJournal(path, (j) => {
      const id = j.runs.insertRun(newRun('kept', { tags: ['t'] }));
      j.runs.completeRun(id, completion());
      j.runs.addNote(id, 'backed up note');
      j.backup(copy);
      assert.throws(() => j.backup(copy), (e: unknown) => e instanceof JournalInputError && /already exists/.test(e.message));
    });
    const original = withJournal(path, all);
    withJournal(copy, (b) => {
      assert.deepEqual(all(b), original);
      assert.equal(b.runs.listRuns({ filter: { text: 'backed' } }).total, 1);
      assert.deepEqual(b.checkIntegrity(), []);
      assert.equal(b.schemaVersion, LATEST_SCHEMA_VERSION);
    });
  });
});

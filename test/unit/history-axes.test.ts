// Histories on a meaningful axis: points ordered by run order, kernel or any
// context key (a commit), markers between points, and the journal's side of
// it: duplicate content, removal, and points going with their run.
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createRng } from '../../core/analysis/index.ts';
import { JournalInputError, LATEST_SCHEMA_VERSION, NotFoundError, openJournal, type Journal } from '../../db/index.ts';
import { analyzeHistory, HistoryInputError, naturalCompare, type HistoryPointInput } from '../../service/history.ts';
import { cleanupTempDirs, doneRun, migrateTo, tempDir, V1, writeV1Journal } from '../fixtures/journal-helpers.ts';

const bench = { name: 'rx', metric: 'receivedGbps', higherIsBetter: true };
const T0 = Date.parse('2026-03-01T00:00:00.000Z');

/**
 * 20 points at commits c1..c20 measured in reverse commit order (c20 first);
 * ±1% seeded noise around 40, and 30 from commit c11 on (a regression).
 */
function commitHistory(): HistoryPointInput[] {
  const rng = createRng(7);
  return Array.from({ length: 20 }, (_, k) => {
    const c = k + 1;
    const level = c >= 11 ? 30 : 40;
    return { id: `p${c}`, measuredAt: new Date(T0 + (21 - c) * 3_600_000).toISOString(), value: level * (1 + (rng.next() - 0.5) * 0.02), context: { commit: `c${c}` } };
  });
}

describe('history axes', () => {
  test('natural order reads digit runs as numbers', () => {
    assert.ok(naturalCompare('c2', 'c10') < 0);
    assert.ok(naturalCompare('v6.8-9-gabc', 'v6.8-12-g0de') < 0);
    assert.ok(naturalCompare('6.10', '6.9') > 0);
    assert.equal(naturalCompare('abc', 'abc'), 0);
  });

  test('ordered by commit, the step is one regression at c11; by time, the same points show an improvement', () => {
    const byCommit = analyzeHistory({ benchmark: bench, orderBy: 'context:commit', points: commitHistory() });
    assert.deepEqual(
      byCommit.points.map((p) => p.key),
      Array.from({ length: 20 }, (_, i) => `c${i + 1}`),
    );
    assert.equal(byCommit.changes.length, 1);
    assert.equal(byCommit.changes[0]?.index, 10);
    assert.equal(byCommit.changes[0]?.pointId, 'p11');
    assert.equal(byCommit.changes[0]?.kind, 'regression');

    // Measured in reverse order: on the time axis the step runs the other way.
    const byTime = analyzeHistory({ benchmark: bench, orderBy: 'time', points: commitHistory() });
    assert.equal(byTime.points[0]?.id, 'p20');
    assert.equal(byTime.changes[0]?.kind, 'improvement');
  });

  test('a marker before a point turns that step into a known shift, and no change point is left', () => {
    const a = analyzeHistory({
      benchmark: bench,
      orderBy: 'context:commit',
      points: commitHistory(),
      markers: [{ id: 'm1', at: new Date(T0).toISOString(), label: 'vhost rework', pointId: 'p11', side: 'before' }],
    });
    assert.deepEqual(a.changes, []);
    assert.equal(a.knownShifts.length, 1);
    const shift = a.knownShifts[0];
    assert.equal(shift?.index, 10);
    assert.match(shift?.placement ?? '', /^before p11/);
    assert.ok(shift?.changePct !== null && shift !== undefined && shift.changePct! < -20 && shift.changePct! > -30, `shift ${shift?.changePct}`);
    // After the last point of the old level: the same place.
    const afterP10 = analyzeHistory({ benchmark: bench, orderBy: 'context:commit', points: commitHistory(), markers: [{ at: new Date(T0).toISOString(), label: 'x', pointId: 'p10', side: 'after' }] });
    assert.equal(afterP10.knownShifts[0]?.index, 10);
  });

  test('a marker at a kernel version sits before the first point on that kernel or later', () => {
    const kernels = ['6.1', '6.2', '6.2.8', '6.3-rc2', '6.3', '6.10'];
    const points = kernels.map((k, i) => ({ id: `k${i}`, measuredAt: new Date(T0 - i * 1000).toISOString(), value: i < 4 ? 10 : 20, context: { kernel: k } }));
    const a = analyzeHistory({ benchmark: bench, orderBy: 'kernel', points, markers: [{ at: new Date(T0).toISOString(), label: 'CM rule relaxed', kernel: '6.3' }] });
    assert.deepEqual(
      a.points.map((p) => p.key),
      ['6.1', '6.2', '6.2.8', '6.3-rc2', '6.3', '6.10'],
    );
    // A release candidate precedes its release: the marker goes after 6.3-rc2, before 6.3, where the level steps.
    assert.equal(a.knownShifts[0]?.index, 4);
    assert.equal(a.knownShifts[0]?.changePct, 100);
    assert.throws(() => analyzeHistory({ benchmark: bench, points, markers: [{ at: new Date(T0).toISOString(), label: 'x', kernel: 'six' }] }), HistoryInputError);
  });

  test('run order keeps the order points were added; points without the key come last; a bad axis names the field', () => {
    const pts = commitHistory();
    assert.deepEqual(
      analyzeHistory({ benchmark: bench, orderBy: 'run-order', points: pts }).points.map((p) => p.id),
      pts.map((p) => p.id),
    );
    const missing = [...pts.slice(0, 3), { id: 'nokey', measuredAt: new Date(T0).toISOString(), value: 40 }];
    const a = analyzeHistory({ benchmark: bench, orderBy: 'context:commit', points: missing });
    assert.equal(a.unordered, 1);
    assert.equal(a.points.at(-1)?.id, 'nokey');
    assert.throws(
      () => analyzeHistory({ benchmark: bench, orderBy: 'commit', points: pts }),
      (e: unknown) => e instanceof HistoryInputError && e.field === 'orderBy',
    );
  });
});

let journal: Journal;
let journalPath: string;
beforeEach(() => {
  journal?.close();
  journalPath = join(tempDir(), 'journal.sqlite');
  journal = openJournal(journalPath);
});
after(() => {
  journal.close();
  cleanupTempDirs();
});

describe('journal: history axes, markers and removal', () => {
  const HASH = 'a'.repeat(64);

  test('schema 5 and an order key per benchmark, changeable and validated', () => {
    assert.equal(journal.schemaVersion, LATEST_SCHEMA_VERSION);
    const b = journal.benchmarks.ensureBenchmark({ ...bench, orderBy: 'context:commit' });
    assert.equal(b.orderBy, 'context:commit');
    assert.equal(journal.benchmarks.setOrder('rx', 'kernel').orderBy, 'kernel');
    assert.equal(journal.benchmarks.getBenchmark('rx')?.orderBy, 'kernel');
    assert.throws(() => journal.benchmarks.setOrder('rx', 'by-commit'), (e: unknown) => e instanceof JournalInputError && e.field === 'orderBy');
  });

  test('content hashes are stored and found; points resolve by prefix and can be removed', () => {
    journal.benchmarks.ensureBenchmark(bench);
    const p = journal.benchmarks.addBenchmarkPoint('rx', { value: 40, source: 'iperf3', contentHash: HASH });
    journal.benchmarks.addBenchmarkPoint('rx', { value: 41, source: 'iperf3' });
    assert.equal(journal.benchmarks.findPointByHash('rx', HASH)?.id, p.id);
    assert.equal(journal.benchmarks.findPointByHash('rx', 'b'.repeat(64)), undefined);
    assert.equal(journal.benchmarks.resolvePoint('rx', p.id.slice(0, 8)).id, p.id);
    assert.throws(() => journal.benchmarks.resolvePoint('rx', 'zzzz'), NotFoundError);
    assert.equal(journal.benchmarks.removePoints('rx', [p.id.slice(0, 8)]), 1);
    assert.deepEqual(
      journal.benchmarks.listPointsAdded('rx').map((x) => x.value),
      [41],
    );
  });

  test('markers: before/after a point, at a kernel, or at a time; exactly one placement; removable', () => {
    journal.benchmarks.ensureBenchmark(bench);
    const p = journal.benchmarks.addBenchmarkPoint('rx', { value: 40, source: 'iperf3', measuredAt: '2026-03-01T00:00:00.000Z' });
    const m = journal.benchmarks.addMarker('rx', { label: 'vhost', pointId: p.id, side: 'before' });
    assert.equal(m.pointId, p.id);
    assert.equal(m.side, 'before');
    assert.equal(m.at, p.measuredAt);
    assert.deepEqual(journal.benchmarks.addMarker('rx', { label: 'vhost', pointId: p.id, side: 'before' }), m);
    const k = journal.benchmarks.addMarker('rx', { label: 'cm rule', kernel: '6.3' });
    assert.equal(k.kernel, '6.3');
    assert.throws(() => journal.benchmarks.addMarker('rx', { label: 'both', kernel: '6.3', at: '2026-03-01T00:00:00.000Z' }), JournalInputError);
    assert.throws(() => journal.benchmarks.addMarker('rx', { label: 'no side', pointId: p.id }), JournalInputError);
    // Removing the point keeps the marker, at the point's time.
    journal.benchmarks.removePoints('rx', [p.id]);
    const kept = journal.benchmarks.listMarkers('rx').find((x) => x.id === m.id);
    assert.equal(kept?.pointId, null);
    assert.equal(kept?.at, p.measuredAt);
    assert.equal(journal.benchmarks.removeMarker('rx', m.id.slice(0, 8)), true);
    assert.equal(journal.benchmarks.removeMarker('rx', m.id), false);
    assert.deepEqual(
      journal.benchmarks.listMarkers('rx').map((x) => x.label),
      ['cm rule'],
    );
  });

  test('deleting a run deletes its points; deleting a benchmark deletes its points and markers, not the runs', () => {
    journal.benchmarks.ensureBenchmark(bench);
    const [r1, r2] = journal.runs.insertRunsBulk([doneRun('a', { receivedGbps: 40 }), doneRun('b', { receivedGbps: 41 })]) as [string, string];
    journal.benchmarks.addBenchmarkPoint('rx', { value: 40, source: 'simulated', runId: r1 });
    journal.benchmarks.addBenchmarkPoint('rx', { value: 41, source: 'simulated', runId: r2 });
    journal.runs.deleteRuns([r1]);
    assert.deepEqual(
      journal.benchmarks.listPointsAdded('rx').map((p) => p.runId),
      [r2],
    );
    journal.benchmarks.addMarker('rx', { label: 'x', at: '2026-03-01T00:00:00.000Z' });
    assert.equal(journal.benchmarks.deleteBenchmark('rx'), true);
    assert.equal(journal.benchmarks.getBenchmark('rx'), undefined);
    const raw = new Database(journalPath, { readonly: true });
    try {
      assert.deepEqual(raw.prepare('SELECT (SELECT count(*) FROM benchmark_points) AS points, (SELECT count(*) FROM benchmark_markers) AS markers').get(), { points: 0, markers: 0 });
    } finally {
      raw.close();
    }
    assert.ok(journal.runs.getRun(r2, { series: false }));
  });
});

describe('schema 5 migration', () => {
  test('a schema-4 journal keeps its history: time axis, no hashes, markers at their times; run deletion now takes points along', () => {
    const path = join(tempDir(), 'v4.sqlite');
    writeV1Journal(path);
    const db = new Database(path);
    try {
      migrateTo(db, 4);
      db.prepare("INSERT INTO benchmarks (id, name, metric, description, higher_is_better, created_at) VALUES (?, 'rx', 'throughputGbps', '', 1, '2026-01-01T00:00:00.000Z')").run('b'.repeat(8) + '-0000-4000-8000-000000000001');
      db.prepare(
        "INSERT INTO benchmark_points (id, benchmark_id, run_id, measured_at, value, source) VALUES (?, ?, ?, '2026-01-02T00:00:00.000Z', 9.4, 'simulated')",
      ).run('c'.repeat(8) + '-0000-4000-8000-000000000001', 'b'.repeat(8) + '-0000-4000-8000-000000000001', V1.done);
      db.prepare("INSERT INTO benchmark_markers (id, benchmark_id, at, label, created_at) VALUES (?, ?, '2026-01-03T00:00:00.000Z', 'k', '2026-01-03T00:00:00.000Z')").run(
        'd'.repeat(8) + '-0000-4000-8000-000000000001',
        'b'.repeat(8) + '-0000-4000-8000-000000000001',
      );
    } finally {
      db.close();
    }
    const j = openJournal(path);
    try {
      assert.equal(j.schemaVersion, 7); // migrated through 5 to the latest (7: shared scenarios)
      assert.equal(j.benchmarks.getBenchmark('rx')?.orderBy, 'time');
      const [point] = j.benchmarks.listPointsAdded('rx');
      assert.equal(point?.contentHash, null);
      assert.deepEqual(
        j.benchmarks.listMarkers('rx').map((m) => [m.at, m.pointId, m.side, m.kernel]),
        [['2026-01-03T00:00:00.000Z', null, null, null]],
      );
      j.runs.deleteRuns([V1.done]);
      assert.deepEqual(j.benchmarks.listPointsAdded('rx'), []);
      assert.deepEqual(j.checkIntegrity(), []);
    } finally {
      j.close();
    }
  });
});

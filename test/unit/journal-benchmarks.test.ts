import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { JournalInputError, NotFoundError, openJournal } from '../../db/index.ts';
import type { Journal } from '../../db/index.ts';
import { cleanupTempDirs, newRun, tempDir } from '../fixtures/journal-helpers.ts';

let journal: Journal;
beforeEach(() => {
  journal?.close();
  journal = openJournal(join(tempDir(), 'journal.sqlite'));
});
after(() => {
  journal.close();
  cleanupTempDirs();
});

const RX = { name: 'iperf-rx nested-fl', metric: 'throughputGbps', higherIsBetter: true, description: '1500 B, 4 queues' };

describe('benchmarks', () => {
  test('ensureBenchmark creates once and then returns the same benchmark', () => {
    const a = journal.benchmarks.ensureBenchmark(RX);
    const b = journal.benchmarks.ensureBenchmark({ ...RX, description: 'another text is fine' });
    assert.deepEqual(b, a);
    assert.equal(a.higherIsBetter, true);
    assert.deepEqual(journal.benchmarks.listBenchmarks(), [a]);
    assert.deepEqual(journal.benchmarks.getBenchmark(RX.name), a);
    assert.equal(journal.benchmarks.getBenchmark('nope'), undefined);
  });

  test('a conflicting definition is refused', () => {
    journal.benchmarks.ensureBenchmark(RX);
    assert.throws(() => journal.benchmarks.ensureBenchmark({ ...RX, metric: 'latencyP99Us' }), (e: unknown) => e instanceof JournalInputError && e.field === 'benchmark.metric');
    assert.throws(() => journal.benchmarks.ensureBenchmark({ ...RX, higherIsBetter: false }), (e: unknown) => e instanceof JournalInputError && e.field === 'benchmark.higherIsBetter');
  });

  test('points from simulations and measurements form one history in time order', () => {
    journal.benchmarks.ensureBenchmark(RX);
    const runId = journal.runs.insertRun(newRun('sim'));
    const raw = { start: { version: 'iperf 3.16' }, end: { sum_received: { bits_per_second: 9.3e9 } } };
    journal.benchmarks.addBenchmarkPoint(RX.name, { value: 9.3, source: 'iperf3', measuredAt: '2025-02-01T08:00:00Z', context: { host: 'lab1', kernel: '6.8' }, raw });
    journal.benchmarks.addBenchmarkPoint(RX.name, { value: 9.1, source: 'simulated', measuredAt: '2025-01-01T08:00:00.000Z', runId });
    journal.benchmarks.addBenchmarkPoint(RX.name, { value: 8.7, source: 'iperf3', measuredAt: '2025-03-01T08:00:00.000Z' });

    const points = journal.benchmarks.listBenchmarkPoints(RX.name);
    assert.deepEqual(points.map((p) => p.value), [9.1, 9.3, 8.7]);
    assert.equal(points[0]?.runId, runId);
    assert.equal(points[1]?.measuredAt, '2025-02-01T08:00:00.000Z', 'timestamps are normalised to ISO UTC with ms');
    assert.deepEqual(points[1]?.context, { host: 'lab1', kernel: '6.8' });
    assert.deepEqual(points.map((p) => p.hasRaw), [false, true, false], 'lists say whether the raw output is kept, without it');
    assert.deepEqual(journal.benchmarks.pointRaw(RX.name, points[1]!.id), raw);
    assert.equal(journal.benchmarks.pointRaw(RX.name, points[0]!.id), null);
    assert.throws(() => journal.benchmarks.pointRaw(RX.name, '00000000-0000-4000-8000-000000000000'), /point/);

    assert.deepEqual(journal.benchmarks.listBenchmarkPoints(RX.name, { source: 'iperf3' }).map((p) => p.value), [9.3, 8.7]);
    assert.deepEqual(journal.benchmarks.listBenchmarkPoints(RX.name, { from: '2025-01-15T00:00:00Z', to: '2025-02-15T00:00:00Z' }).map((p) => p.value), [9.3]);
  });

  test('bad points and unknown names are refused', () => {
    journal.benchmarks.ensureBenchmark(RX);
    assert.throws(() => journal.benchmarks.addBenchmarkPoint('missing', { value: 1, source: 'fio' }), NotFoundError);
    assert.throws(() => journal.benchmarks.listBenchmarkPoints('missing'), NotFoundError);
    assert.throws(() => journal.benchmarks.addBenchmarkPoint(RX.name, { value: Number.NaN, source: 'fio' }), /point.value must be a finite number/);
    assert.throws(() => journal.benchmarks.addBenchmarkPoint(RX.name, { value: 1, source: 'netperf' as never }), /point.source must be one of simulated, iperf3, fio/);
    assert.throws(() => journal.benchmarks.addBenchmarkPoint(RX.name, { value: 1, source: 'fio', measuredAt: 'yesterday' }), /point.measuredAt must be an ISO-8601 timestamp/);
    assert.throws(() => journal.benchmarks.addBenchmarkPoint(RX.name, { value: 1, source: 'fio', runId: '00000000-0000-4000-8000-000000000000' }), NotFoundError);
    assert.throws(() => journal.benchmarks.listBenchmarkPoints(RX.name, { source: 'bogus' as never }), /filter.source must be one of/);
    assert.equal(journal.benchmarks.listBenchmarkPoints(RX.name).length, 0);
  });

  test('markers record known shifts, once each, in time order', () => {
    journal.benchmarks.ensureBenchmark(RX);
    const upgrade = journal.benchmarks.addMarker(RX.name, { at: '2025-02-10T00:00:00.000Z', label: 'kernel 6.8 -> 6.9' });
    journal.benchmarks.addMarker(RX.name, { at: '2025-01-10T00:00:00.000Z', label: 'host moved' });
    assert.deepEqual(journal.benchmarks.addMarker(RX.name, { at: '2025-02-10T00:00:00Z', label: 'kernel 6.8 -> 6.9' }), upgrade);
    assert.deepEqual(journal.benchmarks.listMarkers(RX.name).map((m) => m.label), ['host moved', 'kernel 6.8 -> 6.9']);
    assert.throws(() => journal.benchmarks.addMarker('missing', { at: '2025-01-01T00:00:00Z', label: 'x' }), NotFoundError);
  });
});

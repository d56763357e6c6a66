// importMeasurement: one measured run plus one benchmark point, or nothing.
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openJournal } from '../../db/index.ts';
import type { Journal } from '../../db/index.ts';
import { importMeasurement } from '../../service/importers/index.ts';
import { ServiceError } from '../../service/errors.ts';
import { cleanupTempDirs, tempDir } from '../fixtures/journal-helpers.ts';

const text = (path: string): string => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

let journal: Journal;
beforeEach(() => {
  journal?.close();
  journal = openJournal(join(tempDir(), 'journal.sqlite'));
  journal.benchmarks.ensureBenchmark({ name: 'loopback-rx', metric: 'receivedGbps', higherIsBetter: true });
  journal.benchmarks.ensureBenchmark({ name: 'nvme-randread', metric: 'readIops', higherIsBetter: true });
});
after(() => {
  journal.close();
  cleanupTempDirs();
});

const measuredRuns = () => journal.runs.listRuns({ filter: { kind: 'measured' } }).total;

function serviceError(fn: () => unknown): ServiceError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ServiceError, `expected a ServiceError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ServiceError');
}

describe('importMeasurement', () => {
  test('iperf3: a done measured run and a point valued by the benchmark metric', () => {
    const raw = JSON.parse(text('iperf3/tcp-send.json'));
    const out = importMeasurement(journal, {
      tool: 'iperf3',
      text: text('iperf3/tcp-send.json'),
      benchmark: 'loopback-rx',
      context: { kernel: '6.12', backend: 'nested-fl', host: 'lab1' },
      fileName: 'tcp-send.json',
    });
    const run = journal.runs.getRun(out.runId);
    assert.equal(run.kind, 'measured');
    assert.equal(run.status, 'done');
    assert.equal(run.modelVersion, 'measured');
    assert.equal(run.name, 'loopback-rx: tcp-send.json');
    assert.equal(run.metrics.receivedGbps, raw.end.sum_received.bits_per_second / 1e9);
    assert.equal(run.series.throughputGbps?.t.length, raw.intervals.length);
    const measured = run.scenario.measured as Record<string, unknown>;
    assert.equal(measured.tool, 'iperf3');
    assert.equal(measured.protocol, 'TCP');
    assert.deepEqual(measured.context, { kernel: '6.12', backend: 'nested-fl', host: 'lab1' });

    const [point] = journal.benchmarks.listBenchmarkPoints('loopback-rx');
    assert.ok(point);
    assert.equal(point.runId, out.runId);
    assert.equal(point.source, 'iperf3');
    assert.equal(point.value, raw.end.sum_received.bits_per_second / 1e9);
    assert.equal(point.measuredAt, new Date(raw.start.timestamp.timesecs * 1000).toISOString());
    assert.equal(point.hasRaw, true);
    assert.deepEqual(journal.benchmarks.pointRaw('loopback-rx', point.id), raw, 'the tool output is kept whole, read on demand');
  });

  test('fio with an explicit metric overrides the benchmark metric', () => {
    const job = JSON.parse(text('fio/randrw.json')).jobs[0];
    const out = importMeasurement(journal, { tool: 'fio', text: text('fio/randrw.json'), benchmark: 'nvme-randread', metric: 'writeIops' });
    assert.equal(out.metric, 'writeIops');
    assert.equal(journal.benchmarks.listBenchmarkPoints('nvme-randread')[0]?.value, job.write.iops);
  });

  test('a broken file writes nothing and names the field inside the file', () => {
    const err = serviceError(() => importMeasurement(journal, { tool: 'iperf3', text: text('iperf3/truncated.json'), benchmark: 'loopback-rx', fileName: 'cut.json' }));
    assert.equal(err.code, 'invalid');
    assert.equal(err.fields?.[0]?.path, 'text');
    assert.match(err.message, /cut\.json: the file is not complete JSON/);
    const raw = JSON.parse(text('iperf3/tcp-send.json'));
    delete raw.end.sum_received;
    const missing = serviceError(() => importMeasurement(journal, { tool: 'iperf3', text: JSON.stringify(raw), benchmark: 'loopback-rx' }));
    assert.equal(missing.fields?.[0]?.path, 'text.end.sum_received');
    assert.equal(measuredRuns(), 0);
    assert.equal(journal.benchmarks.listBenchmarkPoints('loopback-rx').length, 0);
  });

  test('an unknown benchmark is not_found, naming it', () => {
    const err = serviceError(() => importMeasurement(journal, { tool: 'iperf3', text: text('iperf3/tcp-send.json'), benchmark: 'no-such' }));
    assert.equal(err.code, 'not_found');
    assert.match(err.message, /benchmark "no-such" not found/);
    assert.equal(measuredRuns(), 0);
  });

  test('a metric the measurement lacks is refused with the available ones', () => {
    // iperf3 has no readIops: the benchmark's metric does not fit this tool.
    const err = serviceError(() => importMeasurement(journal, { tool: 'iperf3', text: text('iperf3/tcp-send.json'), benchmark: 'nvme-randread' }));
    assert.equal(err.fields?.[0]?.path, 'benchmark');
    assert.match(err.message, /no metric "readIops" \(benchmark "nvme-randread" tracks it\); available: receivedGbps, sentGbps/);
    const explicit = serviceError(() => importMeasurement(journal, { tool: 'fio', text: text('fio/randread.json'), benchmark: 'nvme-randread', metric: 'readIopz' }));
    assert.equal(explicit.fields?.[0]?.path, 'metric');
    assert.equal(measuredRuns(), 0);
  });

  // Context keys are free-form (qemu, nic, commit): a key is refused only when it is not a plain name.
  test('malformed context keys and unknown tools are refused, naming the rule', () => {
    const err = serviceError(() =>
      importMeasurement(journal, { tool: 'iperf3', text: text('iperf3/tcp-send.json'), benchmark: 'loopback-rx', context: { 'qemu version': '8.2' } as never }),
    );
    assert.equal(err.fields?.[0]?.path, 'context.qemu version');
    assert.match(err.message, /a letter, then letters, digits/);
    const tool = serviceError(() => importMeasurement(journal, { tool: 'netperf' as never, text: '{}', benchmark: 'loopback-rx' }));
    assert.equal(tool.fields?.[0]?.path, 'tool');
    assert.equal(measuredRuns(), 0);
  });

  test('if the point cannot be written, the run is removed again', () => {
    journal.benchmarks.addBenchmarkPoint = () => {
      throw new Error('disk full');
    };
    const err = serviceError(() => importMeasurement(journal, { tool: 'iperf3', text: text('iperf3/tcp-send.json'), benchmark: 'loopback-rx' }));
    assert.equal(err.code, 'internal');
    assert.match(err.message, /disk full/);
    assert.equal(measuredRuns(), 0);
  });
});

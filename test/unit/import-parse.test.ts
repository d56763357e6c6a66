// The iperf3 and fio importers against real outputs of iperf3 3.12 and fio 3.33
// (test/fixtures/README.md). Expected values are read from the fixture JSON
// itself, so the tests check the mapping, not numbers copied by hand.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ImportError, parseFio, parseIperf3 } from '../../service/importers/index.ts';

const text = (path: string): string => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (path: string): any => JSON.parse(text(path));

function importError(fn: () => unknown): ImportError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ImportError, `expected an ImportError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an ImportError');
}

describe('parseIperf3', () => {
  test('TCP send: throughput, retransmits, CPU and the start time come from the named fields', () => {
    const raw = json('iperf3/tcp-send.json');
    const m = parseIperf3(text('iperf3/tcp-send.json'));
    assert.equal(m.protocol, 'TCP');
    assert.equal(m.reverse, false);
    assert.equal(m.streams, 1);
    assert.equal(m.version, raw.start.version);
    assert.equal(m.measuredAt, new Date(raw.start.timestamp.timesecs * 1000).toISOString());
    assert.equal(m.metrics.receivedGbps, raw.end.sum_received.bits_per_second / 1e9);
    assert.equal(m.metrics.sentGbps, raw.end.sum_sent.bits_per_second / 1e9);
    assert.equal(m.metrics.retransmits, raw.end.sum_sent.retransmits);
    assert.equal(m.metrics.hostCpuPercent, raw.end.cpu_utilization_percent.host_total);
    assert.equal(m.metrics.remoteCpuPercent, raw.end.cpu_utilization_percent.remote_total);
    assert.equal(m.metrics.jitterMs, undefined);
  });

  test('the interval series has one point per interval: t = interval end (s), v = Gbit/s', () => {
    const raw = json('iperf3/tcp-send.json');
    const s = parseIperf3(text('iperf3/tcp-send.json')).series.throughputGbps;
    assert.ok(s);
    assert.equal(s.t.length, raw.intervals.length);
    raw.intervals.forEach((iv: { sum: { end: number; bits_per_second: number } }, i: number) => {
      assert.equal(s.t[i], iv.sum.end);
      assert.equal(s.v[i], iv.sum.bits_per_second / 1e9);
    });
  });

  test('reverse (-R) and parallel (-P 2) runs are recognized', () => {
    assert.equal(parseIperf3(text('iperf3/tcp-reverse.json')).reverse, true);
    const p = parseIperf3(text('iperf3/tcp-parallel.json'));
    assert.equal(p.streams, 2);
    assert.equal(p.metrics.receivedGbps, json('iperf3/tcp-parallel.json').end.sum_received.bits_per_second / 1e9);
  });

  test('UDP: throughput, jitter and loss, and no retransmits', () => {
    const raw = json('iperf3/udp.json');
    const m = parseIperf3(text('iperf3/udp.json'));
    assert.equal(m.protocol, 'UDP');
    assert.equal(m.retransmits, null);
    assert.equal(m.metrics.retransmits, undefined);
    assert.equal(m.metrics.receivedGbps, raw.end.sum_received.bits_per_second / 1e9);
    assert.equal(m.metrics.jitterMs, raw.end.sum.jitter_ms);
    assert.equal(m.metrics.lostPercent, raw.end.sum.lost_percent);
  });

  test('UDP output of iperf3 before 3.9 (only end.sum) still imports', () => {
    const raw = json('iperf3/udp.json');
    delete raw.end.sum_sent;
    delete raw.end.sum_received;
    const m = parseIperf3(JSON.stringify(raw));
    assert.equal(m.metrics.receivedGbps, raw.end.sum.bits_per_second / 1e9);
  });

  test('omitted intervals (-O) are left out of the series', () => {
    const raw = json('iperf3/tcp-send.json');
    raw.intervals[0].sum.omitted = true;
    const s = parseIperf3(JSON.stringify(raw)).series.throughputGbps;
    assert.deepEqual(s?.t, raw.intervals.slice(1).map((iv: { sum: { end: number } }) => iv.sum.end));
  });

  test('a missing end.sum_received names the field and suggests an interrupted run', () => {
    const raw = json('iperf3/tcp-send.json');
    delete raw.end.sum_received;
    const err = importError(() => parseIperf3(JSON.stringify(raw)));
    assert.equal(err.field, 'end.sum_received');
    assert.equal(err.message, 'not iperf3 -J output: missing end.sum_received (was the run interrupted?)');
  });

  test('a field of the wrong type names its JSON path and what it must be', () => {
    const raw = json('iperf3/tcp-send.json');
    raw.end.sum_received.bits_per_second = 'fast';
    const err = importError(() => parseIperf3(JSON.stringify(raw)));
    assert.equal(err.field, 'end.sum_received.bits_per_second');
    assert.match(err.message, /^end\.sum_received\.bits_per_second must be a number, got "fast"$/);
  });

  test('iperf3 error outputs are reported with iperf3 own message', () => {
    const refused = importError(() => parseIperf3(text('iperf3/error-no-server.json')));
    assert.equal(refused.field, 'error');
    assert.equal(refused.message, `iperf3 reported an error: ${json('iperf3/error-no-server.json').error}`);
    assert.match(importError(() => parseIperf3(text('iperf3/interrupted.json'))).message, /^iperf3 reported an error: interrupt/);
  });

  test('a truncated file gives its length as the cut', () => {
    const cut = text('iperf3/truncated.json');
    const err = importError(() => parseIperf3(cut));
    assert.equal(err.message, `the file is not complete JSON (truncated at byte ${Buffer.byteLength(cut)}?)`);
  });

  test('plain-text output (no -J) and an empty file are told apart', () => {
    assert.match(importError(() => parseIperf3(text('iperf3/not-json.txt'))).message, /^not JSON: the output starts with "Connecting to host.*\(run iperf3 with -J\)$/);
    assert.match(importError(() => parseIperf3('  \n')).message, /the file is empty/);
    assert.match(importError(() => parseIperf3('{"start": }')).message, /^not valid JSON/);
  });
});

describe('parseFio', () => {
  test('randread: IOPS, bandwidth and completion-latency percentiles in microseconds', () => {
    const raw = json('fio/randread.json');
    const job = raw.jobs[0];
    const m = parseFio(text('fio/randread.json'));
    assert.equal(m.version, raw['fio version']);
    assert.equal(m.measuredAt, new Date(raw.timestamp_ms).toISOString());
    assert.equal(m.metrics.readIops, job.read.iops);
    assert.equal(m.metrics.readBandwidthMiBps, job.read.bw_bytes / 1048576);
    assert.equal(m.metrics.readClatP50Us, job.read.clat_ns.percentile['50.000000'] / 1000);
    assert.equal(m.metrics.readClatP99Us, job.read.clat_ns.percentile['99.000000'] / 1000);
    assert.equal(m.metrics.readClatP99_9Us, job.read.clat_ns.percentile['99.900000'] / 1000);
    // No writes: the rate is a true 0, but there is no latency to report.
    assert.equal(m.metrics.writeIops, 0);
    assert.equal(m.metrics.writeClatP99Us, undefined);
  });

  test('bandwidth falls back to bw (KiB/s) when bw_bytes is absent', () => {
    const raw = json('fio/randread.json');
    delete raw.jobs[0].read.bw_bytes;
    assert.equal(parseFio(JSON.stringify(raw)).metrics.readBandwidthMiBps, raw.jobs[0].read.bw / 1024);
  });

  test('randrw: both directions', () => {
    const job = json('fio/randrw.json').jobs[0];
    const m = parseFio(text('fio/randrw.json'));
    assert.ok(job.read.iops > 0 && job.write.iops > 0, 'the fixture must have both directions');
    assert.equal(m.metrics.readIops, job.read.iops);
    assert.equal(m.metrics.writeIops, job.write.iops);
    assert.equal(m.metrics.writeClatP99Us, job.write.clat_ns.percentile['99.000000'] / 1000);
  });

  test('two jobs: rates add up, a percentile is the largest of the jobs, the mean is weighted by I/Os', () => {
    const raw = json('fio/two-jobs.json');
    const m = parseFio(text('fio/two-jobs.json'));
    assert.deepEqual(m.jobs.map((j) => j.name), raw.jobs.map((j: { jobname: string }) => j.jobname));
    const sum = (f: (j: { read: { iops: number }; write: { iops: number } }) => number) => raw.jobs.reduce((s: number, j: never) => s + f(j), 0);
    assert.equal(m.metrics.readIops, sum((j) => j.read.iops));
    assert.equal(m.metrics.writeIops, sum((j) => j.write.iops));
    const writers = raw.jobs.filter((j: { write: { io_bytes: number } }) => j.write.io_bytes > 0);
    assert.equal(m.metrics.writeClatP99Us, Math.max(...writers.map((j: { write: { clat_ns: { percentile: Record<string, number> } } }) => j.write.clat_ns.percentile['99.000000'] as number)) / 1000);
  });

  test('a job that ended with an error is refused, naming the job', () => {
    const raw = json('fio/randread.json');
    raw.jobs[0].error = 5;
    const err = importError(() => parseFio(JSON.stringify(raw)));
    assert.equal(err.field, 'jobs[0].error');
    assert.match(err.message, /"randread" ended with error 5/);
  });

  test('broken outputs: no jobs, truncated, not JSON, missing fields', () => {
    const empty = importError(() => parseFio(text('fio/no-jobs.json')));
    assert.equal(empty.field, 'jobs');
    assert.match(empty.message, /no jobs/);
    assert.match(importError(() => parseFio(text('fio/truncated.json'))).message, /^the file is not complete JSON \(truncated at byte \d+\?\)$/);
    assert.match(importError(() => parseFio(text('fio/not-json.txt'))).message, /--output-format=json/);
    const raw = json('fio/randread.json');
    delete raw.jobs[0].read.iops;
    const missing = importError(() => parseFio(JSON.stringify(raw)));
    assert.equal(missing.field, 'jobs[0].read.iops');
    assert.equal(missing.message, 'not fio --output-format=json output: missing jobs[0].read.iops');
  });

  test('notes fio prints before its JSON are skipped', () => {
    const m = parseFio(`note: both iodepth >= 1 and synchronous I/O engine are selected, queue depth will be capped at 1\n${text('fio/randread.json')}`);
    assert.equal(m.metrics.readIops, json('fio/randread.json').jobs[0].read.iops);
  });
});

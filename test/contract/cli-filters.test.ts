// Unknown names in the journal filters of the command: a usage error (exit 2)
// naming the option, the allowed names and the closest one, not "No runs match".
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-cli-filters-'));
const env = { ...process.env, IOMMU_LAB_JOURNAL: join(dir, 'journal.db') };
after(() => rmSync(dir, { recursive: true, force: true }));

test('runs list and export runs refuse unknown metrics, scenario fields and sort keys', async () => {
  const cases: [string[], RegExp][] = [
    [['runs', 'list', '--metric', 'throughput>40'], /--metric throughput>40: unknown metric "throughput"\. Did you mean throughputGbps\? Allowed: throughputGbps, /],
    [['runs', 'list', '--where', 'nosuch.field=1'], /--where nosuch\.field=1: unknown scenario field "nosuch\.field"\. Allowed: .*viommu\.backend/],
    [['runs', 'list', '--where', 'backend=shadow-sl'], /Did you mean viommu\.backend\?/],
    [['runs', 'list', '--sort', 'bogus'], /--sort: unknown key "bogus"\. Allowed: created, name, status, duration, or a metric: throughputGbps/],
    [['runs', 'list', '--sort', 'throughput'], /Did you mean throughputGbps\?/],
    [['export', 'runs', '--metric', 'thruput>4'], /--metric thruput>4: unknown metric "thruput"\. Did you mean throughputGbps\?/],
    [['runs', 'list', '--columns', 'readIops,readIop'], /--columns readIop: unknown metric "readIop"\. Did you mean readIops\?/],
    [['runs', 'list', '--columns', ' , '], /--columns must name at least one metric/],
    // A field of a result, not a journaled metric: nothing to show.
    [['runs', 'list', '--columns', 'maxGoodputGbps'], /--columns maxGoodputGbps: unknown metric/],
  ];
  for (const [argv, reason] of cases) {
    const r = await runCli(argv, env);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, reason, argv.join(' '));
    assert.equal(r.out, '');
  }
  const ok = await runCli(['runs', 'list', '--metric', 'vmExitsPerSec.iotlb<10', '--where', 'viommu.backend=shadow-sl', '--sort', 'throughputGbps'], env);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /No runs match/);
});

test('runs list shows the metric columns asked for, and the metric it is sorted by', async () => {
  const listEnv = { ...process.env, IOMMU_LAB_JOURNAL: join(dir, 'columns.db') };
  const sim = await runCli(['simulate', '--preset', 'nvme-virtio-iommu', '--set', 'durationMs=12', '--set', 'warmupMs=2', '--seeds', '2'], listEnv);
  assert.equal(sim.code, 0, sim.err);
  const cols = await runCli(['runs', 'list', '--columns', 'readIops,readClatP99Us'], listEnv);
  assert.equal(cols.code, 0, cols.err);
  const [header, ...rows] = cols.out.split('\n');
  assert.match(header!, /^id\s+status\s+name\s+seed\s+Read IOPS \(IOPS\)\s+Read completion latency p99 \(µs\)\s+created\s+tags$/);
  for (const row of rows.slice(0, 2)) assert.match(row, /nvme-virtio-iommu seed=\d\s+\d\s+[\d.]+[kM]?\s+[\d.]+\s+20/);
  // Sorted by a metric the default columns leave out: it is added, so the order can be read.
  const sorted = await runCli(['runs', 'list', '--sort', 'readIops'], listEnv);
  assert.match(sorted.out.split('\n')[0]!, /VMM lock utilization \(%\)\s+Read IOPS \(IOPS\)\s+created/);
});

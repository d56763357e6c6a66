// The command line over an NVMe run: fio's terms in the summary and no NIC
// rows, sweeps over the fio fields, refused NVMe scenarios journal nothing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-cli-nvme-'));
const journal = join(dir, 'nvme.db');
after(() => rmSync(dir, { recursive: true, force: true }));
const short = ['--set', 'durationMs=6', '--set', 'warmupMs=1'];

test('simulate --preset nvme-bare-metal --set workload.iodepth=32 prints fio metrics and no NIC rows', async () => {
  const r = await runCli(['simulate', '--preset', 'nvme-bare-metal', '--set', 'workload.iodepth=32', ...short, '--no-save', '--journal', journal]);
  assert.equal(r.code, 0, r.err);
  for (const row of ['read IOPS', 'write IOPS', 'bandwidth MiB/s', 'read clat us (p50/p99/p99.9)', 'drive busy']) assert.match(r.out, new RegExp(row.replace(/[()/.]/g, '\\$&')), row);
  for (const nic of ['segments/s', 'unmaps/segment', 'throughput Gbit/s', 'stale window']) assert.ok(!r.out.includes(nic), `no ${nic} row`);
  assert.match(r.out, /invalidation-queue/, 'strict on one SMMU is bound by its queue');
});

test('sweep over the fio fields; bad NVMe scenarios are refused naming the field and journal nothing', async () => {
  const spec = join(dir, 'sweep.json');
  writeFileSync(spec, JSON.stringify({ name: 'depth', base: { preset: 'nvme-nested-fl', overrides: ['durationMs=6', 'warmupMs=1'] }, grid: { 'workload.iodepth': [1, 32], 'workload.bs': [4096, 65536] }, seeds: 1 }));
  const swept = await runCli(['sweep', spec, '--journal', journal, '--json']);
  assert.equal(swept.code, 0, swept.err);
  const listed = async () => JSON.parse((await runCli(['runs', 'list', '--json', '--journal', journal])).out) as { total: number; rows: { status: string }[] };
  const runs = await listed();
  assert.equal(runs.total, 4);
  assert.ok(runs.rows.every((r) => r.status === 'done'));
  for (const [set, field] of [
    ['workload.iodepth=0', 'workload.iodepth'],
    ['workload.bs=1000', 'workload.bs'],
    ['workload.kind=iperf-rx', 'workload.kind'],
  ] as const) {
    const bad = await runCli(['simulate', '--preset', 'nvme-nested-fl', '--set', set, '--journal', journal]);
    assert.equal(bad.code, 2, `${set}: ${bad.err}`);
    assert.match(bad.err, new RegExp(field.replace('.', '\\.')), set);
  }
  assert.equal((await listed()).total, 4, 'nothing journaled');
});

test("a sweep's closing table shows the runs' own headline: IOPS for fio, throughput for a NIC", async () => {
  const fio = join(dir, 'table-fio.json');
  writeFileSync(fio, JSON.stringify({ name: 'table fio', base: { preset: 'nvme-bare-metal', overrides: ['durationMs=6', 'warmupMs=1'] }, grid: { policy: ['strict', 'lazy'] }, seeds: 1 }));
  const f = await runCli(['sweep', fio, '--journal', join(dir, 'table.db')]);
  assert.equal(f.code, 0, f.err);
  assert.match(f.out, /^id +status +name +Read IOPS IOPS +Write IOPS IOPS +VM exits \/s$/m);
  assert.ok(!f.out.includes('Gbit/s'), 'no NIC column for NVMe runs');
  const nic = join(dir, 'table-nic.json');
  writeFileSync(nic, JSON.stringify({ name: 'table nic', base: { preset: 'seed-after-fix', overrides: ['durationMs=6', 'warmupMs=1'] }, grid: {}, seeds: 1 }));
  const n = await runCli(['sweep', nic, '--journal', join(dir, 'table.db')]);
  assert.equal(n.code, 0, n.err);
  assert.match(n.out, /^id +status +name +Throughput Gbit\/s +VM exits \/s$/m);
});

// Calibration guard rails as the command shows them: a measured metric in
// another unit than the simulated one is refused by field (exit 2, nothing
// fitted); the fit's report states its degrees of freedom, says that zero
// cannot validate the model, and says when the fit hit its iteration limit.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-cli-calibrate-'));
const journal = join(dir, 'journal.db');
const env = { ...process.env, IOMMU_LAB_JOURNAL: journal };
after(() => rmSync(dir, { recursive: true, force: true }));
const run = (...argv: string[]) => runCli(argv, env);
const SHORT = ['durationMs=30', 'warmupMs=5'];

test('a fio readIops point against the simulated throughputGbps is refused, naming the field and both units', async () => {
  assert.equal((await run('benchmarks', 'create', 'nvme', '--metric', 'readIops')).code, 0);
  const imported = await run('import', 'fio', new URL('../fixtures/fio/randread.json', import.meta.url).pathname, '--benchmark', 'nvme');
  const runId = /\(run ([0-9a-f-]{36})/.exec(imported.out)?.[1];
  assert.ok(runId, imported.out + imported.err);
  const spec = join(dir, 'iops.json');
  writeFileSync(spec, JSON.stringify({ profile: 'iops', parameters: { exitRoundTripNs: { min: 500, max: 60000 } }, points: [{ run: runId, measuredMetric: 'readIops', scenario: { preset: 'seed-before-fix', overrides: SHORT } }] }));
  const r = await run('calibrate', spec);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /spec\.points\.0\.measuredMetric: readIops is in IOPS but the simulated throughputGbps is in Gbit\/s: a fit needs both in the same unit/);
  assert.match((await run('profiles', 'list')).out, /No cost profiles yet/);
});

test('one cost fitted to one point: 0 degrees of freedom, and a one-iteration fit says it hit the limit', async () => {
  const spec = join(dir, 'zero.json');
  writeFileSync(spec, JSON.stringify({ profile: 'zero', maxIterations: 1, save: false, parameters: { exitRoundTripNs: { min: 500, max: 60000, initial: 500 } }, points: [{ value: 30, scenario: { preset: 'seed-before-fix', overrides: SHORT } }] }));
  const r = await run('calibrate', spec);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Note: 0 degrees of freedom: 1 cost fitted to 1 point\. The fit reproduces its points by construction, so its residuals cannot validate the model/);
  assert.match(r.out, /Note: The fit stopped at its iteration limit \(1\) while still improving/);
  const json = JSON.parse((await run('calibrate', spec, '--json')).out) as { report: { degreesOfFreedom: number; stoppedAtIterationLimit: boolean; caveats: string[] } };
  assert.equal(json.report.degreesOfFreedom, 0);
  assert.equal(json.report.stoppedAtIterationLimit, true);
  assert.equal(json.report.caveats.length, 2);
});

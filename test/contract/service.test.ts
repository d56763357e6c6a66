// The service contract through the in-process transport: every result is
// checked against its schema (validateResults), bad input names its field and
// writes nothing, runs go through real workers with progress and cancellation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, type EventData, type SweepSpec } from '../../service/index.ts';
import { rejects } from './service-assert.ts';

const TINY = ['durationMs=20', 'warmupMs=2'];
const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-service-'));
let lab: Lab;

before(() => {
  lab = Lab.open({ journalPath: join(dir, 'journal.db'), workers: 2, validateResults: true });
});
after(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Row counts of every table that a call could write. */
function footprint(): Record<string, number> {
  return {
    runs: lab.journal.runs.listRuns({ page: { limit: 1 } }).total,
    experiments: lab.journal.experiments.listExperiments().length,
    benchmarks: lab.journal.benchmarks.listBenchmarks().length,
  };
}

describe('catalog methods', () => {
  test('presets, schema, journal info', async () => {
    const presets = await lab.call('presets.list', {});
    assert.ok(presets.some((p) => p.name === 'seed-before-fix'));
    const schema = await lab.call('scenario.schema', {});
    assert.deepEqual((schema.jsonSchema.properties as Record<string, unknown>).viommu !== undefined, true);
    assert.ok(schema.backends.includes('shadow-sl'));
    assert.equal((schema.defaults.viommu as { backend: string }).backend, 'nested-fl');
    const info = await lab.call('journal.info', {});
    assert.equal(info.path, join(dir, 'journal.db'));
    assert.ok(info.schemaVersion >= 2);
  });

  test('preview: 6.2 on a caching-mode first-level vIOMMU goes strict, 6.3 stays lazy, with estimates', async () => {
    const before = await lab.call('scenario.preview', { source: { preset: 'seed-before-fix' } });
    const after = await lab.call('scenario.preview', { source: { preset: 'seed-after-fix' } });
    assert.ok(before.ok && after.ok);
    assert.equal(before.policy.effective, 'strict');
    assert.equal(after.policy.effective, 'lazy');
    // Strict may be out of the estimate's range (q_lock nearly saturated): then it says so instead of a number.
    const strictGbps = after.estimate.strict.throughputGbps;
    assert.ok(strictGbps === null ? /^out of range/.test(after.estimate.strict.outOfRange ?? '') : after.estimate.lazy.throughputGbps! > strictGbps);
    assert.equal(after.estimate.effective?.mode, 'lazy');
    assert.notEqual(before.scenarioHash, after.scenarioHash);
  });

  test('preview of an invalid scenario lists every bad field, it does not throw', async () => {
    const p = await lab.call('scenario.preview', { source: { preset: 'seed-after-fix', overrides: ['device.mtu=12', 'viommu.backend=kvm'] } });
    assert.equal(p.ok, false);
    assert.ok(!p.ok && p.errors.some((e) => e.path === 'scenario.device.mtu'));
    assert.ok(!p.ok && p.errors.some((e) => e.path === 'scenario.viommu.backend' && /shadow-sl/.test(e.message)));
  });

  test('policy.resolve names the field of a malformed kernel version', async () => {
    const d = await lab.call('policy.resolve', { kernel: '6.3', caps: { cachingMode: true, scalableMode: true, firstLevel: true, secondLevel: false } });
    assert.equal(d.domainType, 'dma-fq');
    await rejects(lab.call('policy.resolve', { kernel: 'banana' }), 'invalid', /^kernel$/);
  });
});

describe('runs', () => {
  test('start -> progress -> done; results, metrics and series are journaled', async () => {
    const statuses: EventData<'run.status'>[] = [];
    const progress: EventData<'run.progress'>[] = [];
    const offS = lab.on('run.status', (e) => statuses.push(e));
    const offP = lab.on('run.progress', (e) => progress.push(e));
    const { runIds } = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: TINY }, seeds: 2, tags: ['contract'], experiment: 'contract tests' });
    const ended = await lab.call('runs.wait', { ids: runIds });
    offS();
    offP();
    assert.deepEqual(ended.map((r) => r.status), ['done', 'done']);
    assert.deepEqual(ended.map((r) => r.seed), [1, 2]);
    for (const id of runIds) {
      const mine = statuses.filter((e) => e.runId === id).map((e) => e.status);
      assert.deepEqual(mine, ['queued', 'running', 'done']);
      const fr = progress.filter((e) => e.runId === id).map((e) => e.fraction);
      assert.equal(fr.at(-1), 1);
      assert.deepEqual(fr, [...fr].sort((a, b) => a - b), 'progress only moves forward');
    }
    const run = await lab.call('runs.get', { id: runIds[0] as string });
    assert.equal(run.tags[0], 'contract');
    assert.ok(run.metrics.throughputGbps! > 0);
    assert.ok(run.series.throughputGbps!.t.length > 2);
    assert.equal((run.result as { seed: number }).seed, 1);
    assert.equal(run.experimentId, lab.journal.experiments.getExperimentByName('contract tests')?.id);
  });

  test('list filters by tag, scenario field and metric range; get accepts an id prefix', async () => {
    const { runIds } = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: [...TINY, 'viommu.backend=shadow-sl'] }, tags: ['shadow'] });
    await lab.call('runs.wait', { ids: runIds });
    const byTag = await lab.call('runs.list', { filter: { tags: ['shadow'] }, metrics: ['throughputGbps'] });
    assert.deepEqual(byTag.rows.map((r) => r.id), runIds);
    const byField = await lab.call('runs.list', { filter: { scenario: [{ path: '$.viommu.backend', value: 'shadow-sl' }] } });
    assert.deepEqual(byField.rows.map((r) => r.id), runIds);
    const t = byTag.rows[0]!.metrics.throughputGbps!;
    const inRange = await lab.call('runs.list', { filter: { metric: [{ name: 'throughputGbps', min: t - 0.001, max: t + 0.001 }] } });
    assert.ok(inRange.rows.some((r) => r.id === runIds[0]));
    const sorted = await lab.call('runs.list', { sort: { by: 'metric:throughputGbps', dir: 'asc' }, metrics: ['throughputGbps'], filter: { status: ['done'] } });
    const values = sorted.rows.map((r) => r.metrics.throughputGbps!);
    assert.deepEqual(values, [...values].sort((a, b) => a - b));
    const got = await lab.call('runs.get', { id: runIds[0]!.slice(0, 8), series: false });
    assert.equal(got.id, runIds[0]);
  });

  test('tag, note (full-text searchable), compare, delete', async () => {
    const a = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: [...TINY, 'policy=strict'] } });
    const b = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: [...TINY, 'policy=lazy'] } });
    const ids = [...a.runIds, ...b.runIds];
    await lab.call('runs.wait', { ids });
    const tagged = await lab.call('runs.tag', { id: ids[0]!, add: ['base', 'x'], remove: [] });
    assert.deepEqual(tagged.tags.sort(), ['base', 'x']);
    assert.deepEqual((await lab.call('runs.tag', { id: ids[0]!, remove: ['x'] })).tags, ['base']);
    await lab.call('runs.note', { id: ids[1]!, body: 'lazy run with a peculiar dip' });
    const found = await lab.call('runs.list', { filter: { text: 'peculiar' } });
    assert.deepEqual(found.rows.map((r) => r.id), [ids[1]]);

    const c = await lab.call('runs.compare', { ids });
    assert.deepEqual(c.differences.map((d) => d.path), ['policy']);
    assert.deepEqual(c.differences[0]!.values, ['strict', 'lazy']);
    const tput = c.metrics.find((m) => m.name === 'throughputGbps')!;
    assert.equal(tput.delta[0], null);
    assert.ok(Math.abs(tput.delta[1]! - (tput.values[1]! - tput.values[0]!)) < 1e-9);
    assert.ok(tput.ratio[1]! > 1, 'lazy beats strict on nested first level');

    assert.deepEqual(await lab.call('runs.delete', { ids: [ids[1]!] }), { deleted: 1 });
    await rejects(lab.call('runs.get', { id: ids[1]! }), 'not_found');
  });

  test('cancel ends a long run cancelled promptly, without metrics', async () => {
    const { runIds } = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: ['durationMs=60000', 'warmupMs=10'] } });
    const id = runIds[0]!;
    await new Promise<void>((resolve) => {
      const off = lab.on('run.progress', (e) => {
        if (e.runId === id) {
          off();
          resolve();
        }
      });
    });
    assert.equal((await lab.call('runs.cancel', { ids: [id] })).cancelled, 1);
    const [ended] = await lab.call('runs.wait', { ids: [id] });
    assert.equal(ended!.status, 'cancelled');
    const run = await lab.call('runs.get', { id });
    assert.deepEqual(run.metrics, {});
    assert.deepEqual(run.series, {});
    assert.equal(run.result, null);
  });

  test('a run over its time limit ends failed with the reason', async () => {
    const { runIds } = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: ['durationMs=60000', 'warmupMs=10'] }, timeLimitMs: 100 });
    const [ended] = await lab.call('runs.wait', { ids: runIds });
    assert.equal(ended!.status, 'failed');
    assert.match(ended!.error ?? '', /time limit of 100 ms/);
  });
});

describe('sweeps', () => {
  test('a grid x seeds runs every combination as one experiment, with sweep progress', async () => {
    const spec: SweepSpec = { name: 'contract sweep', base: { preset: 'seed-after-fix', overrides: TINY }, grid: { 'viommu.backend': ['nested-fl', 'shadow-sl'], policy: ['strict', 'lazy'] }, seeds: 2 };
    const dry = await lab.call('sweeps.start', { spec, dryRun: true });
    assert.deepEqual({ points: dry.points, total: dry.total, runIds: dry.runIds }, { points: 4, total: 8, runIds: [] });
    const progress: EventData<'sweep.progress'>[] = [];
    const off = lab.on('sweep.progress', (e) => progress.push(e));
    const started = await lab.call('sweeps.start', { spec });
    const ended = await lab.call('runs.wait', { ids: started.runIds });
    off();
    assert.equal(ended.filter((r) => r.status === 'done').length, 8);
    const mine = progress.filter((e) => e.sweepId === started.sweepId);
    assert.deepEqual(mine.map((e) => e.ended), [1, 2, 3, 4, 5, 6, 7, 8]);
    const names = ended.map((r) => r.name);
    assert.ok(names.includes('contract sweep viommu.backend=shadow-sl policy=lazy seed=2'), names.join('\n'));
    const inExperiment = await lab.call('runs.list', { filter: { experiment: 'contract sweep' } });
    assert.equal(inExperiment.total, 8);
    const shadowStrict = await lab.call('runs.list', { filter: { experiment: 'contract sweep', scenario: [{ path: '$.viommu.backend', value: 'shadow-sl' }, { path: '$.policy', value: 'strict' }] } });
    assert.deepEqual(shadowStrict.rows.map((r) => r.seed).sort(), [1, 2]);
  });
});

describe('bad input gets a clear error and writes nothing', () => {
  const cases: [string, () => Promise<unknown>, string, RegExp | undefined][] = [
    ['unknown method', () => lab.call('runs.frobnicate' as never, {} as never), 'invalid', /^method$/],
    ['params of the wrong type', () => lab.call('runs.start', { source: { preset: 'seed-after-fix' }, seeds: 0 }), 'invalid', /^seeds$/],
    ['an unknown params field', () => lab.call('runs.start', { source: { preset: 'seed-after-fix' }, color: 'red' } as never), 'invalid', /^$/],
    ['malformed scenario', () => lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: ['device.mtu=12'] } }), 'invalid', /^scenario\.device\.mtu$/],
    ['unknown preset', () => lab.call('runs.start', { source: { preset: 'nope' } }), 'invalid', /^scenario\.preset$/],
    ['invalid grid: empty value list', () => lab.call('sweeps.start', { spec: { base: { preset: 'seed-after-fix' }, grid: { policy: [] } } }), 'invalid', /^spec\.grid\.policy$/],
    ['invalid grid: a value the field does not allow', () => lab.call('sweeps.start', { spec: { base: { preset: 'seed-after-fix' }, grid: { policy: ['strict', 'eager'] } } }), 'invalid', /^spec\.grid\.policy$/],
    ['invalid grid: too many runs', () => lab.call('sweeps.start', { spec: { base: { preset: 'seed-after-fix' }, grid: { seed: Array.from({ length: 1000 }, (_, i) => i) }, seeds: 11 } }), 'invalid', /^spec\.grid$/],
    ['unknown run id', () => lab.call('runs.get', { id: '00000000-0000-4000-8000-000000000000' }), 'not_found', undefined],
    ['unknown run id in a batch delete', () => lab.call('runs.delete', { ids: ['ffffffff'] }), 'not_found', undefined],
    ['unknown run to tag', () => lab.call('runs.tag', { id: 'ffffffff', add: ['a'] }), 'not_found', undefined],
    ['empty note', () => lab.call('runs.note', { id: 'ffffffff', body: '   ' }), 'invalid', /^body$/],
    ['compare needs two runs', () => lab.call('runs.compare', { ids: ['ffffffff'] }), 'invalid', /^ids$/],
    ['benchmark point for a missing benchmark', () => lab.call('benchmarks.addRun', { benchmark: 'nope', runId: 'ffffffff' }), 'not_found', undefined],
  ];
  for (const [name, call, code, field] of cases) {
    test(name, async () => {
      const before = footprint();
      await rejects(call(), code, field);
      assert.deepEqual(footprint(), before);
    });
  }
});

describe('benchmarks', () => {
  test('a done run becomes a point valued by the benchmark metric; markers and history', async () => {
    const bench = await lab.call('benchmarks.create', { name: 'seed rx', metric: 'throughputGbps', higherIsBetter: true });
    const { runIds } = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: TINY } });
    const [ended] = await lab.call('runs.wait', { ids: runIds });
    const point = await lab.call('benchmarks.addRun', { benchmark: bench.name, runId: runIds[0]! });
    assert.equal(point.value, ended!.metrics.throughputGbps ?? (await lab.call('runs.get', { id: runIds[0]! })).metrics.throughputGbps);
    assert.equal(point.context.backend, 'nested-fl');
    assert.equal(point.context.policy, 'lazy');
    await lab.call('benchmarks.mark', { benchmark: bench.name, at: '2026-01-01T00:00:00Z', label: 'guest kernel moved to 6.3' });
    const h = await lab.call('benchmarks.history', { name: 'seed rx' });
    assert.equal(h.points.length, 1);
    assert.equal(h.markers[0]!.label, 'guest kernel moved to 6.3');
  });
});

describe('measured results, run-set statistics, histories and exports', () => {
  const fixture = (p: string) => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');

  test('an iperf3 import becomes a measured run and a benchmark point; a truncated file writes nothing', async () => {
    await lab.call('benchmarks.create', { name: 'loopback rx', metric: 'receivedGbps', higherIsBetter: true });
    const r = await lab.call('measurements.import', { tool: 'iperf3', text: fixture('iperf3/tcp-send.json'), benchmark: 'loopback rx', context: { kernel: '6.3', host: 'lab1' } });
    const run = await lab.call('runs.get', { id: r.runId });
    assert.equal(run.kind, 'measured');
    assert.equal(run.metrics.receivedGbps, r.value);
    assert.ok(run.series.throughputGbps!.v.length >= 3);
    assert.equal(r.point.source, 'iperf3');
    const before = footprint();
    const points = (await lab.call('benchmarks.history', { name: 'loopback rx' })).points.length;
    await rejects(lab.call('measurements.import', { tool: 'iperf3', text: fixture('iperf3/truncated.json'), benchmark: 'loopback rx' }), 'invalid', /^text/);
    await rejects(lab.call('measurements.import', { tool: 'fio', text: fixture('fio/randread.json'), benchmark: 'loopback rx' }), 'invalid', /^benchmark$/);
    // Context keys are free-form but plain names; the same file twice is refused by its content hash.
    await rejects(lab.call('measurements.import', { tool: 'iperf3', text: fixture('iperf3/tcp-send.json'), benchmark: 'loopback rx', context: { 'nic model': 'e810' } }), 'invalid', /^context/);
    await rejects(lab.call('measurements.import', { tool: 'iperf3', text: fixture('iperf3/tcp-send.json'), benchmark: 'loopback rx', context: { nic: 'e810' } }), 'invalid', /^text$/);
    assert.deepEqual(footprint(), before);
    assert.equal((await lab.call('benchmarks.history', { name: 'loopback rx' })).points.length, points);
  });

  test('A vs B paired by seed: lazy beats strict on nested first level with a verdict and an interval', async () => {
    const strict = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: [...TINY, 'policy=strict'] }, seeds: 6 });
    const lazy = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: [...TINY, 'policy=lazy'] }, seeds: 6 });
    await lab.call('runs.wait', { ids: [...strict.runIds, ...lazy.runIds] });
    const report = await lab.call('runs.compareSets', { base: strict.runIds, head: lazy.runIds, metrics: ['throughputGbps', 'vmExitsPerSec'] });
    assert.equal(report.comparison.paired, true);
    const verdicts = Object.fromEntries(report.comparison.metrics.map((m) => [m.metric, m]));
    assert.equal(verdicts.throughputGbps!.verdict, 'better');
    assert.equal(verdicts.vmExitsPerSec!.verdict, 'better', 'fewer exits is better');
    const ratio = verdicts.throughputGbps!.ratio as { lo: number; hi: number };
    assert.ok(ratio.lo > 1 && ratio.hi > ratio.lo);
    const text = await lab.call('runs.report', { base: strict.runIds, head: lazy.runIds, format: 'text' });
    assert.match(text.content, /%change/);
    assert.match(text.content, /throughputGbps/);
    assert.match(text.content, /vmExitsPerSec\.\w+/, 'without metrics the report covers every metric, breakdowns included');
    const chosen = await lab.call('runs.report', { base: strict.runIds, head: lazy.runIds, format: 'json', metrics: ['throughputGbps', 'vmExitsPerSec'] });
    const chosenMetrics = (JSON.parse(chosen.content) as { comparison: { metrics: { metric: string; qValue: number }[] } }).comparison.metrics;
    assert.deepEqual(chosenMetrics.map((m) => m.metric).sort(), ['throughputGbps', 'vmExitsPerSec']);
    assert.ok(chosenMetrics.every((m) => typeof m.qValue === 'number'));
    // Corrected over the same two metrics, the report's q values are the screen's.
    assert.deepEqual(chosenMetrics.map((m) => m.qValue).sort(), report.comparison.metrics.map((m) => (m as unknown as { qValue: number }).qValue).sort());
    const html = await lab.call('runs.report', { base: strict.runIds, head: lazy.runIds, format: 'html' });
    assert.match(html.content, /<svg/);
    assert.doesNotMatch(html.content, /<script/);
    await rejects(lab.call('runs.compareSets', { base: strict.runIds, head: ['ffffffff'] }), 'not_found');
  });

  test('a benchmark history flags the strict -> lazy step as an improvement, in a worker', async () => {
    await lab.call('benchmarks.create', { name: 'policy step', metric: 'throughputGbps', higherIsBetter: true });
    for (const policy of ['strict', 'lazy']) {
      const { runIds } = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: [...TINY, `policy=${policy}`] }, seeds: 8 });
      await lab.call('runs.wait', { ids: runIds });
      for (const runId of runIds) await lab.call('benchmarks.addRun', { benchmark: 'policy step', runId });
    }
    const h = await lab.call('benchmarks.analyze', { name: 'policy step' });
    assert.equal(h.points.length, 16);
    assert.deepEqual(h.changes.map((c) => [c.kind, c.index]), [['improvement', 8]]);
  });

  test('export: every matching run as CSV, one row each', async () => {
    const all = await lab.call('runs.list', { filter: { status: ['done'] }, page: { limit: 1 } });
    const csv = await lab.call('runs.export', { format: 'csv', query: { filter: { status: ['done'] } } });
    assert.equal(csv.runs, all.total);
    const content = csv.content ?? assert.fail('a small export comes back whole, not as a download');
    assert.equal(content.trim().split('\n').length, all.total + 1);
    assert.match(content.split('\n')[0]!, /^id,name,/);
  });

  test('backup makes a journal that opens with the same runs; it never overwrites', async () => {
    const copy = join(dir, 'backup.db');
    await lab.call('journal.backup', { path: copy });
    const other = Lab.open({ journalPath: copy });
    try {
      assert.equal((await other.call('runs.list', {})).total, (await lab.call('runs.list', {})).total);
    } finally {
      await other.close();
    }
    await rejects(lab.call('journal.backup', { path: copy }), 'invalid', /^toPath$/);
  });
});

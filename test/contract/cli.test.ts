// The command as users run it: the compiled bin (npm run build:cli), one process per call.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COST_TABLE } from '../../core/model/costs.ts';
import { cliBin, runCli } from './cli-run.ts';

// Commands journal by default: keep them off the user's journal.
const journalDir = mkdtempSync(join(tmpdir(), 'iommu-lab-cli-journal-'));
process.env.IOMMU_LAB_JOURNAL = join(journalDir, 'default.db');

const run = (...argv: string[]) => runCli(argv);
const bin = cliBin;

test('policy --json: kernel 6.2 forces strict with the batching line, 6.3 stays lazy', async () => {
  const before = await run('policy', '--kernel', '6.2', '--caps', 'cm,sm,flts', '--json');
  assert.equal(before.code, 0, before.err);
  const d2 = JSON.parse(before.out);
  assert.equal(d2.domainType, 'dma');
  assert.equal(d2.strict, true);
  assert.ok(d2.log.includes('DMAR: IOMMU batching disallowed due to virtualization'));

  const after = await run('policy', '--kernel', '6.3', '--caps', 'cm,sm,flts', '--json');
  const d3 = JSON.parse(after.out);
  assert.equal(d3.domainType, 'dma-fq');
  assert.equal(d3.strict, false);
  assert.ok(!d3.log.some((l: string) => l.includes('batching disallowed')));
  assert.ok(d3.log.some((l: string) => /lazy mode/.test(l)));
});

test('policy human output names the decision, reasons and log lines', async () => {
  const r = await run('policy', '--kernel', '6.3', '--caps', 'cm,sm,slts', '--cmdline', 'quiet iommu.strict=0');
  assert.equal(r.code, 0);
  assert.match(r.out, /Decision: .*dma \(strict invalidation\)/);
  assert.match(r.out, /intel_iommu_init/);
  // iommu_subsys_init() prints its line before intel_iommu_init() forces strict, as real dmesg does.
  assert.match(r.out, /iommu: DMA domain TLB invalidation policy: lazy mode \(set via kernel command line\)\n\s*DMAR: IOMMU batching disallowed/);
});

test('usage errors exit 2 with a one-line reason', async () => {
  const cases: [string[], RegExp][] = [
    [['policy', '--kernel', '6.3', '--caps', 'cm,warp'], /--caps: unknown capability "warp"/],
    [['policy', '--kernel', 'banana'], /--kernel/],
    [['policy', '--kernel', '6.3', '--kconfig', 'eager'], /--kconfig must be one of strict, lazy, passthrough/],
    [['policy'], /required option/],
    [['frobnicate'], /unknown command/],
    [['simulate'], /--preset NAME or --config FILE/],
    [['simulate', '--preset', 'nope'], /preset: unknown preset "nope"/],
    [['simulate', '--preset', 'seed-after-fix', '--seeds', '0'], /--seeds must be a whole number/],
  ];
  for (const [argv, reason] of cases) {
    const r = await run(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, reason, argv.join(' '));
    assert.equal(r.out, '');
  }
});

test('simulate rejects an invalid scenario naming every invalid field', async () => {
  const r = await run('simulate', '--preset', 'seed-after-fix', '--set', 'viommu.backend=kvm', '--set', 'device.mtu=12', '--set', 'flushQueue.kind=huge');
  assert.equal(r.code, 2);
  assert.match(r.err, /viommu\.backend: .*"none"\|"shadow-sl"\|"nested-fl"\|"shadow-fl-wp"/);
  assert.match(r.err, /device\.mtu/);
  assert.match(r.err, /flushQueue\.kind: .*"per-cpu"\|"single"/);
});

test('simulate --json prints one result object; with --seeds, the results and their summary', async () => {
  const one = await run('simulate', '--preset', 'seed-after-fix', '--set', 'durationMs=30', '--set', 'warmupMs=5', '--set', 'viommu.backend=shadow-sl', '--set', 'viommu.secondLevel=true', '--set', 'viommu.firstLevel=false', '--json');
  assert.equal(one.code, 0, one.err);
  const r = JSON.parse(one.out);
  assert.equal(r.scenario.viommu.backend, 'shadow-sl');
  assert.equal(r.policy.effective, 'strict', 'second level only: caching mode still forces strict on 6.3');
  assert.ok(r.throughputGbps > 0);

  const many = await run('simulate', '--preset', 'seed-before-fix', '--set', 'durationMs=30', '--set', 'warmupMs=5', '--seeds', '3', '--json');
  const arr = JSON.parse(many.out).results;
  assert.equal(arr.length, 3);
  assert.deepEqual(arr.map((x: { seed: number }) => x.seed), [1, 2, 3]);
});

test('simulate --config reads a scenario file; human output has the table and the bottleneck sentence', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-cli-'));
  const file = join(dir, 'scenario.json');
  writeFileSync(file, JSON.stringify({ durationMs: 30, warmupMs: 5, viommu: { backend: 'none' }, guest: { kernel: '6.8' } }));
  const r = await run('simulate', '--config', file);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /throughput Gbit\/s/);
  assert.match(r.out, /limits throughput|link is full/);
  // What decides the answer, on lines of their own: the policy and its source, the VMM path and why.
  assert.match(r.out, /^policy: \w+, chosen by the guest kernel \(6\.8, rule generation 3\)$/m);
  assert.match(r.out, /^VMM path: none \(\S+ table\): bare metal/m);
  const bad = await run('simulate', '--config', join(dir, 'missing.json'));
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--config: cannot read/);
});

test('the installed command: --help on every command, exit 2 on usage errors', () => {
  for (const args of [['--help'], ['policy', '--help'], ['simulate', '--help'], ['presets', '--help'], ['start', '--help']]) {
    const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /Usage: iommu-lab/);
  }
  const bad = spawnSync(process.execPath, [bin, 'policy', '--kernel', '6.3', '--caps', 'zz'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
});

after(() => rmSync(journalDir, { recursive: true, force: true }));

test('simulate journals its run and prints the id; --no-save journals nothing', async () => {
  const journal = join(journalDir, 'simulate.db');
  const saved = await run('simulate', '--preset', 'seed-after-fix', '--set', 'durationMs=30', '--set', 'warmupMs=3', '--tag', 'first', '--journal', journal);
  assert.equal(saved.code, 0, saved.err);
  const id = /Saved: ([0-9a-f-]{36})/.exec(saved.out)?.[1];
  assert.ok(id, saved.out);
  const listed = await run('runs', 'list', '--journal', journal, '--json');
  const page = JSON.parse(listed.out);
  assert.equal(page.total, 1);
  assert.equal(page.rows[0].id, id);
  assert.deepEqual(page.rows[0].tags, ['first']);

  const unsaved = join(journalDir, 'unsaved.db');
  const r = await run('simulate', '--preset', 'seed-after-fix', '--set', 'durationMs=30', '--set', 'warmupMs=3', '--no-save', '--journal', unsaved);
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.out, /Saved:/);
  assert.equal(existsSync(unsaved), false);
});

test('runs list|show|tag|note|delete and compare on one journal', async () => {
  const journal = join(journalDir, 'runs.db');
  const sim = await run('simulate', '--preset', 'seed-after-fix', '--set', 'durationMs=30', '--set', 'warmupMs=3', '--seeds', '2', '--journal', journal, '--json');
  assert.equal(sim.code, 0, sim.err);
  const [a, b] = JSON.parse(sim.out).results.map((x: { runId: string }) => x.runId as string);
  const short = a.slice(0, 8);

  const show = await run('runs', 'show', short, '--journal', journal);
  assert.equal(show.code, 0, show.err);
  assert.match(show.out, new RegExp(a));
  assert.match(show.out, /throughput Gbit\/s/);
  assert.match(show.out, /"backend": "nested-fl"/);

  assert.match((await run('runs', 'tag', short, 'keep', 'base', '--journal', journal)).out, /tags: base, keep|tags: keep, base/);
  assert.equal((await run('runs', 'note', short, 'baseline for the 6.3 check', '--journal', journal)).code, 0);
  const searched = JSON.parse((await run('runs', 'list', '--search', 'baseline', '--journal', journal, '--json')).out);
  assert.deepEqual(searched.rows.map((r: { id: string }) => r.id), [a]);
  const tagged = JSON.parse((await run('runs', 'list', '--tag', 'keep', '--journal', journal, '--json')).out);
  assert.equal(tagged.total, 1);
  const fast = JSON.parse((await run('runs', 'list', '--metric', 'throughputGbps>=1', '--sort', 'throughputGbps', '--journal', journal, '--json')).out);
  assert.equal(fast.total, 2);

  const cmp = await run('compare', a, b, '--journal', journal);
  assert.equal(cmp.code, 0, cmp.err);
  assert.match(cmp.out, /Scenario differences:\n.*\nseed\s+1\s+2/);
  assert.match(cmp.out, /throughputGbps/);
  const cmpJson = JSON.parse((await run('compare', a, b, '--journal', journal, '--json')).out);
  assert.deepEqual(cmpJson.differences, [{ path: 'seed', values: [1, 2] }]);

  assert.match((await run('runs', 'delete', b, '--journal', journal)).out, /deleted 1 run/);
  const gone = await run('runs', 'show', b, '--journal', journal);
  assert.equal(gone.code, 1);
  assert.match(gone.err, /not found/);
});

test('sweep SPEC.json --json runs the grid; a bad spec names the field and writes nothing', async () => {
  const journal = join(journalDir, 'sweep.db');
  const spec = join(journalDir, 'spec.json');
  writeFileSync(spec, JSON.stringify({ name: 'cli sweep', base: { preset: 'seed-after-fix', overrides: ['durationMs=30', 'warmupMs=3'] }, grid: { policy: ['strict', 'lazy'] }, seeds: 2 }));
  const dry = await run('sweep', spec, '--dry-run', '--journal', journal);
  assert.match(dry.out, /2 grid points x seeds = 4 runs/);
  const r = await run('sweep', spec, '--json', '--journal', journal);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  assert.equal(out.total, 4);
  assert.deepEqual(out.runs.map((x: { status: string }) => x.status), ['done', 'done', 'done', 'done']);

  const bad = join(journalDir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ base: { preset: 'seed-after-fix' }, grid: { 'device.mtu': [1500, 12] } }));
  const before = JSON.parse((await run('runs', 'list', '--journal', journal, '--json')).out).total;
  const rejected = await run('sweep', bad, '--journal', journal);
  assert.equal(rejected.code, 2);
  assert.match(rejected.err, /spec\.grid\.device\.mtu: .*at device\.mtu=12/);
  assert.equal(JSON.parse((await run('runs', 'list', '--journal', journal, '--json')).out).total, before);
  const notJson = await run('sweep', join(journalDir, 'missing.json'), '--journal', journal);
  assert.equal(notJson.code, 2);
  assert.match(notJson.err, /spec: cannot read/);
});

test('calibrate SPEC.json fits a measured run, prints residuals and saves a profile that simulate --no-save resolves', async () => {
  const journal = join(journalDir, 'calibrate.db');
  assert.equal((await run('benchmarks', 'create', 'rx', '--metric', 'receivedGbps', '--journal', journal)).code, 0);
  const imported = await run('import', 'iperf3', new URL('../fixtures/iperf3/tcp-parallel.json', import.meta.url).pathname, '--benchmark', 'rx', '--journal', journal);
  const runId = /\(run ([0-9a-f-]{36})/.exec(imported.out)?.[1];
  assert.ok(runId, imported.out);
  const spec = join(journalDir, 'calibrate.json');
  writeFileSync(spec, JSON.stringify({ profile: 'loop', parameters: { exitRoundTripNs: { min: 500, max: 60000 } }, points: [{ run: runId.slice(0, 8), scenario: { preset: 'seed-before-fix', overrides: ['durationMs=60', 'warmupMs=5'] } }] }));

  const fitted = await run('calibrate', spec, '--journal', journal);
  assert.equal(fitted.code, 0, fitted.err);
  const table = COST_TABLE.exitRoundTripNs.valueNs;
  assert.match(fitted.out, new RegExp(`exitRoundTripNs\\s+${table}\\s+${table}\\s+\\d+\\s+\\[500, 60000\\]`));
  assert.match(fitted.out, /seed-before-fix vs [0-9a-f]{8}\s+throughputGbps ~ receivedGbps\s+19\.22\s+\S+\s+19\.2\d\s+[+-]0\.\d\d%/);
  assert.match(fitted.out, /Saved as cost profile "loop"/);

  const listed = await run('profiles', 'list', '--journal', journal);
  assert.match(listed.out, /loop\s+fitted\s+exitRoundTripNs=\d+/);
  const sim = await run('simulate', '--preset', 'seed-before-fix', '--set', 'durationMs=60', '--set', 'warmupMs=5', '--set', 'costProfile=loop', '--no-save', '--json', '--journal', journal);
  assert.equal(sim.code, 0, sim.err);
  assert.ok(Math.abs(JSON.parse(sim.out).throughputGbps / 19.22 - 1) < 0.01);

  const again = await run('calibrate', spec, '--journal', journal);
  assert.equal(again.code, 1);
  assert.match(again.err, /cost profile "loop" already exists; pass replace/);
  writeFileSync(spec, JSON.stringify({ profile: 'other', parameters: { bogusNs: { min: 1, max: 2 } }, points: [{ value: 40, scenario: { preset: 'seed-before-fix' } }] }));
  const bad = await run('calibrate', spec, '--journal', journal);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /spec\.parameters\.bogusNs: unknown cost "bogusNs"; allowed: rxPacketNs/);
  assert.equal((await run('profiles', 'delete', 'loop', '--journal', journal)).code, 0);
  assert.match((await run('profiles', 'list', '--journal', journal)).out, /No cost profiles yet/);
});

test('policy and presets need no journal: the default journal is never created', async () => {
  const fresh = mkdtempSync(join(tmpdir(), 'iommu-lab-cli-nojournal-'));
  const env = { ...process.env, IOMMU_LAB_JOURNAL: join(fresh, 'never.db') };
  try {
    const policy = await runCli(['policy', '--kernel', '6.3', '--caps', 'cm,sm,flts', '--json'], env);
    assert.equal(policy.code, 0, policy.err);
    assert.equal(JSON.parse(policy.out).domainType, 'dma-fq');
    const presets = await runCli(['presets', '--json'], env);
    assert.equal(presets.code, 0, presets.err);
    assert.ok(JSON.parse(presets.out).some((p: { name: string }) => p.name === 'seed-after-fix'));
    assert.equal(existsSync(join(fresh, 'never.db')), false);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});

const iperf3 = (name: string) => new URL(`../fixtures/iperf3/${name}`, import.meta.url).pathname;

test('import takes several files in one call: each becomes a point, then a summary', async () => {
  const journal = join(journalDir, 'import-many.db');
  assert.equal((await run('benchmarks', 'create', 'rx', '--metric', 'receivedGbps', '--journal', journal)).code, 0);
  const files = [iperf3('tcp-parallel.json'), iperf3('tcp-reverse.json'), iperf3('tcp-send.json')];
  const r = await run('import', 'iperf3', ...files, '--benchmark', 'rx', '--tag', 'batch', '--journal', journal);
  assert.equal(r.code, 0, r.err);
  for (const f of files) assert.match(r.out, new RegExp(`imported ${f}: receivedGbps = `));
  assert.match(r.out, /imported 3 of 3 files into benchmark rx\n$/);
  const page = JSON.parse((await run('runs', 'list', '--tag', 'batch', '--journal', journal, '--json')).out);
  assert.equal(page.total, 3);
  const history = JSON.parse((await run('history', 'rx', '--journal', journal, '--json')).out);
  assert.equal(history.points.length, 3);
});

test('import of several files: a rejected file is named, the others go in, exit 1; an unreadable path imports nothing', async () => {
  const journal = join(journalDir, 'import-partial.db');
  assert.equal((await run('benchmarks', 'create', 'rx', '--metric', 'receivedGbps', '--journal', journal)).code, 0);
  const r = await run('import', 'iperf3', iperf3('tcp-parallel.json'), iperf3('truncated.json'), iperf3('tcp-send.json'), '--benchmark', 'rx', '--journal', journal);
  assert.equal(r.code, 1, 'not every file was imported');
  assert.match(r.err, new RegExp(`iommu-lab: ${iperf3('truncated.json')} not imported: `));
  assert.match(r.err, new RegExp(`imported 2 of 3 files into benchmark rx; not imported: ${iperf3('truncated.json')}\n$`));
  assert.equal(JSON.parse((await run('history', 'rx', '--journal', journal, '--json')).out).points.length, 2);

  const missing = await run('import', 'iperf3', iperf3('tcp-reverse.json'), join(journalDir, 'nope.json'), '--benchmark', 'rx', '--journal', journal);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /file: cannot read .*nope\.json: ENOENT/);
  assert.equal(JSON.parse((await run('history', 'rx', '--journal', journal, '--json')).out).points.length, 2, 'the readable file was not imported either');

  const noBenchmark = await run('import', 'iperf3', iperf3('tcp-parallel.json'), iperf3('tcp-send.json'), '--benchmark', 'tx', '--journal', journal);
  assert.equal(noBenchmark.code, 1);
  assert.equal(noBenchmark.err.trim().split('\n').length, 1, 'a missing benchmark is said once');
  assert.match(noBenchmark.err, /benchmark "tx" not found/);

  const badTag = await run('import', 'iperf3', iperf3('tcp-parallel.json'), iperf3('tcp-send.json'), '--benchmark', 'rx', '--tag', '#perf', '--journal', journal);
  assert.equal(badTag.code, 2, 'a bad tag is bad input for the whole call');
  assert.doesNotMatch(badTag.err, /not imported/);
  assert.equal(JSON.parse((await run('history', 'rx', '--journal', journal, '--json')).out).points.length, 2);
});

// One comparison, every surface: the same runs and metrics give the same
// verdicts in the UI's run sets (with and without per-reason breakdowns), the
// JSON, the mailing-list text, the HTML report and `iommu-lab export compare`.
// Known answers: the seed fix (6.2 strict -> 6.3 lazy, 6 seeds) is better for
// throughput; on shadow-sl strict -> lazy (6 seeds) is worse.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../../service/index.ts';
import { runCli } from './cli-run.ts';

// Short runs; lazy needs more than one 10 ms flush-queue timer period to flush.
const SHORT = ['durationMs=40', 'warmupMs=5'];
const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-verdicts-'));
const journalPath = join(dir, 'journal.db');
let lab: Lab;

before(() => {
  lab = Lab.open({ journalPath, workers: 2, validateResults: true });
});
after(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sixSeeds(preset: string, overrides: string[] = []): Promise<string[]> {
  const { runIds } = await lab.call('runs.start', { source: { preset, overrides: [...SHORT, ...overrides] }, seeds: 6 });
  await lab.call('runs.wait', { ids: runIds });
  return runIds;
}

type Verdicts = Record<string, string>;

/** The verdict column of the mailing-list table: "  better  throughputGbps  p=1.2e-9  (primary)". */
function textVerdicts(text: string): Verdicts {
  const section = text.slice(text.indexOf('\nverdicts:'));
  return Object.fromEntries([...section.matchAll(/^ {2}(better|worse|changed|no change \(constant\)|no change|inconclusive) +(\S+) +(?:p|q)=|^ {2}(no change \(constant\)) +(\S+) +not tested/gm)].map((m) => [m[2] ?? m[4], m[1] ?? m[3]]));
}

/** The verdict cells of the HTML report's rows. */
function htmlVerdicts(html: string): Verdicts {
  return Object.fromEntries([...html.matchAll(/data-metric="([^"]+)">.*?<td class="verdict"[^>]*>([^<]+)<\/td>/g)].map((m) => [m[1], m[2]]));
}

const pick = (v: Verdicts, names: readonly string[]): Verdicts => Object.fromEntries(names.map((n) => [n, v[n] ?? '(missing)']));

/** Every surface's verdicts for base -> head; asserts they agree on the metrics both show. */
async function everySurface(base: string[], head: string[]): Promise<Verdicts> {
  const runs = await Promise.all([...base, ...head].map((id) => lab.call('runs.get', { id })));
  // What RunSets sends: the metrics every run has, breakdowns only when ticked.
  const common = Object.keys(runs[0]!.metrics).filter((m) => runs.every((r) => m in r.metrics));
  const headline = common.filter((m) => !m.includes('.'));
  const ui = await lab.call('runs.compareSets', { base, head, metrics: headline });
  const uiBreakdowns = await lab.call('runs.compareSets', { base, head, metrics: common });
  const of = (r: typeof ui) => Object.fromEntries(r.comparison.metrics.map((m) => [m.metric, m.verdict]));
  const reference = of(ui);

  assert.deepEqual(pick(of(uiBreakdowns), headline), reference, 'ticking the per-reason breakdowns moves no headline verdict');
  const json = JSON.parse((await lab.call('runs.report', { base, head, format: 'json' })).content) as typeof ui;
  assert.deepEqual(pick(of(json), headline), reference, 'JSON export');
  const text = (await lab.call('runs.report', { base, head, format: 'text' })).content;
  assert.deepEqual(pick(textVerdicts(text), headline), reference, 'mailing-list text');
  const html = (await lab.call('runs.report', { base, head, format: 'html' })).content;
  assert.deepEqual(pick(htmlVerdicts(html), headline), reference, 'HTML report');
  const cli = await runCli(['export', 'compare', '--journal', journalPath, '--base', ...base, '--head', ...head]);
  assert.equal(cli.code, 0, cli.err);
  assert.deepEqual(pick(textVerdicts(cli.out), headline), reference, 'iommu-lab export compare');
  // Breakdowns agree wherever they are shown (UI with breakdowns, the reports' defaults).
  const breakdowns = common.filter((m) => m.includes('.'));
  assert.deepEqual(pick(textVerdicts(cli.out), breakdowns), pick(of(uiBreakdowns), breakdowns));
  return of(uiBreakdowns);
}

describe('verdicts agree across surfaces', () => {
  test('the seed fix, 6.2 strict -> 6.3 lazy with 6 seeds: better throughput everywhere; all-zero counters are constant', async () => {
    const before = await sixSeeds('seed-before-fix');
    const afterFix = await sixSeeds('seed-after-fix');
    const verdicts = await everySurface(before, afterFix);
    assert.equal(verdicts.throughputGbps, 'better');
    const report = await lab.call('runs.compareSets', { base: before, head: afterFix });
    assert.equal(report.comparison.primary, 'throughputGbps');
    const tput = report.comparison.metrics.find((m) => m.metric === 'throughputGbps')!;
    assert.equal(tput.family, 'primary');
    assert.equal(tput.test?.name, 'paired-t');
    assert.ok(tput.minSignificantN !== null && tput.minSignificantN <= 6, `significant by 6 seeds (needs ${tput.minSignificantN})`);
    const constant = report.comparison.metrics.filter((m) => m.verdict === 'no change (constant)');
    assert.ok(constant.length > 0, 'some breakdowns are zero in every run');
    assert.ok(constant.every((m) => m.qValue === null && m.a.mean === m.b.mean));
    // Strict has no flushes: lazy's flushes are a change from zero, absolute, with a verdict.
    const flushes = report.comparison.metrics.find((m) => m.metric === 'flushesPerSec')!;
    assert.equal(flushes.changeKind, 'from-zero');
    assert.equal(flushes.changePct, null);
    assert.equal(flushes.verdict, 'worse', 'more flushes, lower is better');
  });

  test('shadow-sl, strict -> lazy with 6 seeds: worse throughput everywhere', async () => {
    const strict = await sixSeeds('shadow-sl', ['policy=strict']);
    const lazy = await sixSeeds('shadow-sl', ['policy=lazy']);
    const verdicts = await everySurface(strict, lazy);
    assert.equal(verdicts.throughputGbps, 'worse');
    const swapped = await lab.call('runs.compareSets', { base: lazy, head: strict, metrics: ['throughputGbps'] });
    assert.equal(swapped.comparison.metrics[0]?.verdict, 'better', 'swapping base and head flips the verdict');
  });

  test('a side whose runs carry a warning: every surface says so beside the verdicts, and the stale window is left uncompared', async () => {
    // 4 ms measured against the 10 ms flush-queue timer: lazy never flushed, so its stale window was not measured.
    const start = async (policy: string) => {
      const { runIds } = await lab.call('runs.start', { source: { preset: 'seed-after-fix', overrides: ['durationMs=6', 'warmupMs=2', `policy=${policy}`] }, seeds: 2 });
      await lab.call('runs.wait', { ids: runIds });
      return runIds;
    };
    const strict = await start('strict');
    const lazy = await start('lazy');
    const report = await lab.call('runs.compareSets', { base: strict, head: lazy });
    assert.deepEqual(report.warnings.map((w) => [w.side, w.code, w.runs, w.of]), [['head', 'run-shorter-than-flush-timer', 2, 2]]);
    assert.ok(report.comparison.incomplete.includes('staleWindowP99Us'), report.comparison.incomplete.join());
    const text = (await lab.call('runs.report', { base: strict, head: lazy, format: 'text' })).content;
    assert.match(text, /warnings \(what these runs cannot be trusted for\):\n {2}head \(2 of 2 runs\) \[run-shorter-than-flush-timer\]: the measured run \(4 ms\)/);
    const html = (await lab.call('runs.report', { base: strict, head: lazy, format: 'html' })).content;
    assert.match(html, /<h2>Warnings<\/h2>.*<b>head<\/b> \(2 of 2 runs\) <code>run-shorter-than-flush-timer<\/code>/s);
    const cli = await runCli(['export', 'compare', '--journal', journalPath, '--base', ...strict, '--head', ...lazy]);
    assert.match(cli.out, /head \(2 of 2 runs\) \[run-shorter-than-flush-timer\]/);
  });

  test('imported runs of one benchmark: its metric is the primary one unless another is named', async () => {
    await lab.call('benchmarks.create', { name: 'tx', metric: 'sentGbps', higherIsBetter: true });
    const text = (name: string) => readFileSync(new URL(`../fixtures/iperf3/${name}`, import.meta.url), 'utf8');
    const a = await lab.call('measurements.import', { tool: 'iperf3', text: text('tcp-send.json'), benchmark: 'tx' });
    const b = await lab.call('measurements.import', { tool: 'iperf3', text: text('tcp-parallel.json'), benchmark: 'tx' });
    const byBenchmark = await lab.call('runs.compareSets', { base: [a.runId], head: [b.runId] });
    assert.equal(byBenchmark.comparison.primary, 'sentGbps');
    const named = await lab.call('runs.compareSets', { base: [a.runId], head: [b.runId], primary: 'receivedGbps' });
    assert.equal(named.comparison.primary, 'receivedGbps');
  });

  test('a named primary metric must be compared; an unknown one is an input error naming the allowed', async () => {
    const ids = (await lab.call('runs.list', { filter: { kind: 'simulated' }, page: { limit: 2 } })).rows.map((r) => r.id);
    await assert.rejects(lab.call('runs.compareSets', { base: [ids[0]!], head: [ids[1]!], metrics: ['throughputGbps'], primary: 'vmExitsPerSec' }), /primary.*allowed: throughputGbps/);
  });
});

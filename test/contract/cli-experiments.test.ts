// Sweeps and histories from the command line, as users run them (the compiled
// bin): an experiment of backend x policy x flushQueue.size x 6 seeds analysed
// by `experiments show`, its CSV, and a history of 20 iperf3 imports ordered by
// commit, where a marker placed before a point turns the step into a known shift.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli-run.ts';
import { iperf3HistoryRun } from '../fixtures/iperf3-history.ts';

const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-cli-sweeps-'));
const env = { ...process.env, IOMMU_LAB_JOURNAL: join(dir, 'journal.db') };
const run = (...argv: string[]) => runCli(argv, env);
after(() => rmSync(dir, { recursive: true, force: true }));

/** A plain CSV parser for what the exporters write (RFC 4180 quoting). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = (): void => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endCell();
    else if (c === '\n') {
      endCell();
      rows.push(row);
      row = [];
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    endCell();
    rows.push(row);
  }
  return rows;
}

const SWEPT = ['viommu.backend', 'policy', 'flushQueue.size'];

describe('experiments: backend x policy x flushQueue.size x 6 seeds', () => {
  before(async () => {
    const spec = join(dir, 'sweep.json');
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'fq-size',
        base: { preset: 'seed-after-fix', overrides: ['durationMs=40'] },
        grid: { 'viommu.backend': ['nested-fl', 'shadow-sl'], policy: ['strict', 'lazy'], 'flushQueue.size': [64, 256] },
        seeds: 6,
      }),
    );
    const r = await run('sweep', spec);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /48 done, 0 failed/);
  });

  test('experiments list names it with its runs', async () => {
    const r = await run('experiments', 'list', '--json');
    assert.equal(r.code, 0, r.err);
    const list = JSON.parse(r.out) as { name: string; runs: number; done: number }[];
    assert.deepEqual(
      list.map((e) => [e.name, e.runs, e.done]),
      [['fq-size', 48, 48]],
    );
  });

  test('experiments show: 8 grid points of 6 seeds, a metric-vs-size chart, best per backend', async () => {
    const j = await run('experiments', 'show', 'fq-size', '--json', '--metric', 'throughputGbps,staleWindowP99Us');
    assert.equal(j.code, 0, j.err);
    const a = JSON.parse(j.out);
    assert.deepEqual(a.sweptPaths, SWEPT);
    assert.equal(a.points.length, 8);
    for (const p of a.points) {
      assert.equal(p.runIds.length, 6);
      const s = p.metrics.throughputGbps;
      assert.ok(s.ci95[0] <= s.mean && s.mean <= s.ci95[1]);
    }
    // Lazy's stale window grows with the queue; strict has none to speak of.
    const stale = (backend: string, policy: string, size: number) =>
      a.points.find((p: { values: Record<string, unknown> }) => p.values['viommu.backend'] === backend && p.values.policy === policy && p.values['flushQueue.size'] === size).metrics.staleWindowP99Us.mean;
    assert.ok(stale('nested-fl', 'lazy', 256) > stale('nested-fl', 'lazy', 64));
    assert.ok(stale('nested-fl', 'strict', 64) < stale('nested-fl', 'lazy', 64));
    assert.deepEqual(
      a.best.filter((b: { metric: string }) => b.metric === 'throughputGbps').map((b: { backend: string }) => b.backend),
      ['nested-fl', 'shadow-sl'],
    );

    // The Pareto front: undominated on throughput (higher) and stale window (lower), fastest first.
    assert.equal(a.pareto.metric, 'throughputGbps');
    assert.ok(a.pareto.points.length >= 2);
    for (const p of a.pareto.points) {
      for (const q of a.points) {
        const better = q.metrics.throughputGbps.mean > p.value && q.metrics.staleWindowP99Us.mean < p.staleWindowP99Us;
        assert.ok(!better, `a grid point beats a front point on both: ${JSON.stringify(q.values)}`);
      }
    }
    assert.ok(a.interactions.some((x: { paths: string[]; metric: string }) => x.paths.join() === 'policy,flushQueue.size' && x.metric === 'staleWindowP99Us'));

    const t = await run('experiments', 'show', 'fq-size', '--metric', 'throughputGbps');
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /swept: viommu\.backend, policy, flushQueue\.size/);
    assert.match(t.out, /^backend\s+policy\s+size\s+n\s+throughputGbps \(Gbit\/s\)$/m);
    assert.match(t.out, /^nested-fl\s+lazy\s+256\s+6\s+\d+\.\d+ ± \d+\.\d+$/m);
    assert.match(t.out, /^throughputGbps vs flushQueue\.size\s+size=64\s+size=256$/m);
    assert.match(t.out, /^backend=shadow-sl policy=lazy\s+\S \d+\.\d+\s+\S \d+\.\d+$/m);
    assert.match(t.out, /Best configuration per backend/);

    const bad = await run('experiments', 'show', 'fq-size', '--by', 'flushQueue.sise');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /by: .*swept: viommu\.backend, policy, flushQueue\.size/);
  });

  test('the CSVs have one column per swept field: per grid point, and every run in the export', async () => {
    const points = await run('experiments', 'show', 'fq-size', '--csv');
    assert.equal(points.code, 0, points.err);
    const rows = parseCsv(points.out);
    assert.deepEqual(rows[0]?.slice(0, 4), [...SWEPT, 'n']);
    assert.equal(rows.length, 9);
    assert.deepEqual(rows[1]?.slice(0, 4), ['nested-fl', 'strict', '64', '6']);

    const out = join(dir, 'runs.csv');
    const exp = await run('export', 'runs', '--experiment', 'fq-size', '--format', 'csv', '-o', out);
    assert.equal(exp.code, 0, exp.err);
    const table = parseCsv(readFileSync(out, 'utf8'));
    const header = table[0] as string[];
    const first = header.indexOf('tags') + 2;
    // After the run columns: the swept fields first, in grid order, then the rest of the scenario, then metrics.
    assert.deepEqual(header.slice(first, first + 3), SWEPT);
    assert.ok(header.includes('guest.kernel') && header.includes('effective.policy') && header.includes('throughputGbps'));
    assert.equal(table.length, 49);
    assert.ok(table.slice(1).every((r) => r.length === header.length));
    const sizes = new Set(table.slice(1).map((r) => r[header.indexOf('flushQueue.size')]));
    assert.deepEqual([...sizes].sort(), ['256', '64']);

    const json = await run('export', 'runs', '--experiment', 'fq-size', '--format', 'json');
    const runs = JSON.parse(json.out) as { scenario: Record<string, unknown> }[];
    assert.deepEqual(Object.keys(runs[0]?.scenario ?? {}).slice(0, 3), SWEPT);
  });
});

describe('history: 20 iperf3 imports ordered by commit', () => {
  const files: string[] = [];
  before(() => {
    // Measured in reverse commit order, so time and commit disagree; commits 11.. lose a quarter.
    for (let i = 1; i <= 20; i++) {
      const f = join(dir, `rx-${i}.json`);
      writeFileSync(f, iperf3HistoryRun(i));
      files.push(f);
    }
  });

  test('orders by commit, refuses duplicates, and a marker --before a point makes the step a known shift', async () => {
    assert.equal((await run('benchmarks', 'create', 'rx', '--metric', 'receivedGbps', '--order-by', 'context:commit')).code, 0);
    // Imported in file order but not in commit order: every third file first.
    const order = [...files.keys()].sort((x, y) => (x % 3) - (y % 3) || x - y);
    for (const k of order) {
      const r = await run('import', 'iperf3', files[k] as string, '--benchmark', 'rx', '--context', `commit=v6.8-${k + 1}-g${(k + 1).toString(16).padStart(4, '0')}`, '--context', 'qemu=8.2');
      assert.equal(r.code, 0, r.err);
    }
    // The tool output stays in the journal, whole, though answers leave it out.
    const h0 = JSON.parse((await run('history', 'rx', '--json')).out);
    const first = h0.points.find((q: { key: string }) => q.key === 'v6.8-1-g0001');
    const raw = await run('benchmarks', 'raw', 'rx', (first.id as string).slice(0, 8));
    assert.equal(raw.code, 0, raw.err);
    assert.deepEqual(JSON.parse(raw.out), JSON.parse(iperf3HistoryRun(1)));
    const again = await run('import', 'iperf3', files[0] as string, '--benchmark', 'rx');
    assert.equal(again.code, 2);
    assert.match(again.err, /already imported into rx as point/);
    assert.equal((await run('import', 'iperf3', files[0] as string, '--benchmark', 'rx', '--allow-duplicate', '--context', 'commit=v6.8-1-g0001')).code, 0);

    const h1 = JSON.parse((await run('history', 'rx', '--json')).out);
    assert.equal(h1.orderBy, 'context:commit');
    assert.equal(h1.points.length, 21);
    const keys = h1.points.map((p: { key: string }) => p.key);
    assert.deepEqual(keys.slice(0, 3), ['v6.8-1-g0001', 'v6.8-1-g0001', 'v6.8-2-g0002']);
    assert.equal(keys.at(-1), 'v6.8-20-g0014');
    assert.equal(h1.changes.length, 1);
    assert.equal(h1.changes[0].kind, 'regression');
    const step = h1.points[h1.changes[0].index];
    assert.equal(step.key, 'v6.8-11-g000b');
    // Nobody acknowledged it: `history` says so, with the command that would, and fails CI when asked to.
    assert.deepEqual(h1.unacknowledged, h1.changes);
    const flagged = await run('history', 'rx', '--fail-on-regression');
    assert.equal(flagged.code, 1, flagged.err);
    assert.match(flagged.out, new RegExp(`UNACKNOWLEDGED REGRESSION -2\\d\\.\\d% at #\\d+ \\(commit v6\\.8-11-g000b\\), worse than 2% since the last marker \\(acknowledge: iommu-lab benchmarks mark rx "acknowledged: regression -2\\d\\.\\d%" --before ${(step.id as string).slice(0, 8)}\\)`));

    // Remove the duplicate again; then mark the step.
    const dup = h1.points[1].id as string;
    assert.equal((await run('benchmarks', 'rm-point', 'rx', dup.slice(0, 8))).code, 0);
    const mark = await run('benchmarks', 'mark', 'rx', 'vhost rework', '--before', (step.id as string).slice(0, 8));
    assert.equal(mark.code, 0, mark.err);
    const h2 = JSON.parse((await run('history', 'rx', '--json')).out);
    assert.equal(h2.points.length, 20);
    assert.deepEqual(h2.changes, []);
    assert.equal(h2.knownShifts.length, 1);
    assert.equal(h2.points[h2.knownShifts[0].index].key, 'v6.8-11-g000b');
    assert.ok(h2.knownShifts[0].changePct < -20);

    const text = await run('history', 'rx');
    assert.match(text.out, /ordered by commit/);
    assert.match(text.out, /-- vhost rework --/);
    assert.match(text.out, /No change points detected/);
    assert.doesNotMatch(text.out, /UNACKNOWLEDGED/);
    assert.equal((await run('history', 'rx', '--fail-on-regression')).code, 0, 'a known shift fails nothing');

    // On the time axis the same points read the other way round.
    const byTime = JSON.parse((await run('history', 'rx', '--order-by', 'time', '--json')).out);
    assert.equal(byTime.points[0].key, byTime.points[0].measuredAt);

    // Deleting a run deletes its point.
    const runId = h2.points[0].runId as string;
    assert.equal((await run('runs', 'delete', runId)).code, 0);
    assert.equal(JSON.parse((await run('history', 'rx', '--json')).out).points.length, 19);
  });
});

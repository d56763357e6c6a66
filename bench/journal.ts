// Journal figures at scale: bulk insert rate of 100k runs with their metrics
// (as sweeps write them), overall and over the last tenth (the rate at the
// journal's full size), and the latency of the runs page the UI and
// `runs list` ask for, filtered and sorted by a metric: the first call (its
// total counted afresh) and then p50/p95 of the same page asked again (as a
// table paging through one filter does); and a streamed CSV export of every
// run (time and peak RSS). The load average says whether other work shared the cores.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPreset, mergeDeep, parseScenario, scalarMetrics, simulate } from '../core/index.ts';
import { openJournal, type ImportedRun, type Journal, type RunQuery } from '../db/index.ts';
import { writeRunsExport } from '../service/handlers/exports.ts';

const BACKENDS = ['none', 'shadow-sl', 'nested-fl', 'shadow-fl-wp'] as const;
const POLICIES = ['strict', 'lazy'] as const;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

/**
 * Writes `runs` done runs in batches, as sweeps write them: real metric names
 * and magnitudes from one short run, jittered per run. Runs are numbered from
 * `first` (a second call continues the first's numbering). Returns the time
 * spent in the insert calls alone: building the input is the importer's work
 * (parsing a file), not the journal's.
 */
export function fillJournal(journal: Journal, runs: number, batch = 1000, first = 0): { metricsPerRun: number; insertSec: number } {
  const template = scalarMetrics(simulate(mergeDeep(findPreset('seed-after-fix')!.scenario, { durationMs: 20, warmupMs: 2 })));
  const base = findPreset('seed-after-fix')!.scenario;
  const scenarios = BACKENDS.flatMap((backend) => POLICIES.map((policy) => parseScenario(mergeDeep(base, { viommu: { backend }, policy }))));
  let insertMs = 0;
  for (let start = first; start < first + runs; start += batch) {
    const rows: ImportedRun[] = [];
    for (let i = start; i < Math.min(first + runs, start + batch); i++) {
      const jitter = 0.8 + ((i * 7919) % 400) / 1000;
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(template)) metrics[k] = v * jitter;
      rows.push({ name: `bench run ${i}`, scenario: scenarios[i % scenarios.length]!, modelVersion: '1.0.0', seed: i, status: 'done', durationMs: 500, result: {}, metrics, tags: i % 10 === 0 ? ['tenth'] : [] });
    }
    const t0 = performance.now();
    journal.runs.insertRunsBulk(rows);
    insertMs += performance.now() - t0;
  }
  return { metricsPerRun: Object.keys(template).length, insertSec: insertMs / 1000 };
}

/** `export runs` of the whole journal as CSV into a byte counter: time, size, and the process's peak RSS meanwhile. */
async function benchExport(journal: Journal) {
  const rssBeforeMiB = process.memoryUsage().rss / 2 ** 20;
  let peakRss = 0;
  let bytes = 0;
  const t0 = performance.now();
  const exported = await writeRunsExport(journal, { query: {}, format: 'csv' }, (chunk) => {
    bytes += Buffer.byteLength(chunk);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  });
  return {
    runs: exported,
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
    mib: +(bytes / 2 ** 20).toFixed(1),
    rssBeforeMiB: +rssBeforeMiB.toFixed(0),
    peakRssMiB: +(peakRss / 2 ** 20).toFixed(0),
  };
}

const walSize = (path: string): number => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);

export async function benchJournal(runs: number, batch = 1000) {
  const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-bench-'));
  try {
    const loadBefore = +loadavg()[0]!.toFixed(2);
    const path = join(dir, 'bench.db');
    const journal = openJournal(path);
    const lastTenth = Math.floor(runs / 10 / batch) * batch;
    const { metricsPerRun, insertSec: firstSec } = fillJournal(journal, runs - lastTenth, batch);
    const { insertSec: lastTenthSec } = fillJournal(journal, lastTenth, batch, runs - lastTenth);
    const insertSec = firstSec + lastTenthSec;
    const bytesPerRun = Math.round((statSync(path).size + walSize(path)) / runs);
    const loadAfterInsert = +loadavg()[0]!.toFixed(2);

    const queries: Record<string, RunQuery> = {
      newestPage: { page: { limit: 50 } },
      filteredSortedByMetric: {
        filter: { status: ['done'], metric: [{ name: 'throughputGbps', min: 40 }] },
        sort: { by: 'metric:throughputGbps', dir: 'desc' },
        metrics: ['throughputGbps', 'vmExitsPerSec', 'cpuUtilization', 'vmmLockUtilization'],
        page: { limit: 100, offset: 500 },
      },
      taggedSortedByMetric: { filter: { tags: ['tenth'] }, sort: { by: 'metric:vmExitsPerSec', dir: 'asc' }, metrics: ['throughputGbps', 'vmExitsPerSec'], page: { limit: 100 } },
      scenarioFieldFilter: { filter: { scenario: [{ path: '$.viommu.backend', value: 'shadow-sl' }] }, metrics: ['throughputGbps'], page: { limit: 100 } },
    };
    const latency: Record<string, { firstMs: number; p50Ms: number; p95Ms: number; total: number }> = {};
    for (const [name, q] of Object.entries(queries)) {
      const tFirst = performance.now();
      journal.runs.listRuns(q); // also warms the statement cache and the page cache
      const firstMs = +(performance.now() - tFirst).toFixed(2);
      const times: number[] = [];
      let total = 0;
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        total = journal.runs.listRuns(q).total;
        times.push(performance.now() - t);
      }
      latency[name] = { firstMs, p50Ms: +percentile(times, 0.5).toFixed(2), p95Ms: +percentile(times, 0.95).toFixed(2), total };
    }
    const exportCsv = await benchExport(journal);
    journal.close();
    const loadAverage1m = { before: loadBefore, afterInsert: loadAfterInsert, after: +loadavg()[0]!.toFixed(2) };
    return {
      runs,
      batchSize: batch,
      metricsPerRun,
      insertRunsPerSec: Math.round(runs / insertSec),
      insertRunsPerSecLastTenth: lastTenth > 0 ? Math.round(lastTenth / lastTenthSec) : null,
      insertTimed: 'the insert calls only, not building their input',
      fileBytesPerRun: bytesPerRun,
      pageQuery: latency,
      exportCsv,
      loadAverage1m,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

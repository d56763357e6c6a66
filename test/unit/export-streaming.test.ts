// Streaming run exports: page by page they write exactly what one whole-list
// rendering writes, in the query's order, and while an export of a large
// journal runs the service keeps answering other calls.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJournal, type ImportedRun, type Journal, type RunQuery, type RunSummary } from '../../db/index.ts';
import { Lab } from '../../service/index.ts';
import { flattenRun, sweptPaths } from '../../service/experiments.ts';
import { runsToCsv, runsToJson } from '../../service/exporters/index.ts';
import { writeRunsExport } from '../../service/handlers/exports.ts';

const BACKENDS = ['none', 'shadow-sl', 'nested-fl'] as const;

/** `n` runs over three scenarios; every seventh is failed (no metrics), every tenth tagged. */
function runs(n: number, from = 0): ImportedRun[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const done = i % 7 !== 0;
    return {
      name: `run ${i}`,
      scenario: { viommu: { backend: BACKENDS[i % 3] }, policy: 'strict', seed: 1 },
      modelVersion: '1.0.0',
      seed: i,
      status: done ? 'done' : 'failed',
      createdAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      ...(done ? { durationMs: 10, result: {}, metrics: { throughputGbps: (i * 37) % 101, vmExitsPerSec: i } } : { error: 'boom' }),
      tags: i % 10 === 0 ? ['tenth'] : [],
    } satisfies ImportedRun;
  });
}

/** The whole list rendered at once, as the export did before it streamed. */
function wholeList(journal: Journal, rows: RunSummary[], format: 'csv' | 'json', metrics: string[]): string {
  const byRun = new Map(journal.experiments.runDocuments(rows.map((r) => r.id)).map((d) => [d.id, flattenRun(d)]));
  const flat = [...byRun.values()];
  const swept = sweptPaths(flat);
  const paths = [...swept, ...[...new Set(flat.flatMap((f) => Object.keys(f)))].filter((p) => !swept.includes(p))];
  return format === 'csv' ? runsToCsv(rows, metrics, { paths, byRun }) : runsToJson(rows, metrics, { paths, byRun });
}

describe('streaming export', () => {
  let dir: string;
  let journal: Journal;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'iommu-lab-export-'));
    journal = openJournal(join(dir, 'journal.db'));
    journal.runs.insertRunsBulk(runs(2500)); // two and a half pages
  });
  after(() => {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cases: { name: string; query: Omit<RunQuery, 'page'> }[] = [
    { name: 'newest first', query: {} },
    { name: 'by a metric, with a range', query: { filter: { metric: [{ name: 'throughputGbps', min: 20 }] }, sort: { by: 'metric:throughputGbps', dir: 'asc' } } },
    { name: 'by a metric, runs without it last', query: { sort: { by: 'metric:throughputGbps', dir: 'desc' } } },
    { name: 'tagged', query: { filter: { tags: ['tenth'] }, sort: { by: 'name', dir: 'asc' } } },
  ];
  for (const { name, query } of cases) {
    for (const format of ['csv', 'json'] as const) {
      test(`${name}, ${format}: the same bytes as the whole list rendered at once, written in several chunks`, async () => {
        const metrics = ['throughputGbps', 'vmExitsPerSec'];
        const rows: RunSummary[] = [];
        const { total } = journal.runs.listRuns({ ...query, page: { limit: 1 } });
        for (let offset = 0; offset < total; offset += 1000) rows.push(...journal.runs.listRuns({ ...query, metrics, page: { limit: 1000, offset } }).rows);
        const chunks: string[] = [];
        const n = await writeRunsExport(journal, { query, format, metrics }, (c) => {
          chunks.push(c);
        });
        assert.equal(n, total);
        assert.ok(total > 100, `the case exports ${total} runs`);
        assert.equal(chunks.join(''), wholeList(journal, rows, format, metrics));
        if (total > 1000) assert.ok(chunks.length >= 3, `written in ${chunks.length} chunks`);
      });
    }
  }

  test('no matching run: a header alone in CSV, an empty array in JSON', async () => {
    for (const format of ['csv', 'json'] as const) {
      const chunks: string[] = [];
      const n = await writeRunsExport(journal, { query: { filter: { tags: ['nowhere'] } }, format, metrics: ['throughputGbps'] }, (c) => {
        chunks.push(c);
      });
      assert.equal(n, 0);
      assert.equal(chunks.join(''), wholeList(journal, [], format, ['throughputGbps']));
    }
  });
});

describe('the service answers while an export runs', () => {
  let dir: string;
  let lab: Lab;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'iommu-lab-export-serve-'));
    const path = join(dir, 'journal.db');
    const journal = openJournal(path);
    for (let from = 0; from < 12_000; from += 3000) journal.runs.insertRunsBulk(runs(3000, from));
    journal.close();
    lab = Lab.open({ journalPath: path });
  });
  after(async () => {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('runs.list calls made during an export are answered before it ends, each in a fraction of its time', async () => {
    await lab.call('runs.list', { page: { limit: 50 } }); // open the journal, warm the statements
    const started = performance.now();
    let exportMs = 0;
    const exported = lab.call('runs.export', { format: 'csv', query: {} }).then((r) => {
      exportMs = performance.now() - started;
      return r;
    });
    const latenciesMs: number[] = [];
    let answeredDuringExport = 0;
    while (exportMs === 0) {
      const t = performance.now();
      const page = await lab.call('runs.list', { page: { limit: 50 } });
      latenciesMs.push(performance.now() - t);
      assert.equal(page.rows.length, 50);
      if (exportMs === 0) answeredDuringExport++;
      // The next call arrives as a client's would, from a socket: a later turn of the event loop.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const r = await exported;
    assert.equal(r.runs, 12_000);
    // A blocking export would answer no list call until it ended (one call, waiting the whole export).
    assert.ok(answeredDuringExport >= 3, `${answeredDuringExport} list calls answered during a ${exportMs.toFixed(0)} ms export`);
    const worstMs = Math.max(...latenciesMs);
    assert.ok(worstMs < exportMs / 3, `slowest list call ${worstMs.toFixed(0)} ms against a ${exportMs.toFixed(0)} ms export`);
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { JournalInputError, openJournal } from '../../db/index.ts';
import type { ImportedRun, Journal, RunQuery, RunStatus } from '../../db/index.ts';
import { scenarioFieldSql } from '../../db/migrations/index.ts';
import { cleanupTempDirs, scenario, tempDir } from '../fixtures/journal-helpers.ts';

const BACKENDS = ['nested-fl', 'shadow-sl', 'shadow-fl-wp'] as const;
const STATUS: RunStatus[] = ['done', 'done', 'done', 'done', 'done', 'done', 'done', 'done', 'failed', 'cancelled', 'queued', 'running'];
const T0 = Date.parse('2025-03-01T10:00:00.000Z');

interface Expected {
  i: number;
  id: string;
  name: string;
  status: RunStatus;
  throughput?: number;
  latency?: number;
  durationMs: number | null;
}

let journal: Journal;
const runs: Expected[] = [];
let experimentA = '';

/** Twelve runs with known, distinct values; run 3 has no latency metric, run 5 has a note. */
function dataset(): ImportedRun[] {
  return STATUS.map((status, i) => {
    const backend = BACKENDS[i % 3] ?? 'none';
    const done = status === 'done';
    const metrics: Record<string, number> = done ? { throughputGbps: 10 - i * 0.5 } : {};
    if (done && i !== 3) metrics.latencyP99Us = 100 + ((i * 37) % 50);
    return {
      name: `run-${i} ${backend} ${i % 2 === 0 ? 'strict' : 'lazy'}`,
      scenario: scenario(backend, i % 2 === 0, (i % 4) + 1),
      modelVersion: '0.1.0',
      seed: i,
      status,
      kind: i === 7 ? 'measured' : 'simulated',
      createdAt: new Date(T0 + i * 60_000).toISOString(),
      durationMs: done ? i * 10 : null,
      metrics,
      tags: ['sweep', ...(i % 2 === 0 ? ['even'] : []), ...(i % 3 === 0 ? ['triple'] : [])],
      notes: i === 5 ? ['IOTLB flush storm observed under load'] : [],
    };
  });
}

before(() => {
  journal = openJournal(join(tempDir(), 'journal.sqlite'));
  const a = journal.experiments.ensureExperiment({ name: 'exp-a' });
  const b = journal.experiments.ensureExperiment({ name: 'exp-b' });
  experimentA = a.id;
  const input = dataset().map((r, i) => ({ ...r, experimentId: i < 6 ? a.id : b.id }));
  const ids = journal.runs.insertRunsBulk(input);
  input.forEach((r, i) =>
    runs.push({
      i,
      id: ids[i] ?? '',
      name: r.name,
      status: r.status,
      throughput: r.metrics?.throughputGbps,
      latency: r.metrics?.latencyP99Us,
      durationMs: r.durationMs ?? null,
    }),
  );
});
after(() => {
  journal.close();
  cleanupTempDirs();
});

/** Indexes (run-i) of the rows of a query, in order. */
function indexes(q: RunQuery): number[] {
  return journal.runs.listRuns({ page: { limit: 1000 }, ...q }).rows.map((r) => Number(/^run-(\d+)/.exec(r.name)?.[1]));
}
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('listRuns filters', () => {
  test('no filter: everything, newest first', () => {
    const page = journal.runs.listRuns();
    assert.equal(page.total, 12);
    assert.deepEqual(page.rows.map((r) => r.name.split(' ')[0]), runs.map((r) => `run-${r.i}`).reverse());
    const first = page.rows[0];
    assert.equal(first?.status, 'running');
    assert.deepEqual(first?.tags, ['sweep']);
    assert.deepEqual(first?.metrics, {});
  });

  test('status', () => {
    assert.deepEqual(sorted(indexes({ filter: { status: ['failed', 'cancelled'] } })), [8, 9]);
    assert.deepEqual(indexes({ filter: { status: [] } }), []);
  });

  test('tags: all must match', () => {
    assert.deepEqual(sorted(indexes({ filter: { tags: ['even', 'triple'] } })), [0, 6]);
    assert.deepEqual(sorted(indexes({ filter: { tags: ['triple'] } })), [0, 3, 6, 9]);
    assert.deepEqual(indexes({ filter: { tags: ['nosuchtag'] } }), []);
  });

  test('experiment by name or id', () => {
    assert.deepEqual(sorted(indexes({ filter: { experiment: 'exp-a' } })), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(sorted(indexes({ filter: { experiment: experimentA } })), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(indexes({ filter: { experiment: 'missing' } }), []);
  });

  test('scenario values by JSON path: strings, numbers, booleans', () => {
    assert.deepEqual(sorted(indexes({ filter: { scenario: [{ path: '$.viommu.backend', value: 'shadow-sl' }] } })), [1, 4, 7, 10]);
    assert.deepEqual(sorted(indexes({ filter: { scenario: [{ path: '$.device.queues', value: 2 }] } })), [1, 5, 9]);
    assert.deepEqual(sorted(indexes({ filter: { scenario: [{ path: '$.kernel.strict', value: false }] } })), [1, 3, 5, 7, 9, 11]);
    assert.deepEqual(
      sorted(indexes({ filter: { scenario: [{ path: '$.kernel.strict', value: true }, { path: '$.viommu.backend', value: 'nested-fl' }] } })),
      [0, 6],
    );
    // A number is not its string, and true is not 1.
    assert.deepEqual(indexes({ filter: { scenario: [{ path: '$.device.queues', value: '2' }] } }), []);
    assert.deepEqual(indexes({ filter: { scenario: [{ path: '$.device.queues', value: true }] } }), []);
  });

  test('metric ranges, alone and with a status filter', () => {
    // throughput = 10 - i/2 for done runs 0..7
    assert.deepEqual(sorted(indexes({ filter: { metric: [{ name: 'throughputGbps', min: 8, max: 9 }] } })), [2, 3, 4]);
    assert.deepEqual(sorted(indexes({ filter: { metric: [{ name: 'throughputGbps', max: 7 }] } })), [6, 7]);
    assert.deepEqual(sorted(indexes({ filter: { metric: [{ name: 'latencyP99Us' }] } })), [0, 1, 2, 4, 5, 6, 7]);
    assert.deepEqual(sorted(indexes({ filter: { status: ['done', 'failed'], metric: [{ name: 'throughputGbps', min: 9 }] } })), [0, 1, 2]);
    assert.deepEqual(indexes({ filter: { status: ['failed'], metric: [{ name: 'throughputGbps', min: 0 }] } }), []);
    assert.deepEqual(
      sorted(indexes({ filter: { metric: [{ name: 'throughputGbps', min: 7 }, { name: 'latencyP99Us', max: 130 }], tags: ['even'] } })),
      runs.filter((r) => (r.throughput ?? -1) >= 7 && r.latency !== undefined && r.latency <= 130 && r.i % 2 === 0).map((r) => r.i),
    );
  });

  test('full text over run names and notes, by word prefix', () => {
    assert.deepEqual(indexes({ filter: { text: 'flush storm' } }), [5]);
    assert.deepEqual(sorted(indexes({ filter: { text: 'shadow-sl' } })), [1, 4, 7, 10]);
    assert.deepEqual(sorted(indexes({ filter: { text: 'nest STRICT' } })), [0, 6]);
    assert.deepEqual(indexes({ filter: { text: 'lazy iotlb' } }), [5], 'one word in the name, one in a note');
    // Operators and quotes are taken literally, never as FTS syntax.
    assert.deepEqual(indexes({ filter: { text: '" OR * NEAR(' } }), []);
    assert.equal(journal.runs.listRuns({ filter: { text: '   ' } }).total, 12, 'blank text filters nothing');
  });

  test('kind', () => {
    assert.deepEqual(indexes({ filter: { kind: 'measured' } }), [7]);
  });

  test('filters combine', () => {
    assert.deepEqual(indexes({ filter: { experiment: 'exp-b', tags: ['even'], status: ['done'], text: 'nested' } }), [6]);
  });
});

describe('listRuns sorting and paging', () => {
  test('by name, status and duration (runs without a duration last)', () => {
    assert.deepEqual(indexes({ sort: { by: 'name', dir: 'asc' } }), [0, 1, 10, 11, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(indexes({ sort: { by: 'status', dir: 'asc' }, filter: { status: ['failed', 'queued', 'cancelled'] } }), [9, 8, 10]);
    assert.deepEqual(indexes({ sort: { by: 'duration_ms', dir: 'desc' } }).slice(0, 8), [7, 6, 5, 4, 3, 2, 1, 0]);
    assert.deepEqual(indexes({ sort: { by: 'duration_ms', dir: 'asc' } }).slice(0, 8), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(indexes({ sort: { by: 'created_at', dir: 'asc' } }), runs.map((r) => r.i));
  });

  test('by a metric: runs having it in order, then the others newest first', () => {
    const having = runs.filter((r) => r.latency !== undefined).sort((a, b) => (a.latency ?? 0) - (b.latency ?? 0)).map((r) => r.i);
    const without = runs.filter((r) => r.latency === undefined).map((r) => r.i).reverse();
    const expected = [...having, ...without];
    assert.deepEqual(indexes({ sort: { by: 'metric:latencyP99Us', dir: 'asc' } }), expected);
    assert.deepEqual(indexes({ sort: { by: 'metric:latencyP99Us', dir: 'desc' } }), [...[...having].reverse(), ...without]);

    // Every page size walks the same order with no gaps or repeats, across the boundary.
    for (const limit of [1, 2, 3, 5, 7]) {
      const seen: number[] = [];
      for (let offset = 0; offset < 14; offset += limit) {
        const page = journal.runs.listRuns({ sort: { by: 'metric:latencyP99Us', dir: 'asc' }, page: { limit, offset } });
        assert.equal(page.total, 12);
        seen.push(...page.rows.map((r) => Number(/^run-(\d+)/.exec(r.name)?.[1])));
      }
      assert.deepEqual(seen, expected, `limit ${limit}`);
    }
  });

  test('the sort metric and the requested metrics are included in summaries', () => {
    const page = journal.runs.listRuns({ sort: { by: 'metric:throughputGbps', dir: 'desc' }, metrics: ['latencyP99Us'], page: { limit: 1 } });
    assert.deepEqual(page.rows[0]?.metrics, { throughputGbps: 10, latencyP99Us: 100 });
    const plain = journal.runs.listRuns({ metrics: ['throughputGbps'], filter: { status: ['done'] }, sort: { by: 'created_at', dir: 'asc' }, page: { limit: 1 } });
    assert.deepEqual(plain.rows[0]?.metrics, { throughputGbps: 10 });
  });

  test('an offset past the end gives no rows and the true total', () => {
    assert.deepEqual(journal.runs.listRuns({ page: { limit: 5, offset: 50 } }), { total: 12, rows: [] });
  });

  test('invalid queries are refused naming the field', () => {
    const field = (name: string) => (err: unknown) => err instanceof JournalInputError && err.field === name;
    assert.throws(() => journal.runs.listRuns({ page: { limit: 1001 } }), field('query.page.limit'));
    assert.throws(() => journal.runs.listRuns({ page: { offset: -1 } }), field('query.page.offset'));
    assert.throws(() => journal.runs.listRuns({ sort: { by: 'seed' as never } }), field('query.sort.by'));
    assert.throws(() => journal.runs.listRuns({ sort: { by: 'metric:a b' } }), field('query.sort.by'));
    assert.throws(() => journal.runs.listRuns({ filter: { status: ['finished' as never] } }), field('query.filter.status[0]'));
    assert.throws(() => journal.runs.listRuns({ filter: { metric: [{ name: 'x', min: 2, max: 1 }] } }), field('query.filter.metric[0]'));
    for (const path of ['viommu.backend', '$.a; DROP TABLE runs', "$.a')--", '$..a', '$.a[x]', '$']) {
      assert.throws(() => journal.runs.listRuns({ filter: { scenario: [{ path, value: 1 }] } }), field('query.filter.scenario[0].path'), path);
    }
    assert.equal(journal.runs.listRuns().total, 12);
  });
});

describe('listRuns at a few thousand runs', () => {
  let big: Journal;
  const values: number[] = [];
  before(() => {
    big = openJournal(join(tempDir(), 'big.sqlite'));
    const input: ImportedRun[] = [];
    for (let i = 0; i < 2600; i++) {
      const value = (i * 7919) % 2609; // distinct
      values.push(value);
      input.push({
        name: `bulk ${i}`,
        scenario: { i },
        modelVersion: '0.1.0',
        seed: i,
        status: 'done',
        metrics: { m: value, other: i },
        tags: i % 10 === 0 ? ['tenth'] : [],
        createdAt: new Date(T0 + i * 1000).toISOString(),
      });
    }
    big.runs.insertRunsBulk(input);
  });
  after(() => big.close());

  const ids = (q: RunQuery) => big.runs.listRuns(q).rows.map((r) => Number(r.name.slice('bulk '.length)));

  test('many matches (index walk) and few matches (sort) page the same order as a plain sort', () => {
    const expectOrder = (pred: (i: number) => boolean) =>
      values.map((v, i) => ({ v, i })).filter(({ i }) => pred(i)).sort((a, b) => b.v - a.v).map(({ i }) => i);

    const many = expectOrder((i) => i >= 100); // 2500 matches
    const manyQuery = { filter: { metric: [{ name: 'other', min: 100 }] }, sort: { by: 'metric:m' as const, dir: 'desc' as const } };
    assert.equal(big.runs.listRuns(manyQuery).total, 2500);
    assert.deepEqual(ids({ ...manyQuery, page: { limit: 50, offset: 0 } }), many.slice(0, 50));
    assert.deepEqual(ids({ ...manyQuery, page: { limit: 50, offset: 2400 } }), many.slice(2400, 2450));

    const few = expectOrder((i) => i % 10 === 0); // 260 matches
    const fewQuery = { filter: { tags: ['tenth'] }, sort: { by: 'metric:m' as const, dir: 'desc' as const } };
    assert.equal(big.runs.listRuns(fewQuery).total, 260);
    assert.deepEqual(ids({ ...fewQuery, page: { limit: 100, offset: 100 } }), few.slice(100, 200));
  });

  test('a range on the sort metric narrows its own index walk', () => {
    const page = big.runs.listRuns({ filter: { status: ['done'], metric: [{ name: 'm', min: 100, max: 2399 }] }, sort: { by: 'metric:m', dir: 'asc' }, page: { limit: 3, offset: 10 } });
    const inRange = values.filter((v) => v >= 100 && v <= 2399).sort((a, b) => a - b);
    assert.equal(page.total, inRange.length);
    assert.deepEqual(page.rows.map((r) => r.metrics.m), inRange.slice(10, 13));
  });
});

test('an indexed scenario field is filtered through its expression index', () => {
  const dir = tempDir();
  const journal = openJournal(join(dir, 'plan.sqlite'));
  try {
    const db = new Database(join(dir, 'plan.sqlite'), { readonly: true });
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT run_seq FROM run_documents WHERE scenario_seq IN (SELECT seq FROM scenarios WHERE ${scenarioFieldSql('$.viommu.backend')} = ?)`,
      )
      .all('shadow-sl') as { detail: string }[];
    db.close();
    const detail = plan.map((p) => p.detail).join('\n');
    // The field's index finds the matching scenarios (migration 007), run_documents' index their runs.
    assert.match(detail, /USING (COVERING )?INDEX scenarios_by_viommu_backend/);
    assert.match(detail, /USING (COVERING )?INDEX run_documents_by_scenario/);
  } finally {
    journal.close();
  }
});

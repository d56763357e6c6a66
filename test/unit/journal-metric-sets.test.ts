// Schema 6: a run's metrics in one row. A journal written with the schema-5
// layout (one row per metric) migrates keeping every value to the bit; sorting
// and range filters on the key metrics read their expression indexes.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, openJournal } from '../../db/index.ts';
import { Lab } from '../../service/index.ts';
import { INDEXED_METRICS } from '../../db/migrations/index.ts';
import { KEY_METRICS } from '../../service/protocol/index.ts';
import { cleanupTempDirs, doneRun, migrateTo, scenario, tempDir } from '../fixtures/journal-helpers.ts';

after(cleanupTempDirs);

/** Deterministic doubles of every kind: fractions with 17 significant digits, tiny, huge, negative, integers. */
function valuesFor(run: number): Record<string, number> {
  let x = (run + 1) * 2654435761;
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  return {
    throughputGbps: next() * 100,
    vmExitsPerSec: Math.round(next() * 1e6),
    cpuUtilization: next(),
    'vmExitsPerSec.iotlb': 0.1 + 0.2 + run,
    staleWindowP99Us: next() * 1e-300,
    hugeValue: -next() * 1e300,
    zero: 0,
    third: (run + 1) / 3,
  };
}

const uuid = (i: number): string => `0b4f6a52-7c1e-4d8a-b2f3-${String(i).padStart(12, '0')}`;

/** A journal at schema 5, written as schema 5 wrote it: runs, their documents, and one run_metrics row per metric. */
function writeSchema5Journal(path: string, runs: number): void {
  const db = new Database(path);
  try {
    migrateTo(db, 5);
    const run = db.prepare(`INSERT INTO runs (id, name, status, seed, model_version, scenario_hash, created_at, duration_ms)
                            VALUES (?, ?, ?, ?, '0.1.0', 'h', ?, 100)`);
    const doc = db.prepare('INSERT INTO run_documents (run_seq, scenario_json, result_json) VALUES (?, ?, ?)');
    const metric = db.prepare('INSERT INTO run_metrics (run_seq, name, value) VALUES (?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < runs; i++) {
        // Every fourth run failed: it has no metrics.
        const failed = i % 4 === 3;
        const seq = Number(run.run(uuid(i), `run ${i}`, failed ? 'failed' : 'done', i, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()).lastInsertRowid);
        doc.run(seq, JSON.stringify(scenario()), failed ? null : '{}');
        if (!failed) for (const [name, value] of Object.entries(valuesFor(i))) metric.run(seq, name, value);
      }
    })();
  } finally {
    db.close();
  }
}

describe('schema 6: metrics in one row per run', () => {
  test('a schema-5 journal migrates keeping every metric value to the bit, and runs without metrics keep none', () => {
    const path = join(tempDir(), 'v5.sqlite');
    const RUNS = 40;
    writeSchema5Journal(path, RUNS);
    const journal = openJournal(path);
    try {
      assert.equal(journal.schemaVersion, LATEST_SCHEMA_VERSION);
      for (let i = 0; i < RUNS; i++) {
        const metrics = journal.runs.getRun(uuid(i)).metrics;
        const expected = i % 4 === 3 ? {} : valuesFor(i);
        assert.deepEqual(Object.keys(metrics).sort(), Object.keys(expected).sort(), `run ${i}: the same names`);
        for (const [name, value] of Object.entries(expected)) assert.ok(Object.is(metrics[name], value), `run ${i} ${name}: ${metrics[name]} is ${value}`);
      }
      // Documents for analyses read the same values.
      const [doc] = journal.experiments.runDocuments([uuid(5)]);
      assert.ok(Object.is(doc?.metrics.third, 6 / 3) && Object.is(doc?.metrics.hugeValue, valuesFor(5).hugeValue));
      // Sorting and ranges over the migrated values, an indexed metric and one read by a scan.
      const done = Array.from({ length: RUNS }, (_, i) => i).filter((i) => i % 4 !== 3);
      const byThroughput = [...done].sort((a, b) => (valuesFor(b).throughputGbps ?? 0) - (valuesFor(a).throughputGbps ?? 0)).map(uuid);
      assert.deepEqual(journal.runs.listRuns({ sort: { by: 'metric:throughputGbps', dir: 'desc' }, page: { limit: 1000 } }).rows.slice(0, done.length).map((r) => r.id), byThroughput);
      const thirds = done.filter((i) => (i + 1) / 3 >= 5 && (i + 1) / 3 <= 10).map(uuid).sort();
      assert.deepEqual(journal.runs.listRuns({ filter: { metric: [{ name: 'third', min: 5, max: 10 }] }, page: { limit: 1000 } }).rows.map((r) => r.id).sort(), thirds);
      assert.deepEqual(journal.checkIntegrity(), []);
    } finally {
      journal.close();
    }
    const raw = new Database(path, { readonly: true });
    try {
      assert.equal(raw.prepare('SELECT count(*) FROM run_metrics').pluck().get(), RUNS - RUNS / 4, 'one row per run with metrics');
    } finally {
      raw.close();
    }
  });

  test('the journal table\'s sortable metrics are the indexed ones, and a sorted page or a range reads the index', () => {
    assert.deepEqual([...INDEXED_METRICS].sort(), [...KEY_METRICS].sort());
    const path = join(tempDir(), 'plan.sqlite');
    const journal = openJournal(path);
    try {
      journal.runs.insertRunsBulk([doneRun('a', { throughputGbps: 9, latencyP99Us: 100 }), doneRun('b', { throughputGbps: 7 })]);
    } finally {
      journal.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      const plan = (sql: string): string => db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all().map((p) => (p as { detail: string }).detail).join('\n');
      for (const m of INDEXED_METRICS) {
        const index = new RegExp(`USING (COVERING )?INDEX run_metrics_by_${m.toLowerCase()}`);
        assert.match(plan(`SELECT run_seq FROM run_metrics s WHERE json_extract(s.metrics_jsonb, '$.${m}') >= 1 ORDER BY json_extract(s.metrics_jsonb, '$.${m}') DESC`), index);
      }
    } finally {
      db.close();
    }
  });

  test('a run completed through the lifecycle stores its metrics in one row; deleting or failing leaves none', () => {
    const journal = openJournal(join(tempDir(), 'life.sqlite'));
    try {
      const id = journal.runs.insertRun({ name: 'x', scenario: scenario(), modelVersion: '0.1.0', seed: 1 });
      journal.runs.completeRun(id, { result: {}, metrics: { throughputGbps: 1 / 3, 'vmExitsPerSec.iotlb': 5 }, durationMs: 1 });
      assert.deepEqual(journal.runs.getRun(id).metrics, { throughputGbps: 1 / 3, 'vmExitsPerSec.iotlb': 5 });
      assert.deepEqual(journal.runs.listRuns({ filter: { metric: [{ name: 'vmExitsPerSec.iotlb', min: 5, max: 5 }] } }).rows.map((r) => r.id), [id]);
      assert.deepEqual(journal.runs.listRuns({ filter: { metric: [{ name: 'vmExitsPerSec.iotlb', min: 5.5 }] } }).total, 0);
      journal.runs.deleteRuns([id]);
      assert.deepEqual(journal.checkIntegrity(), []);
    } finally {
      journal.close();
    }
  });
});

describe('page totals while the journal changes', () => {
  test('a total is counted again after a write by this journal, by another connection, or a rolled-back transaction', () => {
    const path = join(tempDir(), 'totals.sqlite');
    const journal = openJournal(path);
    const other = openJournal(path);
    try {
      const q = { filter: { metric: [{ name: 'throughputGbps', min: 5 }] } };
      journal.runs.insertRunsBulk([doneRun('a', { throughputGbps: 9 })]);
      assert.equal(journal.runs.listRuns(q).total, 1);
      assert.equal(journal.runs.listRuns(q).total, 1, 'the same, asked again');
      journal.runs.insertRunsBulk([doneRun('b', { throughputGbps: 8 })]);
      assert.equal(journal.runs.listRuns(q).total, 2, 'after a write of its own');
      other.runs.insertRunsBulk([doneRun('c', { throughputGbps: 7 }), doneRun('low', { throughputGbps: 1 })]);
      assert.equal(journal.runs.listRuns(q).total, 3, 'after a commit by another connection');
      assert.throws(() =>
        journal.transaction(() => {
          journal.runs.insertRunsBulk([doneRun('d', { throughputGbps: 6 })]);
          assert.equal(journal.runs.listRuns(q).total, 4, 'inside the transaction, its own uncommitted run');
          throw new Error('roll back');
        }),
      /roll back/);
      assert.equal(journal.runs.listRuns(q).total, 3, 'the rolled-back run is not counted');
      other.runs.deleteRuns([journal.runs.listRuns({ filter: { text: 'c' } }).rows[0]!.id]);
      assert.equal(journal.runs.listRuns(q).total, 2, 'after a deletion by another connection');
    } finally {
      other.close();
      journal.close();
    }
  });
});

describe('bulk insert of runs already in the journal', () => {
  test('an id already here in a later chunk of a large batch is named, and nothing of the batch is written', () => {
    const journal = openJournal(join(tempDir(), 'dup.sqlite'));
    try {
      const [existing] = journal.runs.insertRunsBulk([doneRun('first', { throughputGbps: 1 })]);
      const batch = Array.from({ length: 450 }, (_, i) => doneRun(`new ${i}`, { throughputGbps: i }));
      batch.push(doneRun('again', { throughputGbps: 2 }, { id: existing }));
      assert.throws(() => journal.runs.insertRunsBulk(batch), (err: Error) => err.name === 'JournalInputError' && err.message.includes(`${existing} is already in the journal`));
      assert.equal(journal.runs.listRuns().total, 1);
      assert.deepEqual(journal.checkIntegrity(), []);
    } finally {
      journal.close();
    }
  });
});

describe('bulk insert checks, done once per distinct scenario and without zod for valid metrics', () => {
  const isInputError = (field: string, message: RegExp) => (err: unknown) =>
    err instanceof Error && err.name === 'JournalInputError' && (err as { field?: string }).field === field && message.test(err.message);

  test('a bad metric name, a non-finite value, metrics that are not an object, a bad scenario member: each named, nothing written', () => {
    const path = join(tempDir(), 'checks.sqlite');
    const journal = openJournal(path);
    try {
      const ok = doneRun('ok', { throughputGbps: 1 });
      assert.throws(() => journal.runs.insertRunsBulk([ok, doneRun('bad name', { 'a b': 1 })]), isInputError('runs[1].metrics["a b"]', /not a valid key: it must be a metric name/));
      assert.throws(() => journal.runs.insertRunsBulk([ok, doneRun('inf', { x: Number.POSITIVE_INFINITY })]), isInputError('runs[1].metrics.x', /finite number/));
      assert.throws(
        () => journal.runs.insertRunsBulk([ok, { ...doneRun('number', {}), metrics: 5 as unknown as Record<string, number> }]),
        isInputError('runs[1].metrics', /must be an object of metric name -> number/),
      );
      // One scenario object shared by two runs, bad deep inside: checked once, named at the first run using it.
      const shared = { ...scenario(), device: { queues: Number.NaN } };
      assert.throws(
        () => journal.runs.insertRunsBulk([ok, doneRun('s1', {}, { scenario: shared }), doneRun('s2', {}, { scenario: shared })]),
        isInputError('runs[1].scenario.device.queues', /finite number, got NaN/),
      );
      assert.equal(journal.runs.listRuns().total, 0);
      // The same metric names again, now valid, go in (the names found valid before are not trusted for other names).
      journal.runs.insertRunsBulk([ok, doneRun('two', { throughputGbps: 2, 'vmExitsPerSec.iotlb': 3 })]);
      assert.equal(journal.runs.listRuns().total, 2);
    } finally {
      journal.close();
    }
  });
});

describe('upgrading an existing journal is announced', () => {
  test('the host is told before a schema-5 journal is upgraded (from, to, runs); a new journal or a current one is not', async () => {
    const dir = tempDir();
    const old = join(dir, 'schema5.sqlite');
    writeSchema5Journal(old, 12);
    const upgrades: unknown[] = [];
    openJournal(old, { onUpgrade: (u) => upgrades.push(u) }).close();
    assert.deepEqual(upgrades, [{ from: 5, to: LATEST_SCHEMA_VERSION, runs: 12 }]);
    openJournal(old, { onUpgrade: (u) => upgrades.push(u) }).close();
    openJournal(join(dir, 'new.sqlite'), { onUpgrade: (u) => upgrades.push(u) }).close();
    assert.equal(upgrades.length, 1, 'told once, and only for an existing journal');

    // The service passes it on as a notice (the CLI prints notices on stderr).
    const older = join(dir, 'schema5-again.sqlite');
    writeSchema5Journal(older, 3);
    const notices: string[] = [];
    const lab = Lab.open({ journalPath: older, workers: 1, onNotice: (m) => notices.push(m) });
    try {
      assert.equal((await lab.call('runs.list', {})).total, 3);
    } finally {
      await lab.close();
    }
    assert.deepEqual(notices, [`upgrading journal ${older} from schema 5 to ${LATEST_SCHEMA_VERSION} (3 runs): once, and about a minute per 500k runs; nothing else can write it meanwhile`]);
  });
});

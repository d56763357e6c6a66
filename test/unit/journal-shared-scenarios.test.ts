// Schema 7: each distinct scenario stored once, runs referring to it. A
// schema-6 journal (a copy per run) migrates keeping every run's scenario;
// inserts, deletions and merges share, reuse and drop scenario rows; filters
// by a scenario field find the same runs as before.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, openJournal } from '../../db/index.ts';
import { canonicalJson } from '../../db/codec.ts';
import { cleanupTempDirs, doneRun, migrateTo, scenario, tempDir } from '../fixtures/journal-helpers.ts';

after(cleanupTempDirs);

const uuid = (i: number): string => `5c0e1d2a-3b4c-4d5e-8f60-${String(i).padStart(12, '0')}`;
const SCENARIOS = [scenario('nested-fl', true), scenario('shadow-sl', false), scenario('shadow-sl', true, 8)];
const scenarioOf = (i: number) => SCENARIOS[i % SCENARIOS.length]!;

/** A journal at schema 6, written as schema 6 wrote it: every run with its own copy of its scenario, as JSONB. */
function writeSchema6Journal(path: string, runs: number): void {
  const db = new Database(path);
  try {
    migrateTo(db, 6);
    const run = db.prepare(`INSERT INTO runs (id, name, status, seed, model_version, scenario_hash, created_at, duration_ms)
                            VALUES (?, ?, 'done', ?, '0.1.0', 'h', ?, 100)`);
    const doc = db.prepare('INSERT INTO run_documents (run_seq, scenario_json, result_json) VALUES (?, jsonb(?), ?)');
    db.transaction(() => {
      for (let i = 0; i < runs; i++) {
        const seq = Number(run.run(uuid(i), `run ${i}`, i, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString()).lastInsertRowid);
        doc.run(seq, canonicalJson(scenarioOf(i)), `{"i":${i}}`);
      }
    })();
  } finally {
    db.close();
  }
}

function scenarioRows(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT count(*) FROM scenarios').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('schema 7: one row per distinct scenario', () => {
  test('a schema-6 journal migrates: every run keeps its scenario and result, three scenarios are stored once each', () => {
    const path = join(tempDir(), 'v6.sqlite');
    const RUNS = 30;
    writeSchema6Journal(path, RUNS);
    const journal = openJournal(path);
    try {
      assert.equal(journal.schemaVersion, LATEST_SCHEMA_VERSION);
      for (let i = 0; i < RUNS; i++) {
        const run = journal.runs.getRun(uuid(i));
        assert.deepEqual(run.scenario, scenarioOf(i), `run ${i}`);
        assert.deepEqual(run.result, { i });
      }
      const shadow = journal.runs.listRuns({ filter: { scenario: [{ path: '$.viommu.backend', value: 'shadow-sl' }] }, page: { limit: 100 } });
      assert.equal(shadow.total, 20);
      const eightQueues = journal.runs.listRuns({ filter: { scenario: [{ path: '$.device.queues', value: 8 }] }, page: { limit: 100 } });
      assert.deepEqual(new Set(eightQueues.rows.map((r) => r.name)), new Set(Array.from({ length: 10 }, (_, k) => `run ${3 * k + 2}`)));
      // A path without an index is read from the scenarios too.
      const strict = journal.runs.listRuns({ filter: { scenario: [{ path: '$.kernel.strict', value: false }] }, page: { limit: 100 } });
      assert.equal(strict.total, 10);
    } finally {
      journal.close();
    }
    assert.equal(scenarioRows(path), 3);
  });

  test('inserts reuse a stored scenario, single or bulk; deleting the last run of a scenario drops it, not before', () => {
    const path = join(tempDir(), 'share.sqlite');
    const journal = openJournal(path);
    try {
      const first = journal.runs.insertRunsBulk(SCENARIOS.map((s, i) => doneRun(`bulk ${i}`, { m: i }, { scenario: s })));
      // The same scenario with its keys in another order is the same scenario.
      const reordered = { device: { queues: 4 }, kernel: { cmdline: 'iommu.strict=1', strict: true }, viommu: { backend: 'nested-fl' } };
      const single = journal.runs.insertRun({ name: 'single', scenario: reordered, modelVersion: '0.1.0', seed: 1 });
      journal.runs.insertRunsBulk([doneRun('again', { m: 9 }, { scenario: SCENARIOS[1] })]);
      assert.equal(scenarioRows(path), 3);
      assert.deepEqual(journal.runs.getRun(single).scenario, SCENARIOS[0]);

      journal.runs.deleteRuns([first[0]!]);
      assert.equal(scenarioRows(path), 3, 'the run "single" still refers to the first scenario');
      journal.runs.deleteRuns([single]);
      assert.equal(scenarioRows(path), 2);
      const left = journal.runs.listRuns({ page: { limit: 10 } }).rows.map((r) => journal.runs.getRun(r.id).scenario);
      assert.deepEqual(new Set(left.map((s) => canonicalJson(s))), new Set([canonicalJson(SCENARIOS[1]), canonicalJson(SCENARIOS[2])]));
    } finally {
      journal.close();
    }
  });

  test('a merge shares the scenarios both journals hold and copies the others', () => {
    const dir = tempDir();
    const mine = openJournal(join(dir, 'mine.sqlite'));
    const other = openJournal(join(dir, 'other.sqlite'));
    try {
      mine.runs.insertRunsBulk([doneRun('mine', { m: 1 }, { scenario: SCENARIOS[0] })]);
      const ids = other.runs.insertRunsBulk(SCENARIOS.map((s, i) => doneRun(`other ${i}`, { m: i }, { scenario: s })));
      other.close();
      const report = mine.mergeFrom(join(dir, 'other.sqlite'));
      assert.equal(report.runsAdded, 3);
      assert.equal(scenarioRows(join(dir, 'mine.sqlite')), 3);
      ids.forEach((id, i) => assert.deepEqual(mine.runs.getRun(id).scenario, SCENARIOS[i]));
    } finally {
      mine.close();
    }
  });
});

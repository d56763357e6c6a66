import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { defaultJournalPath, IncompatibleJournalError, LATEST_SCHEMA_VERSION, openJournal } from '../../db/index.ts';
import { cleanupTempDirs, newRun, tempDir, V1, writeV1Journal } from '../fixtures/journal-helpers.ts';

after(cleanupTempDirs);

function raw(path: string): Database.Database {
  return new Database(path, { readonly: true });
}

/** Bytes and mtime of a file, to prove it was not touched. */
function snapshot(path: string): { bytes: Buffer; mtimeMs: number } {
  return { bytes: readFileSync(path), mtimeMs: statSync(path).mtimeMs };
}

describe('opening a journal', () => {
  test('creates and migrates an empty file to the latest schema with the connection settings', () => {
    const path = join(tempDir(), 'journal.sqlite');
    const journal = openJournal(path);
    try {
      assert.equal(journal.schemaVersion, LATEST_SCHEMA_VERSION);
      assert.equal(LATEST_SCHEMA_VERSION, 7); // 7: one row per distinct scenario (migration 007)
      assert.deepEqual(journal.checkIntegrity(), []);
      assert.deepEqual(journal.runs.listRuns(), { total: 0, rows: [] });
    } finally {
      journal.close();
    }
    const db = raw(path);
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table') ORDER BY name").pluck().all();
      for (const t of ['experiments', 'runs', 'run_documents', 'run_metrics', 'run_series', 'run_tags', 'notes', 'runs_fts', 'notes_fts', 'benchmarks', 'benchmark_points', 'benchmark_markers', 'cost_profiles']) {
        assert.ok(tables.includes(t), `table ${t} exists`);
      }
      assert.equal(db.pragma('application_id', { simple: true }), 1229933900);
    } finally {
      db.close();
    }
  });

  test('enforces foreign keys on its connection', () => {
    const path = join(tempDir(), 'journal.sqlite');
    const journal = openJournal(path);
    try {
      // The settings are observable through behaviour: a dangling experiment id is refused (foreign keys).
      assert.throws(() => journal.runs.insertRun(newRun('x', { experimentId: '00000000-0000-4000-8000-000000000000' })), /experiment/);
    } finally {
      journal.close();
    }
  });

  test('reopening an up-to-date journal changes nothing', () => {
    const path = join(tempDir(), 'journal.sqlite');
    openJournal(path).close();
    const before = snapshot(path);
    openJournal(path).close();
    assert.deepEqual(snapshot(path).bytes, before.bytes);
  });

  test('migrates a schema-1 journal (fixture) to the latest schema, keeping its data', () => {
    const path = join(tempDir(), 'v1.sqlite');
    writeV1Journal(path);
    const journal = openJournal(path);
    try {
      assert.equal(journal.schemaVersion, LATEST_SCHEMA_VERSION);
      const done = journal.runs.getRun(V1.done);
      assert.equal(done.kind, 'simulated'); // column added by migration 2, defaulted
      assert.equal(done.status, 'done');
      assert.equal(done.experimentId, V1.experimentId);
      assert.deepEqual(done.metrics, { latencyP99Us: 210.5, throughputGbps: 9.4 });
      assert.deepEqual(done.tags, ['baseline', 'nested-fl']);
      assert.deepEqual(done.series, { throughputGbps: { t: [0, 1, 2], v: [1.5, 2.5, 3.5] } });
      assert.deepEqual(done.scenario, { kernel: { strict: true }, viommu: { backend: 'nested-fl' } });
      assert.equal(done.notes[0]?.id, V1.noteId);
      assert.equal(journal.runs.getRun(V1.failed).error, 'worker crashed: out of memory');
      // Full-text search built under schema 1 still answers.
      assert.deepEqual(journal.runs.listRuns({ filter: { text: 'flush batches' } }).rows.map((r) => r.id), [V1.done]);
      assert.deepEqual(journal.runs.listRuns({ filter: { text: 'shadow-sl' } }).rows.map((r) => r.id), [V1.failed]);
      // The run left running by a process on another host is recovered as interrupted.
      const orphan = journal.runs.getRun(V1.running);
      assert.equal(orphan.status, 'interrupted');
      assert.match(orphan.error ?? '', /interrupted: the run was running when the process holding it ended/);
      // Tables from migration 2 work.
      journal.benchmarks.ensureBenchmark({ name: 'rx', metric: 'throughputGbps', higherIsBetter: true });
      journal.benchmarks.addBenchmarkPoint('rx', { value: 9.4, source: 'simulated', runId: V1.done });
      assert.equal(journal.benchmarks.listBenchmarkPoints('rx').length, 1);
      assert.deepEqual(journal.checkIntegrity(), []);
    } finally {
      journal.close();
    }
  });

  test('a migration that fails leaves the journal at its old schema, untouched', () => {
    const path = join(tempDir(), 'v1.sqlite');
    writeV1Journal(path);
    const db = new Database(path);
    db.exec('CREATE TABLE benchmarks (x)'); // makes migration 2 fail halfway through its script
    db.close();
    assert.throws(() => openJournal(path), /table benchmarks already exists/);
    const check = raw(path);
    try {
      assert.equal(check.pragma('user_version', { simple: true }), 1);
      const columns = (check.pragma('table_info(runs)') as { name: string }[]).map((c) => c.name);
      assert.ok(!columns.includes('kind'), 'the ALTER TABLE that ran before the failure was rolled back');
      assert.equal(check.prepare("SELECT status FROM runs WHERE id = ?").pluck().get(V1.running), 'running');
    } finally {
      check.close();
    }
  });

  test('refuses a journal written by a newer version and leaves the file unmodified', () => {
    const path = join(tempDir(), 'newer.sqlite');
    const journal = openJournal(path);
    journal.runs.insertRun(newRun('from the future'));
    journal.close();
    const db = new Database(path);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    db.close();
    const before = snapshot(path);

    const expected = `journal ${path} was written by a newer IOMMU Lab (schema ${LATEST_SCHEMA_VERSION + 5}, this version knows up to ${LATEST_SCHEMA_VERSION}); it was not modified`;
    assert.throws(() => openJournal(path), (err: Error) => err instanceof IncompatibleJournalError && err.message === expected);
    assert.throws(() => openJournal(path, { readonly: true }), IncompatibleJournalError);

    const afterwards = snapshot(path);
    assert.equal(afterwards.mtimeMs, before.mtimeMs);
    assert.ok(afterwards.bytes.equals(before.bytes), 'file bytes unchanged');
  });

  test('refuses SQLite files that are not journals, and files that are not SQLite, without touching them', () => {
    const dir = tempDir();
    const other = join(dir, 'other.sqlite');
    const db = new Database(other);
    db.exec('CREATE TABLE notes_of_someone_else (x)');
    db.close();
    const otherBefore = snapshot(other);
    assert.throws(() => openJournal(other), /is an SQLite database but not an IOMMU Lab journal; it was not modified/);
    assert.ok(snapshot(other).bytes.equals(otherBefore.bytes));

    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a database at all, just some text that is long enough to look like a header'.repeat(20));
    const textBefore = snapshot(text);
    assert.throws(() => openJournal(text), /is not an SQLite database; it was not modified/);
    assert.ok(snapshot(text).bytes.equals(textBefore.bytes));
  });

  test('a missing directory gives a clear error', () => {
    assert.throws(() => openJournal(join(tempDir(), 'no', 'such', 'dir', 'j.sqlite')), /cannot open journal .*j\.sqlite/);
  });
});

describe('runs left behind', () => {
  test('queued and running runs of a closed journal become interrupted on reopen; finished runs stay', () => {
    const path = join(tempDir(), 'journal.sqlite');
    const first = openJournal(path);
    const queued = first.runs.insertRun(newRun('queued'));
    const running = first.runs.insertRun(newRun('running', { status: 'running' }));
    const done = first.runs.insertRun(newRun('done'));
    first.runs.completeRun(done, { result: {}, metrics: { x: 1 }, durationMs: 5 });
    first.close();

    const second = openJournal(path);
    try {
      for (const [id, was] of [[queued, 'queued'], [running, 'running']] as const) {
        const run = second.runs.getRun(id);
        assert.equal(run.status, 'interrupted');
        assert.equal(run.error, `interrupted: the run was ${was} when the process holding it ended (found when the journal was reopened)`);
        assert.ok(run.finishedAt);
      }
      assert.equal(second.runs.getRun(done).status, 'done');
      assert.equal(second.runs.recoverOrphans(), 0);
    } finally {
      second.close();
    }
  });

  test('runs held by a journal that is still open elsewhere are left alone', () => {
    const path = join(tempDir(), 'journal.sqlite');
    const app = openJournal(path);
    try {
      const id = app.runs.insertRun(newRun('long sweep', { status: 'running' }));
      const cli = openJournal(path);
      cli.close();
      assert.equal(app.runs.getRun(id).status, 'running');
      app.runs.completeRun(id, { result: {}, metrics: {}, durationMs: 1 });
      assert.equal(app.runs.getRun(id).status, 'done');
    } finally {
      app.close();
    }
  });
});

describe('read-only journals', () => {
  test('read, never write, and do not recover runs', () => {
    const path = join(tempDir(), 'journal.sqlite');
    const writer = openJournal(path);
    const id = writer.runs.insertRun(newRun('pending', { status: 'running' }));
    writer.close();

    const reader = openJournal(path, { readonly: true });
    try {
      assert.equal(reader.readonly, true);
      assert.equal(reader.runs.getRun(id).status, 'running');
      assert.equal(reader.runs.listRuns().total, 1);
      assert.throws(() => reader.runs.insertRun(newRun('nope')), /readonly/);
    } finally {
      reader.close();
    }
  });

  test('a missing file or an older schema is refused rather than created or upgraded', () => {
    const dir = tempDir();
    assert.throws(() => openJournal(join(dir, 'missing.sqlite'), { readonly: true }), /cannot open journal/);
    assert.equal(existsSync(join(dir, 'missing.sqlite')), false);
    const v1 = join(dir, 'v1.sqlite');
    writeV1Journal(v1);
    assert.throws(() => openJournal(v1, { readonly: true }), /uses schema 1; open it read-write once to upgrade it to schema 7/);
  });
});

describe('defaultJournalPath', () => {
  /** Runs `fn` with environment variables set (undefined: removed), restoring them afterwards. */
  function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    const apply = (values: Record<string, string | undefined>) => {
      for (const [k, v] of Object.entries(values)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    };
    apply(vars);
    try {
      return fn();
    } finally {
      apply(saved);
    }
  }

  test('IOMMU_LAB_JOURNAL wins and its directory is created', () => {
    const path = join(tempDir(), 'nested', 'dir', 'j.sqlite');
    assert.equal(withEnv({ IOMMU_LAB_JOURNAL: path }, defaultJournalPath), path);
    assert.ok(existsSync(join(path, '..')));
  });

  test('otherwise the per-user data directory (XDG_DATA_HOME on Linux)', { skip: process.platform !== 'linux' }, () => {
    const xdg = tempDir();
    assert.equal(withEnv({ IOMMU_LAB_JOURNAL: undefined, XDG_DATA_HOME: xdg }, defaultJournalPath), join(xdg, 'iommu-lab', 'journal.sqlite'));
    assert.ok(existsSync(join(xdg, 'iommu-lab')));
  });
});

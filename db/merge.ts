// Merging another journal into this one, matched by UUID: runs missing here
// are copied with their metrics, series, tags and notes; runs present on both
// sides gain the other side's new tags and notes; cost profiles are copied by
// name, a name present here keeping its profile. Merging twice adds nothing.
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { sqliteDriver } from './driver.ts';
import { IncompatibleJournalError, JournalInputError } from './errors.ts';
import { assertIntact } from './backup.ts';
import { assertOpenable } from './migrate.ts';
import { LATEST_SCHEMA_VERSION } from './migrations/index.ts';
import { guardNotADatabase, journalOpenError, openDatabase } from './open.ts';
import type { Sql } from './statements.ts';
import type { MergeReport } from './types.ts';

type Step = [keyof MergeReport | null, string];

/** First, in its own transaction: experiments, which runs refer to. */
const BEFORE_RUNS: readonly Step[] = [
  ['experimentsAdded', `
    INSERT INTO main.experiments (id, name, description, created_at)
    SELECT e.id, e.name, e.description, e.created_at FROM src.experiments e
    WHERE NOT EXISTS (SELECT 1 FROM main.experiments m WHERE m.id = e.id OR m.name = e.name)`],
];

/**
 * Then the runs, one chunk of source seqs (@from < seq <= @to) per transaction:
 * each run goes in whole with its documents, metrics, series, tags and notes.
 * Runs still active in the other journal are left out: their outcome would
 * never reach this copy.
 */
const PER_CHUNK: readonly Step[] = [
  [null, 'CREATE TEMP TABLE merge_runs (src_seq INTEGER PRIMARY KEY, dst_seq INTEGER, is_new INTEGER NOT NULL)'],
  [null, `
    INSERT INTO temp.merge_runs (src_seq, dst_seq, is_new)
    SELECT s.seq, m.seq, m.seq IS NULL FROM src.runs s LEFT JOIN main.runs m ON m.id = s.id
    WHERE s.seq > @from AND s.seq <= @to AND (m.seq IS NOT NULL OR s.status NOT IN ('queued', 'running'))`],
  ['runsSkippedActive', `
    SELECT count(*) FROM src.runs s
    WHERE s.seq > @from AND s.seq <= @to AND s.status IN ('queued', 'running') AND NOT EXISTS (SELECT 1 FROM main.runs m WHERE m.id = s.id)`],
  ['runsAlreadyPresent', 'SELECT count(*) FROM temp.merge_runs WHERE NOT is_new'],
  // An experiment known here under another UUID but the same name is the same experiment.
  ['runsAdded', `
    INSERT INTO main.runs (id, experiment_id, name, status, kind, seed, model_version, scenario_hash, created_at,
                           started_at, finished_at, duration_ms, error, owner)
    SELECT s.id,
           coalesce((SELECT m.id FROM main.experiments m WHERE m.id = s.experiment_id),
                    (SELECT m.id FROM main.experiments m JOIN src.experiments e ON e.name = m.name WHERE e.id = s.experiment_id)),
           s.name, s.status, s.kind, s.seed, s.model_version, s.scenario_hash, s.created_at,
           s.started_at, s.finished_at, s.duration_ms, s.error, NULL
    FROM src.runs s JOIN temp.merge_runs mr ON mr.src_seq = s.seq
    WHERE mr.is_new ORDER BY s.seq`],
  [null, `
    UPDATE temp.merge_runs SET dst_seq = (SELECT m.seq FROM main.runs m JOIN src.runs s ON s.id = m.id WHERE s.seq = merge_runs.src_seq)
    WHERE is_new`],
  // Scenarios match by their JSONB (migration 007): one present here is shared, not copied.
  [null, `
    INSERT OR IGNORE INTO main.scenarios (scenario_jsonb)
    SELECT sc.scenario_jsonb FROM src.run_documents x JOIN temp.merge_runs mr ON mr.src_seq = x.run_seq
    JOIN src.scenarios sc ON sc.seq = x.scenario_seq WHERE mr.is_new ORDER BY x.run_seq`],
  [null, `
    INSERT INTO main.run_documents (run_seq, scenario_seq, result_json)
    SELECT mr.dst_seq, m.seq, x.result_json FROM src.run_documents x JOIN temp.merge_runs mr ON mr.src_seq = x.run_seq
    JOIN src.scenarios sc ON sc.seq = x.scenario_seq JOIN main.scenarios m ON m.scenario_jsonb = sc.scenario_jsonb WHERE mr.is_new`],
  [null, `
    INSERT INTO main.run_metrics (run_seq, metrics_jsonb)
    SELECT mr.dst_seq, x.metrics_jsonb FROM src.run_metrics x JOIN temp.merge_runs mr ON mr.src_seq = x.run_seq WHERE mr.is_new`],
  [null, `
    INSERT INTO main.run_series (run_seq, name, encoding, points, data)
    SELECT mr.dst_seq, x.name, x.encoding, x.points, x.data FROM src.run_series x JOIN temp.merge_runs mr ON mr.src_seq = x.run_seq WHERE mr.is_new`],
  ['tagsAdded', `
    INSERT OR IGNORE INTO main.run_tags (run_seq, tag)
    SELECT mr.dst_seq, x.tag FROM src.run_tags x JOIN temp.merge_runs mr ON mr.src_seq = x.run_seq`],
  ['notesAdded', `
    INSERT INTO main.notes (id, run_seq, body, created_at)
    SELECT x.id, mr.dst_seq, x.body, x.created_at FROM src.notes x JOIN temp.merge_runs mr ON mr.src_seq = x.run_seq
    WHERE NOT EXISTS (SELECT 1 FROM main.notes n WHERE n.id = x.id) ORDER BY x.seq`],
  [null, 'DROP TABLE temp.merge_runs'],
];

/** Last, in one transaction: benchmark histories (a point keeps its run link if the run is here) and cost profiles. */
const AFTER_RUNS: readonly Step[] = [
  ['benchmarksAdded', `
    INSERT INTO main.benchmarks (id, name, metric, description, higher_is_better, order_by, created_at)
    SELECT b.id, b.name, b.metric, b.description, b.higher_is_better, b.order_by, b.created_at FROM src.benchmarks b
    WHERE NOT EXISTS (SELECT 1 FROM main.benchmarks m WHERE m.id = b.id OR m.name = b.name)`],
  [null, 'CREATE TEMP TABLE merge_benchmarks (src_id TEXT PRIMARY KEY, dst_id TEXT NOT NULL)'],
  [null, `
    INSERT INTO temp.merge_benchmarks (src_id, dst_id)
    SELECT b.id, coalesce((SELECT m.id FROM main.benchmarks m WHERE m.id = b.id), (SELECT m.id FROM main.benchmarks m WHERE m.name = b.name))
    FROM src.benchmarks b`],
  ['pointsAdded', `
    INSERT INTO main.benchmark_points (id, benchmark_id, run_id, measured_at, value, source, context_json, raw_json, content_hash)
    SELECT p.id, mb.dst_id, (SELECT m.id FROM main.runs m WHERE m.id = p.run_id), p.measured_at, p.value, p.source, p.context_json, p.raw_json, p.content_hash
    FROM src.benchmark_points p JOIN temp.merge_benchmarks mb ON mb.src_id = p.benchmark_id
    WHERE NOT EXISTS (SELECT 1 FROM main.benchmark_points x WHERE x.id = p.id)`],
  ['markersAdded', `
    INSERT OR IGNORE INTO main.benchmark_markers (id, benchmark_id, at, label, point_id, side, kernel, created_at)
    SELECT k.id, mb.dst_id, k.at, k.label, (SELECT x.id FROM main.benchmark_points x WHERE x.id = k.point_id), k.side, k.kernel, k.created_at
    FROM src.benchmark_markers k JOIN temp.merge_benchmarks mb ON mb.src_id = k.benchmark_id`],
  // Profiles go by name (scenarios refer to them by name); the id check guards the primary key.
  ['profilesAdded', `
    INSERT INTO main.cost_profiles (id, name, description, costs_json, fit_json, model_version, created_at, updated_at)
    SELECT p.id, p.name, p.description, p.costs_json, p.fit_json, p.model_version, p.created_at, p.updated_at FROM src.cost_profiles p
    WHERE NOT EXISTS (SELECT 1 FROM main.cost_profiles m WHERE m.id = p.id OR m.name = p.name)`],
  [null, 'DROP TABLE temp.merge_benchmarks'],
];

/** Runs per write transaction: other writers get the lock between chunks instead of waiting for the whole merge. */
export const MERGE_CHUNK_RUNS = 500;

export interface MergeOptions {
  /** Runs per transaction (default MERGE_CHUNK_RUNS). */
  chunkRuns?: number;
  /** Called between two transactions, with the lock released (tests write from another connection here). */
  betweenChunks?: () => void;
}

function emptyReport(): MergeReport {
  return { runsAdded: 0, runsAlreadyPresent: 0, runsSkippedActive: 0, experimentsAdded: 0, tagsAdded: 0, notesAdded: 0, benchmarksAdded: 0, pointsAdded: 0, markersAdded: 0, profilesAdded: 0 };
}

/**
 * Merges in bounded transactions (experiments; runs, MERGE_CHUNK_RUNS at a
 * time; histories and profiles), so other writers interleave and each run
 * stays atomic. An interrupted merge leaves whole runs; merging again
 * completes it (runs match by UUID).
 */
export function mergeFrom(sql: Sql, ownPath: string, otherPath: string, opts: MergeOptions = {}): MergeReport {
  const steps = mergeSteps(sql, ownPath, otherPath, opts);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    opts.betweenChunks?.();
  }
}

/**
 * The merge as a generator that pauses between its transactions (no lock
 * held, no transaction open), so a host with an event loop can answer other
 * calls meanwhile. Returns the report; closing it early detaches the source.
 */
export function* mergeSteps(sql: Sql, ownPath: string, otherPath: string, opts: Pick<MergeOptions, 'chunkRuns'> = {}): Generator<void, MergeReport> {
  if (typeof otherPath !== 'string' || otherPath === '') throw new JournalInputError('otherPath', 'must be a file path');
  if (!existsSync(otherPath)) throw new JournalInputError('otherPath', `${otherPath} does not exist`);
  if (!statSync(otherPath).isFile()) throw new JournalInputError('otherPath', `${otherPath} is not a file (a journal is one .sqlite file)`);
  if (existsSync(ownPath) && realpathSync(ownPath) === realpathSync(otherPath)) throw new JournalInputError('otherPath', 'is this journal itself');
  const chunkRuns = opts.chunkRuns ?? MERGE_CHUNK_RUNS;
  if (!Number.isSafeInteger(chunkRuns) || chunkRuns < 1) throw new JournalInputError('chunkRuns', 'must be a whole number of at least 1');

  const source = readableSource(otherPath);
  const db = sql.db;
  db.prepare('ATTACH DATABASE ? AS src').run(source.path);
  try {
    const report = emptyReport();
    const apply = (steps: readonly Step[], range?: { from: number; to: number }): void => {
      for (const [key, statement] of steps) {
        const stmt = db.prepare(statement);
        const bound = range !== undefined && statement.includes('@from') ? [range] : [];
        if (key === null) stmt.run(...bound);
        else report[key] += stmt.reader ? (stmt.pluck().get(...bound) as number) : stmt.run(...bound).changes;
      }
    };
    sql.write(() => apply(BEFORE_RUNS));
    const maxSeq = db.prepare('SELECT coalesce(max(seq), 0) FROM src.runs').pluck().get() as number;
    for (let from = 0; from < maxSeq; from += chunkRuns) {
      yield;
      sql.write(() => apply(PER_CHUNK, { from, to: from + chunkRuns }));
    }
    yield;
    sql.write(() => apply(AFTER_RUNS));
    return report;
  } finally {
    db.prepare('DETACH DATABASE src').run();
    source.dispose();
  }
}

/**
 * The other journal at the current schema, never modified: an older journal is
 * copied (VACUUM INTO) to a temporary file and the copy is migrated.
 */
function readableSource(path: string): { path: string; dispose: () => void } {
  let probe: BetterSqlite3.Database;
  try {
    probe = new (sqliteDriver())(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw journalOpenError(path, err);
  }
  let version: number;
  try {
    version = guardNotADatabase(path, () => assertOpenable(probe, path));
    if (version === 0) throw new IncompatibleJournalError(`${path} is not an IOMMU Lab journal (empty database)`);
    assertIntact(probe, path); // a damaged journal is not spread into this one
    if (version === LATEST_SCHEMA_VERSION) return { path, dispose: () => {} };
    const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-merge-'));
    const copy = join(dir, 'journal.sqlite');
    probe.prepare('VACUUM INTO ?').run(copy);
    openDatabase(copy).close();
    return { path: copy, dispose: () => rmSync(dir, { recursive: true, force: true }) };
  } finally {
    probe.close();
  }
}

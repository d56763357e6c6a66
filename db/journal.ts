// The experiment journal: one SQLite file holding runs, experiments and
// benchmark histories and cost profiles. Journal is the single entry point; the work
// is done by the stores it holds (runs.ts, run-query.ts, experiments.ts,
// benchmarks.ts, profiles.ts, merge.ts).
import { existsSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { BenchmarkStore } from './benchmarks.ts';
import type { PointFilter } from './benchmarks.ts';
import { JournalInputError } from './errors.ts';
import { ExperimentStore } from './experiments.ts';
import { mergeFrom } from './merge.ts';
import { userVersion } from './migrate.ts';
import { openDatabase } from './open.ts';
import type { OpenOptions } from './open.ts';
import { claimOwner, releaseOwner } from './owner.ts';
import { ProfileStore } from './profiles.ts';
import { listRuns } from './run-query.ts';
import { RunStore } from './runs.ts';
import { Sql } from './statements.ts';
import type {
  Benchmark,
  BenchmarkMarker,
  BenchmarkPoint,
  CostProfile,
  Experiment,
  ImportedRun,
  MergeReport,
  NewBenchmark,
  NewBenchmarkPoint,
  NewCostProfile,
  NewExperiment,
  NewRun,
  Note,
  Run,
  RunCompletion,
  RunPage,
  RunQuery,
} from './types.ts';

/** Opens (creating and migrating if needed) the journal at `path`; runs orphaned by a dead process become interrupted. */
export function openJournal(path: string, opts: OpenOptions = {}): Journal {
  const db = openDatabase(path, opts);
  const journal = new Journal(path, db, opts.readonly === true);
  try {
    if (!journal.readonly) journal.recoverInterruptedRuns();
  } catch (err) {
    journal.close();
    throw err;
  }
  return journal;
}

export class Journal {
  readonly #db: BetterSqlite3.Database;
  readonly #sql: Sql;
  readonly #owner: string;
  readonly #runs: RunStore;
  readonly #experiments: ExperimentStore;
  readonly #benchmarks: BenchmarkStore;
  readonly #profiles: ProfileStore;

  /** Use openJournal(); the constructor takes an already opened and migrated database. */
  constructor(
    readonly path: string,
    db: BetterSqlite3.Database,
    readonly readonly: boolean,
  ) {
    this.#db = db;
    this.#sql = new Sql(db);
    this.#owner = claimOwner();
    this.#runs = new RunStore(this.#sql, this.#owner);
    this.#experiments = new ExperimentStore(this.#sql);
    this.#benchmarks = new BenchmarkStore(this.#sql);
    this.#profiles = new ProfileStore(this.#sql);
  }

  get schemaVersion(): number {
    return userVersion(this.#db);
  }

  get isOpen(): boolean {
    return this.#db.open;
  }

  // Experiments

  createExperiment(input: NewExperiment): Experiment {
    return this.#experiments.createExperiment(input);
  }

  getExperimentByName(name: string): Experiment | undefined {
    return this.#experiments.getExperimentByName(name);
  }

  ensureExperiment(input: NewExperiment): Experiment {
    return this.#experiments.ensureExperiment(input);
  }

  listExperiments(): Experiment[] {
    return this.#experiments.listExperiments();
  }

  // Runs

  /** A new run, queued (default) or running; returns its UUID. */
  insertRun(run: NewRun): string {
    return this.#runs.insertRun(run);
  }

  /** Many runs in any state, in one transaction (all or none); returns their UUIDs in order. */
  insertRunsBulk(runs: readonly ImportedRun[]): string[] {
    return this.#runs.insertRunsBulk(runs);
  }

  markRunning(id: string): void {
    this.#runs.markRunning(id);
  }

  completeRun(id: string, completion: RunCompletion): void {
    this.#runs.completeRun(id, completion);
  }

  failRun(id: string, error: string): void {
    this.#runs.failRun(id, error);
  }

  cancelRun(id: string): void {
    this.#runs.cancelRun(id);
  }

  /** One run with everything attached; `series: false` skips decoding series. */
  getRun(id: string, opts?: { series?: boolean }): Run {
    return this.#runs.getRun(id, opts);
  }

  /** Full ids of runs whose id starts with `prefix` (at most `limit`). */
  findRunIds(prefix: string, limit?: number): string[] {
    return this.#runs.findRunIds(prefix, limit);
  }

  listRuns(query?: RunQuery): RunPage {
    return listRuns(this.#sql, query);
  }

  deleteRuns(ids: readonly string[]): number {
    return this.#runs.deleteRuns(ids);
  }

  tagRun(id: string, tags: string | readonly string[]): void {
    this.#runs.tagRun(id, tags);
  }

  untagRun(id: string, tags: string | readonly string[]): void {
    this.#runs.untagRun(id, tags);
  }

  addNote(runId: string, body: string): Note {
    return this.#runs.addNote(runId, body);
  }

  /** Marks runs left queued or running by a process that is gone as interrupted; done at open. Returns the count. */
  recoverInterruptedRuns(): number {
    return this.#runs.recoverOrphans();
  }

  // Benchmarks

  ensureBenchmark(input: NewBenchmark): Benchmark {
    return this.#benchmarks.ensureBenchmark(input);
  }

  getBenchmark(name: string): Benchmark | undefined {
    return this.#benchmarks.getBenchmark(name);
  }

  listBenchmarks(): Benchmark[] {
    return this.#benchmarks.listBenchmarks();
  }

  addBenchmarkPoint(benchmark: string, point: NewBenchmarkPoint): BenchmarkPoint {
    return this.#benchmarks.addBenchmarkPoint(benchmark, point);
  }

  listBenchmarkPoints(benchmark: string, filter?: PointFilter): BenchmarkPoint[] {
    return this.#benchmarks.listBenchmarkPoints(benchmark, filter);
  }

  addMarker(benchmark: string, marker: { at: string; label: string }): BenchmarkMarker {
    return this.#benchmarks.addMarker(benchmark, marker);
  }

  listMarkers(benchmark: string): BenchmarkMarker[] {
    return this.#benchmarks.listMarkers(benchmark);
  }

  // Cost profiles

  /** Stores a named profile; an existing name throws ConflictError unless `replace` (keeps id and createdAt). */
  saveCostProfile(profile: NewCostProfile, opts?: { replace?: boolean }): CostProfile {
    return this.#profiles.saveCostProfile(profile, opts);
  }

  /** The profile of that name, or undefined. */
  getCostProfile(name: string): CostProfile | undefined {
    return this.#profiles.getCostProfile(name);
  }

  /** All profiles, ordered by name. */
  listCostProfiles(): CostProfile[] {
    return this.#profiles.listCostProfiles();
  }

  /** Removes the profile of that name; false if there was none. */
  deleteCostProfile(name: string): boolean {
    return this.#profiles.deleteCostProfile(name);
  }

  /** Runs `fn` in one write transaction: every journal write inside it commits together or not at all. */
  transaction<T>(fn: () => T): T {
    return this.#sql.write(fn);
  }

  // Whole-file operations

  mergeFrom(otherPath: string): MergeReport {
    return mergeFrom(this.#sql, this.path, otherPath);
  }

  /** A compact, consistent copy at `toPath` (VACUUM INTO), safe while other processes write. */
  backup(toPath: string): void {
    if (typeof toPath !== 'string' || toPath === '') throw new JournalInputError('toPath', 'must be a file path');
    if (existsSync(toPath)) throw new JournalInputError('toPath', `${toPath} already exists; a backup never overwrites a file`);
    this.#db.prepare('VACUUM INTO ?').run(toPath);
  }

  /**
   * Problems found by SQLite's integrity and foreign-key checks, the
   * full-text indexes' own check (read-write only) and the done-only rule for
   * outputs; empty when all is well.
   */
  checkIntegrity(): string[] {
    const problems = (this.#db.pragma('integrity_check') as { integrity_check: string }[])
      .map((r) => r.integrity_check)
      .filter((m) => m !== 'ok');
    const dangling = this.#db.pragma('foreign_key_check') as { table: string; parent: string }[];
    problems.push(...dangling.map((d) => `${d.table} row refers to a missing ${d.parent} row`));
    const outputsOfUnfinished = this.#db
      .prepare(`SELECT count(*) FROM runs r WHERE r.status <> 'done'
                AND (EXISTS (SELECT 1 FROM run_metrics m WHERE m.run_seq = r.seq) OR EXISTS (SELECT 1 FROM run_series s WHERE s.run_seq = r.seq))`)
      .pluck()
      .get() as number;
    if (outputsOfUnfinished > 0) problems.push(`${outputsOfUnfinished} runs that are not done have metrics or series`);
    // FTS5 takes its check as an INSERT command, which a read-only connection refuses.
    for (const fts of this.readonly ? [] : ['runs_fts', 'notes_fts']) {
      try {
        this.#db.prepare(`INSERT INTO ${fts} (${fts}, rank) VALUES ('integrity-check', 1)`).run();
      } catch (err) {
        problems.push(`${fts}: ${(err as Error).message}`);
      }
    }
    return problems;
  }

  close(): void {
    if (!this.#db.open) return;
    try {
      // Refresh planner statistics where they went stale. Best effort: a busy
      // journal (another process writing) must not make close() fail.
      if (!this.readonly) this.#db.pragma('optimize');
    } catch {
      // statistics stay as they were
    } finally {
      this.#db.close();
      releaseOwner(this.#owner);
    }
  }
}

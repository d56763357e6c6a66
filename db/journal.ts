// The experiment journal: one SQLite file holding runs, experiments,
// benchmark histories and cost profiles. Journal opens the file and holds its
// public stores (journal.runs, .experiments, .benchmarks, .profiles); what
// concerns the whole file (transactions, merge, backup, integrity) is its own.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { backupDatabase, backupDatabaseOnline, type BackupHooks } from './backup.ts';
import { BenchmarkStore } from './benchmarks.ts';
import { ExperimentStore } from './experiments.ts';
import { mergeFrom, mergeSteps, type MergeOptions } from './merge.ts';
import { userVersion } from './migrate.ts';
import { openDatabase } from './open.ts';
import type { OpenOptions } from './open.ts';
import { claimOwner, releaseOwner } from './owner.ts';
import { ProfileStore } from './profiles.ts';
import { RunStore } from './runs.ts';
import { Sql } from './statements.ts';
import type { MergeReport } from './types.ts';

/**
 * Opens (creating and migrating if needed) the journal at `path`; runs
 * orphaned by a dead process become interrupted. A file this process may not
 * write opens read-only (SQLite's choice): `readonly` says so.
 */
export function openJournal(path: string, opts: OpenOptions = {}): Journal {
  const db = openDatabase(path, opts);
  const journal = new Journal(path, db, opts.readonly === true || db.readonly);
  try {
    if (!journal.readonly) journal.runs.recoverOrphans();
  } catch (err) {
    // Another process holds the write lock: the orphans wait for the next open, reading need not.
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY')) {
      journal.close();
      throw err;
    }
  }
  return journal;
}

/**
 * A read-only journal from a private copy of the file, for a journal this
 * process can read but not open in place: in a folder it cannot write, SQLite
 * cannot make the WAL index beside the file. The copy is taken now (with the
 * WAL, if one is there) and removed on close; `path` stays the original's.
 */
export function openJournalSnapshot(path: string): Journal {
  const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-readonly-'));
  const dispose = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const copy = join(dir, 'journal.sqlite');
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
    return new Journal(path, openDatabase(copy, { readonly: true }), true, dispose);
  } catch (err) {
    dispose();
    throw err;
  }
}

export class Journal {
  readonly #db: BetterSqlite3.Database;
  readonly #sql: Sql;
  readonly #owner: string;
  /** Runs: insert, lifecycle, read, query, tag, annotate, delete. */
  readonly runs: RunStore;
  readonly experiments: ExperimentStore;
  /** Benchmark histories: points and markers. */
  readonly benchmarks: BenchmarkStore;
  /** Named cost profiles. */
  readonly profiles: ProfileStore;
  readonly #onClose: (() => void) | undefined;

  /** Use openJournal(); the constructor takes an already opened and migrated database. */
  constructor(
    readonly path: string,
    db: BetterSqlite3.Database,
    readonly readonly: boolean,
    onClose?: () => void,
  ) {
    this.#db = db;
    this.#onClose = onClose;
    this.#sql = new Sql(db);
    this.#owner = claimOwner();
    this.runs = new RunStore(this.#sql, this.#owner);
    this.experiments = new ExperimentStore(this.#sql);
    this.benchmarks = new BenchmarkStore(this.#sql);
    this.profiles = new ProfileStore(this.#sql);
  }

  get schemaVersion(): number {
    return userVersion(this.#db);
  }

  get isOpen(): boolean {
    return this.#db.open;
  }

  /** Runs `fn` in one write transaction: every journal write inside it commits together or not at all. */
  transaction<T>(fn: () => T): T {
    return this.#sql.write(fn);
  }

  // Whole-file operations

  /** Merges another journal in, in bounded transactions (merge.ts). */
  mergeFrom(otherPath: string, opts?: MergeOptions): MergeReport {
    return mergeFrom(this.#sql, this.path, otherPath, opts);
  }

  /** The same merge, pausing between its transactions: for hosts that answer other calls meanwhile. */
  mergeSteps(otherPath: string, opts?: Pick<MergeOptions, 'chunkRuns'>): Generator<void, MergeReport> {
    return mergeSteps(this.#sql, this.path, otherPath, opts);
  }

  /**
   * A checked, compact, consistent copy at `toPath`, safe while other
   * processes write; whole at its path or absent (backup.ts). Never
   * overwrites a file. Returns the absolute path written.
   */
  backup(toPath: string, hooks?: BackupHooks): string {
    return backupDatabase(this.#db, this.path, toPath, hooks);
  }

  /** The same backup, copied a few hundred pages at a time with the event loop free in between (not compacted). */
  backupOnline(toPath: string, hooks?: BackupHooks): Promise<string> {
    return backupDatabaseOnline(this.#db, this.path, toPath, hooks);
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
      this.#onClose?.();
    }
  }
}

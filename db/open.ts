// Opens the SQLite file behind a journal: compatibility checks first (before
// anything that could write), then connection settings, then migrations.
import { closeSync, openSync } from 'node:fs';
import { PRIVATE_FILE_MODE } from './backup.ts';
import { sqliteDriver } from './driver.ts';
import type BetterSqlite3 from 'better-sqlite3';
import { IncompatibleJournalError, JournalOpenError } from './errors.ts';
import { assertOpenable, migrate } from './migrate.ts';
import { LATEST_SCHEMA_VERSION } from './migrations/index.ts';

export interface OpenOptions {
  /** Read-only: no migrations, no recovery of interrupted runs, writes fail. */
  readonly?: boolean;
  /**
   * How long SQLite itself waits for another connection's write lock, blocking
   * the caller's thread (default BUSY_TIMEOUT_MS). A host with an event loop
   * passes a few ms and retries asynchronously (service/journal-writes.ts).
   */
  busyTimeoutMs?: number;
  /**
   * Told before an existing journal is upgraded to this version's schema: a
   * journal of a million runs takes minutes, once, and the host should say so.
   */
  onUpgrade?: (upgrade: SchemaUpgrade) => void;
}

export interface SchemaUpgrade {
  from: number;
  to: number;
  /** About how many runs the journal holds (the highest run seq). */
  runs: number;
}

export const BUSY_TIMEOUT_MS = 5000;
// 32 MiB page cache (SQLite's default is 2 MiB): counting filtered runs at
// 100k+ rows touches a few thousand index pages.
const CACHE_KIB = 32 * 1024;
// A checkpoint copies the WAL into the file and syncs it: every 16k pages (64
// MiB) instead of SQLite's 1000, so a bulk insert of 1000 runs (about 4 MiB)
// pays a sync every 16 commits rather than at each (2x the insert rate).
const WAL_AUTOCHECKPOINT_PAGES = 16_384;

export function openDatabase(path: string, opts: OpenOptions = {}): BetterSqlite3.Database {
  const readonly = opts.readonly === true;
  const busyTimeoutMs = opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  if (!readonly) createPrivately(path);
  let db: BetterSqlite3.Database;
  try {
    db = new (sqliteDriver())(path, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
  } catch (err) {
    throw journalOpenError(path, err);
  }
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    const version = guardNotADatabase(path, () => assertOpenable(db, path));
    if (readonly && version < LATEST_SCHEMA_VERSION) {
      throw new IncompatibleJournalError(
        version === 0
          ? `${path} is not an IOMMU Lab journal (empty database)`
          : `journal ${path} uses schema ${version}; open it read-write once to upgrade it to schema ${LATEST_SCHEMA_VERSION}`,
      );
    }
    if (!readonly) {
      enableWal(db, busyTimeoutMs);
      db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    }
    db.pragma('synchronous = NORMAL'); // safe with WAL; a power cut may lose the last commits, never corrupt
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${CACHE_KIB}`);
    db.pragma('temp_store = MEMORY');
    if (!readonly) migrate(db, path, opts.onUpgrade);
    return db;
  } catch (err) {
    db.close();
    throw journalOpenError(path, err);
  }
}

/**
 * A new journal starts as an empty file only its user can read (SQLite would
 * create it 0644); SQLite gives the -wal and -shm files the same mode.
 * Whatever goes wrong here, SQLite's own open reports it.
 */
function createPrivately(path: string): void {
  if (path === ':memory:' || path === '' || path.startsWith('file:')) return;
  try {
    closeSync(openSync(path, 'wx', PRIVATE_FILE_MODE));
  } catch {
    // there already, or not creatable: SQLite's open says which
  }
}

/** SQLite's and the system's codes, as a reason a user can act on. */
function reasonOf(code: string | undefined, message: string): string {
  if (/directory does not exist/i.test(message)) return 'its folder does not exist';
  if (code === undefined) return message;
  if (code.startsWith('SQLITE_FULL')) return 'the disk is full';
  if (code.startsWith('SQLITE_READONLY')) return 'the file or its folder cannot be written';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'it cannot be opened (missing permission on the file or its folder, or the path is a folder)';
  if (code.startsWith('SQLITE_CORRUPT')) return `it is damaged (${message})`;
  if (code.startsWith('SQLITE_PERM') || code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code.startsWith('SQLITE_IOERR')) return `the system reported an input/output error (${code})`;
  return message;
}

/**
 * Any failure to open as one line naming the file and the reason. Errors that
 * already say so pass through; so does SQLITE_BUSY (another process holds the
 * lock: the caller may wait and retry).
 */
export function journalOpenError(path: string, err: unknown): unknown {
  if (err instanceof IncompatibleJournalError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new JournalOpenError(path, reasonOf(typeof code === 'string' ? code : undefined, message), typeof code === 'string' ? code : undefined, { cause: err });
}

/**
 * WAL: readers never block the writer, and vice versa. Switching a new file
 * to WAL needs an exclusive lock and SQLite does not wait for it (no busy
 * handler), so when two processes create the same journal at once, retry.
 */
function enableWal(db: BetterSqlite3.Database, busyTimeoutMs: number): void {
  if (db.pragma('journal_mode', { simple: true }) === 'wal') return;
  const deadline = Date.now() + busyTimeoutMs;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause); // synchronous sleep: the API is synchronous
    }
  }
}

/** Runs the first read of a file, turning SQLite's "not a database" into a clear error. */
export function guardNotADatabase<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') {
      throw new IncompatibleJournalError(`${path} is not an SQLite database; it was not modified`, { cause: err });
    }
    throw err;
  }
}

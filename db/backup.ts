// A backup of the journal is whole at its path or not there at all: the copy
// (VACUUM INTO, consistent while other processes write) goes to a temporary
// file beside the target, is synced to disk, and only then gets the target's
// name, with link(2), which never replaces an existing file. A backup killed
// mid-way leaves at most a `.NAME.partial-*` file, never a half copy under NAME.
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, lstatSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { IncompatibleJournalError, JournalInputError } from './errors.ts';

/** Above this size the source check reads pages and free lists only (quick_check), not every index entry. */
const FULL_CHECK_MAX_BYTES = 256 * 1024 * 1024;
/** Backups and journals hold the user's configurations and notes: the user's alone. */
export const PRIVATE_FILE_MODE = 0o600;

export interface BackupHooks {
  /** Called once the copy is written, before it is synced and named (tests interrupt a backup here). */
  afterCopy?: () => void;
}

/**
 * Refuses a database that fails SQLite's integrity check (`quick_check` for
 * files above 256 MiB), so a backup or a merge never spreads a damaged file.
 */
export function assertIntact(db: BetterSqlite3.Database, path: string): void {
  let bytes = 0;
  try {
    bytes = statSync(path).size;
  } catch {
    // an in-memory or vanished file: check it fully
  }
  const pragma = bytes > FULL_CHECK_MAX_BYTES ? 'quick_check' : 'integrity_check';
  const problems = (db.pragma(`${pragma}(5)`) as Record<string, string>[]).map((row) => Object.values(row)[0]).filter((m) => m !== 'ok');
  if (problems.length > 0) {
    throw new IncompatibleJournalError(`${path} fails SQLite's ${pragma}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}; nothing was copied`);
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path); // a symbolic link, dangling or not, is a file that is there
    return true;
  } catch {
    return false;
  }
}

function fsyncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Gives `temp` the name `target` unless a file is there; link(2) decides atomically where the file system has hard links. */
function nameWithoutOverwriting(temp: string, target: string): void {
  try {
    linkSync(temp, target);
    unlinkSync(temp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new JournalInputError('toPath', `${target} already exists; a backup never overwrites a file`);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw err;
    // No hard links here (FAT, some network shares): check, then rename.
    if (exists(target)) throw new JournalInputError('toPath', `${target} already exists; a backup never overwrites a file`);
    renameSync(temp, target);
  }
}

interface PendingBackup {
  target: string;
  folder: string;
  temp: string;
}

/** Checks the target and the source, and creates the private, empty temporary file beside the target. */
function startBackup(db: BetterSqlite3.Database, sourcePath: string, toPath: string): PendingBackup {
  if (typeof toPath !== 'string' || toPath === '') throw new JournalInputError('toPath', 'must be a file path');
  const target = resolve(toPath);
  if (exists(target)) throw new JournalInputError('toPath', `${target} already exists; a backup never overwrites a file`);
  const folder = dirname(target);
  let folderIsDir = false;
  try {
    folderIsDir = statSync(folder).isDirectory();
  } catch {
    // reported below
  }
  if (!folderIsDir) throw new JournalInputError('toPath', `must be in an existing folder; ${folder} is not one`);
  assertIntact(db, sourcePath);
  const temp = join(folder, `.${basename(target)}.partial-${randomUUID().slice(0, 8)}`);
  // Created empty and private first: SQLite fills an empty file and keeps its mode.
  closeSync(openSync(temp, 'wx', PRIVATE_FILE_MODE));
  return { target, folder, temp };
}

/** Syncs the copy and names it; on any failure removes the temporary file. */
function finishBackup(pending: PendingBackup, hooks: BackupHooks): string {
  const { target, folder, temp } = pending;
  try {
    hooks.afterCopy?.();
    fsyncPath(temp, 'r+');
    nameWithoutOverwriting(temp, target);
  } catch (err) {
    discard(temp);
    throw err;
  }
  try {
    fsyncPath(folder, 'r'); // the new name survives a power cut
  } catch {
    // some platforms cannot sync a folder; the file itself is synced
  }
  return target;
}

function discard(temp: string): void {
  for (const file of [temp, `${temp}-journal`]) {
    try {
      unlinkSync(file);
    } catch {
      // already named, or never written
    }
  }
}

/** A checked, compact (VACUUM INTO), consistent copy of `db` (the journal at `sourcePath`) at `toPath`, created 0600. Blocks its thread while it copies. */
export function backupDatabase(db: BetterSqlite3.Database, sourcePath: string, toPath: string, hooks: BackupHooks = {}): string {
  const pending = startBackup(db, sourcePath, toPath);
  try {
    db.prepare('VACUUM INTO ?').run(pending.temp);
  } catch (err) {
    discard(pending.temp);
    throw err;
  }
  return finishBackup(pending, hooks);
}

/**
 * The same backup through SQLite's online backup, a few hundred pages at a
 * time with the event loop free in between: for hosts that answer other calls
 * meanwhile. Not compacted (free pages are copied too).
 */
export async function backupDatabaseOnline(db: BetterSqlite3.Database, sourcePath: string, toPath: string, hooks: BackupHooks = {}): Promise<string> {
  const pending = startBackup(db, sourcePath, toPath);
  try {
    await db.backup(pending.temp);
  } catch (err) {
    discard(pending.temp);
    throw err;
  }
  return finishBackup(pending, hooks);
}

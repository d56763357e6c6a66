// Applies pending migrations in one IMMEDIATE transaction: a journal is at one
// schema version or the next, never in between, and two processes opening the
// same new file at once do not both migrate it.
import type BetterSqlite3 from 'better-sqlite3';
import type { SchemaUpgrade } from './open.ts';
import { IncompatibleJournalError } from './errors.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations/index.ts';

export const APPLICATION_ID = 1229933900; // 'IOML', set by migration 1

export function userVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function newerSchemaError(path: string, version: number): IncompatibleJournalError {
  return new IncompatibleJournalError(
    `journal ${path} was written by a newer IOMMU Lab (schema ${version}, this version knows up to ${LATEST_SCHEMA_VERSION}); it was not modified`,
  );
}

/** Refuses files this version must not touch. Reads only: safe before any pragma that writes. */
export function assertOpenable(db: BetterSqlite3.Database, path: string): number {
  const version = userVersion(db);
  if (version > LATEST_SCHEMA_VERSION) throw newerSchemaError(path, version);
  const appId = db.pragma('application_id', { simple: true }) as number;
  const foreign = appId !== 0 ? appId !== APPLICATION_ID : version === 0 && hasObjects(db);
  if (foreign) throw new IncompatibleJournalError(`${path} is an SQLite database but not an IOMMU Lab journal; it was not modified`);
  return version;
}

function hasObjects(db: BetterSqlite3.Database): boolean {
  return db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get() !== undefined;
}

export function migrate(db: BetterSqlite3.Database, path: string, onUpgrade?: (upgrade: SchemaUpgrade) => void): void {
  if (userVersion(db) === LATEST_SCHEMA_VERSION) return; // the common case takes no write lock
  db.transaction(() => {
    const current = userVersion(db); // again, under the lock: another process may have migrated meanwhile
    if (current > LATEST_SCHEMA_VERSION) throw newerSchemaError(path, current);
    // A new file (schema 0) is created in no time; an existing journal is rewritten, which takes a while at scale.
    if (current > 0 && current < LATEST_SCHEMA_VERSION) {
      const runs = db.prepare('SELECT coalesce(max(seq), 0) FROM runs').pluck().get() as number;
      onUpgrade?.({ from: current, to: LATEST_SCHEMA_VERSION, runs });
    }
    for (const step of MIGRATIONS.slice(current)) {
      db.exec(step.sql);
      db.pragma(`user_version = ${step.version}`);
    }
    const broken = db.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) throw new Error(`migrating ${path} left ${broken.length} dangling references; nothing was changed`);
  }).immediate();
}

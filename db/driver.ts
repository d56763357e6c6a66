// The SQLite driver, loaded on the first open: importing the journal's modules
// does not load the native addon, so a host that never opens a journal never pays for it.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

type DatabaseConstructor = typeof BetterSqlite3;
let driver: DatabaseConstructor | undefined;

export function sqliteDriver(): DatabaseConstructor {
  driver ??= createRequire(import.meta.url)('better-sqlite3') as DatabaseConstructor;
  return driver;
}

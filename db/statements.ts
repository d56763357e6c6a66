// Prepared-statement cache and write transactions shared by the repositories.
import type BetterSqlite3 from 'better-sqlite3';

const MAX_CACHED = 500; // query shapes from listRuns vary; keep the cache bounded

export class Sql {
  readonly #cache = new Map<string, BetterSqlite3.Statement>();

  constructor(readonly db: BetterSqlite3.Database) {}

  /** The prepared statement for `sql`, prepared once per connection. */
  prepare<Row = unknown>(sql: string): BetterSqlite3.Statement<unknown[], Row> {
    let stmt = this.#cache.get(sql);
    if (!stmt) {
      if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
      stmt = this.db.prepare(sql);
      this.#cache.set(sql, stmt);
    }
    return stmt as BetterSqlite3.Statement<unknown[], Row>;
  }

  /**
   * Differs whenever the file may have changed since the last call: another
   * connection committed (data_version) or this one wrote (total_changes).
   * Undefined inside a transaction, whose writes may still be rolled back.
   */
  changeStamp(): string | undefined {
    if (this.db.inTransaction) return undefined;
    const [version, changes] = this.prepare<unknown[]>('SELECT data_version, total_changes() FROM pragma_data_version').raw().get() as [number, number];
    return `${version}:${changes}`;
  }

  /**
   * Runs `fn` in one write transaction: all of it commits or none of it.
   * IMMEDIATE takes the write lock up front, so a concurrent writer waits
   * (busy_timeout) instead of failing when a read would upgrade to a write.
   * Inside another transaction the driver makes it a savepoint: a nested
   * failure rolls back the nested part only, and the caller decides about the rest.
   */
  write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}

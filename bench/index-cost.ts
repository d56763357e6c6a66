// What one secondary index on a random value (a metric) costs a bulk insert,
// on a connection with the journal's own settings (WAL, page cache,
// checkpoint interval): rows per second into a bare table of four REAL
// columns with 0, 1 or 4 of them indexed, committing every 1000 or 10000
// rows, measured over the whole commits in the last tenth of `rows`. Each commit writes every page
// its inserts touched to the WAL; a random-keyed index with more leaf pages
// than a commit has rows gets about one dirty page per row, and that, not the
// data, bounds the journal's bulk insert once it holds a few hundred thousand runs.
// For comparison, the same 4 indexes led by a bucket of 65536 consecutive ids
// (id >> 16, value): new rows land in the newest bucket's few hundred pages.
// Alone: node --import tsx bench/index-cost.ts [ROWS] (default 300000).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Prng } from '../core/engine/prng.ts';
import { openDatabase } from '../db/open.ts';

const COLUMNS = ['a', 'b', 'c', 'd'] as const;

function insertRate(rows: number, indexes: number, commitRows: number, bucketed = false): number {
  const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-index-cost-'));
  const db = openDatabase(join(dir, 'cost.sqlite'));
  try {
    db.exec(`CREATE TABLE cost (id INTEGER PRIMARY KEY, a REAL, b REAL, c REAL, d REAL);
             ${COLUMNS.slice(0, indexes).map((c) => `CREATE INDEX cost_by_${c} ON cost (${bucketed ? 'id >> 16, ' : ''}${c});`).join('\n')}`);
    const insert = db.prepare('INSERT INTO cost VALUES (?, ?, ?, ?, ?)');
    // A fixed seed, so every configuration inserts the same values.
    const prng = new Prng(1);
    const commit = db.transaction((from: number, to: number) => {
      for (let id = from; id < to; id++) insert.run(id + 1, prng.next(), prng.next(), prng.next(), prng.next());
    });
    // Whole commits from the last tenth on; at least the last commit when a commit is longer than a tenth.
    const lastCommit = Math.floor((rows - 1) / commitRows) * commitRows;
    const measuredFrom = Math.min(Math.ceil((rows - Math.floor(rows / 10)) / commitRows) * commitRows, lastCommit);
    let t0 = 0;
    for (let from = 0; from < rows; from += commitRows) {
      if (from === measuredFrom) t0 = performance.now();
      commit(from, Math.min(rows, from + commitRows));
    }
    return Math.round((rows - measuredFrom) / ((performance.now() - t0) / 1000));
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function benchIndexCost(rows: number) {
  const rowsPerSec: Record<string, number> = {};
  for (const commitRows of [1000, 10_000]) {
    for (const indexes of [0, 1, 4]) rowsPerSec[`${indexes} index${indexes === 1 ? '' : 'es'}, commits of ${commitRows}`] = insertRate(rows, indexes, commitRows);
  }
  rowsPerSec['4 indexes by id bucket, commits of 1000'] = insertRate(rows, 4, 1000, true);
  return { rows, measuredOver: 'the whole commits in the last tenth of the rows (at least the last commit)', rowsPerSec };
}

// Alone: node --import tsx bench/index-cost.ts [ROWS]
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(benchIndexCost(Number(process.argv[2] ?? 300_000)), null, 2));
}

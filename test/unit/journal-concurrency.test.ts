import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openJournal } from '../../db/index.ts';
import { cleanupTempDirs, tempDir } from '../fixtures/journal-helpers.ts';

after(cleanupTempDirs);

const writer = fileURLToPath(new URL('../fixtures/journal-writer.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface WriterReport {
  label: string;
  written: number;
  startedAt: number;
  endedAt: number;
}

/** Runs writer fixtures in child processes, started together; rejects if one exits non-zero. */
async function writeConcurrently(path: string, writers: Record<string, number>): Promise<WriterReport[]> {
  const barrier = tempDir();
  const parties = String(Object.keys(writers).length);
  return Promise.all(
    Object.entries(writers).map(async ([label, count]) => {
      const child = spawn(process.execPath, ['--import', 'tsx', writer, path, String(count), label, barrier, parties], { cwd: repoRoot });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const [code] = (await once(child, 'exit')) as [number | null];
      if (code !== 0) throw new Error(`writer ${label} exited with ${code}: ${err}`);
      return JSON.parse(out) as WriterReport;
    }),
  );
}

/** The writers' write phases overlapped, so the test exercised real contention. */
function assertOverlap(reports: WriterReport[]): void {
  const [a, b] = reports;
  assert.ok(a && b && a.startedAt < b.endedAt && b.startedAt < a.endedAt, `writes overlapped: ${JSON.stringify(reports)}`);
}

function check(path: string, perWriter: Record<string, number>): void {
  const journal = openJournal(path); // read-write, for the full-text index check
  try {
    const total = Object.values(perWriter).reduce((a, b) => a + b, 0);
    assert.equal(journal.runs.listRuns({ filter: { status: ['done'] } }).total, total);
    assert.equal(journal.runs.listRuns().total, total);
    for (const [label, count] of Object.entries(perWriter)) {
      assert.equal(journal.runs.listRuns({ filter: { tags: [label] } }).total, count, label);
      // Every index of every writer is there once, with its metric.
      const page = journal.runs.listRuns({ filter: { tags: [label] }, sort: { by: 'metric:index', dir: 'asc' }, page: { limit: 1000 } });
      assert.deepEqual(page.rows.map((r) => r.metrics.index), Array.from({ length: count }, (_, i) => i));
    }
    assert.deepEqual(journal.checkIntegrity(), []);
  } finally {
    journal.close();
  }
}

describe('two processes writing one journal', () => {
  test('lose nothing: 2 x 300 runs, each written in its own transactions', { timeout: 120_000 }, async () => {
    const path = join(tempDir(), 'shared.sqlite');
    openJournal(path).close();
    assertOverlap(await writeConcurrently(path, { alpha: 300, beta: 300 }));
    check(path, { alpha: 300, beta: 300 });
  });

  test('may both create and migrate a new journal at the same moment', { timeout: 120_000 }, async () => {
    const path = join(tempDir(), 'fresh.sqlite');
    await writeConcurrently(path, { left: 100, right: 100 });
    check(path, { left: 100, right: 100 });
  });
});

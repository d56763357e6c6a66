// Runs pages over many matches: a page sorted by a column walks runs in that
// order and tests each (many matches, page near the top) or collects the
// matches and sorts them (far pages); both give the pages the filter and the
// order define. And bulk inserts keep their checks when written table by table.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJournal, type ImportedRun, type Journal } from '../../db/index.ts';

const BACKENDS = ['none', 'shadow-sl', 'nested-fl'] as const;
const RUNS = 7500;

interface Made {
  name: string;
  backend: string;
  createdAt: string;
  tenth: boolean;
}

describe('runs pages over thousands of matches', () => {
  let dir: string;
  let journal: Journal;
  const made: Made[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'iommu-lab-query-scale-'));
    journal = openJournal(join(dir, 'journal.db'));
    const runs: ImportedRun[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Creation times out of insertion order, names out of both: the order comes from the sort, not the seq.
      const createdAt = new Date(Date.UTC(2026, 0, 1) + ((i * 4099) % RUNS) * 1000).toISOString();
      const m: Made = { name: `run ${String((i * 613) % RUNS).padStart(5, '0')}`, backend: BACKENDS[i % 3]!, createdAt, tenth: i % 10 === 0 };
      made.push(m);
      runs.push({ name: m.name, scenario: { viommu: { backend: m.backend } }, modelVersion: '1.0.0', seed: i, status: 'done', createdAt, durationMs: 1, result: {}, metrics: { throughputGbps: i }, tags: m.tenth ? ['tenth'] : [] });
    }
    journal.runs.insertRunsBulk(runs);
  });
  after(() => {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const pages = [0, 100, 2400, 2490];
  for (const sort of [{ by: 'created_at', dir: 'desc' }, { by: 'name', dir: 'asc' }] as const) {
    for (const offset of pages) {
      test(`scenario field filter, ${sort.by} ${sort.dir}, offset ${offset}: the page the filter and the order define`, () => {
        const key = (m: Made) => (sort.by === 'name' ? m.name : m.createdAt);
        const matching = made.filter((m) => m.backend === 'shadow-sl').sort((a, b) => (sort.dir === 'asc' ? 1 : -1) * key(a).localeCompare(key(b)));
        assert.equal(matching.length, 2500);
        const page = journal.runs.listRuns({ filter: { scenario: [{ path: '$.viommu.backend', value: 'shadow-sl' }] }, sort, page: { limit: 100, offset } });
        assert.equal(page.total, 2500);
        assert.deepEqual(page.rows.map((r) => r.name), matching.slice(offset, offset + 100).map((m) => m.name));
      });
    }
  }

  test('tag and scenario field together: only runs holding both, newest first', () => {
    const expected = made.filter((m) => m.tenth && m.backend === 'none').sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const page = journal.runs.listRuns({ filter: { tags: ['tenth'], scenario: [{ path: '$.viommu.backend', value: 'none' }] }, page: { limit: 1000 } });
    assert.equal(page.total, expected.length);
    assert.deepEqual(page.rows.map((r) => r.name), expected.map((m) => m.name));
  });

  test('a bulk insert with an id already in the journal, or twice in the batch, writes nothing', () => {
    const id = journal.runs.listRuns({ page: { limit: 1 } }).rows[0]!.id;
    const fresh = '6f1c1b2a-0000-4000-8000-000000000001';
    const run = (runId: string): ImportedRun => ({ id: runId, name: 'dup', scenario: {}, modelVersion: '1.0.0', seed: 1, status: 'failed', error: 'x' });
    assert.throws(() => journal.runs.insertRunsBulk([run(fresh), run(id)]), new RegExp(`${id} is already in the journal`));
    assert.throws(() => journal.runs.insertRunsBulk([run(fresh), run(fresh)]), new RegExp(`${fresh} is already in the journal`));
    assert.equal(journal.runs.listRuns({ page: { limit: 1 } }).total, RUNS);
    assert.throws(() => journal.runs.insertRunsBulk([{ ...run(fresh), experimentId: '6f1c1b2a-0000-4000-8000-0000000000ff' }]), /experiment/);
  });

  test('bulk inserted runs keep every metric and tag, and full-text search finds them', () => {
    const page = journal.runs.listRuns({ filter: { text: 'run 00613' }, metrics: ['throughputGbps'], page: { limit: 10 } });
    assert.equal(page.total, 1);
    assert.equal(page.rows[0]!.metrics.throughputGbps, 1);
    assert.deepEqual(journal.runs.listRuns({ filter: { tags: ['tenth'] }, page: { limit: 1 } }).total, RUNS / 10);
  });
});

// Crash safety and concurrent writers, with real processes on one journal file:
// a sweep killed with SIGKILL loses no finished run, and two CLI processes
// writing at once lose nothing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openJournal, type Run } from '../../db/index.ts';
import { cliBin as bin } from './cli-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, IOMMU_LAB_JOURNAL: join(dir, 'unused.db') } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, out, err })),
  );
  return { child, exited };
}

/** Done runs as seen by a separate read-only connection (what survives is what was committed). */
function doneRuns(path: string): Run[] {
  const j = openJournal(path, { readonly: true });
  try {
    const ids = j.runs.listRuns({ filter: { status: ['done'] }, page: { limit: 1000 } }).rows.map((r) => r.id);
    return ids.map((id) => j.runs.getRun(id));
  } finally {
    j.close();
  }
}

test('a sweep killed with SIGKILL: finished runs intact, integrity ok, the rest interrupted', async () => {
  const journalPath = join(dir, 'killed.db');
  const spec = join(dir, 'spec.json');
  const total = 12;
  writeFileSync(spec, JSON.stringify({ name: 'killed sweep', base: { preset: 'seed-after-fix', overrides: ['durationMs=150', 'warmupMs=5'] }, grid: { 'flushQueue.size': [64, 128, 256] }, seeds: total / 3 }));
  const { child, exited } = cli(['sweep', spec, '--journal', journalPath]);

  // Kill once a few runs have finished and others are still queued or running.
  let before: Run[] = [];
  for (let polls = 0; before.length < 2; polls++) {
    assert.ok(polls < 1200, 'the sweep never finished two runs');
    await sleep(50);
    try {
      before = doneRuns(journalPath);
    } catch {
      before = []; // the journal file may not exist yet
    }
  }
  child.kill('SIGKILL');
  const { signal } = await exited;
  assert.equal(signal, 'SIGKILL');

  const j = openJournal(journalPath);
  try {
    assert.deepEqual(j.checkIntegrity(), []);
    const all = j.runs.listRuns({ page: { limit: 1000 } }).rows;
    assert.equal(all.length, total, 'every run of the sweep was journaled up front');
    const byStatus = (s: string) => all.filter((r) => r.status === s).length;
    assert.equal(byStatus('queued') + byStatus('running'), 0, 'nothing is left active after reopening');
    assert.ok(byStatus('interrupted') > 0, 'the kill came before the end of the sweep');
    assert.equal(byStatus('done') + byStatus('interrupted'), total);
    for (const run of before) {
      const now = j.runs.getRun(run.id);
      assert.equal(now.status, 'done');
      assert.deepEqual(now.metrics, run.metrics);
      assert.deepEqual(now.series, run.series);
      assert.deepEqual(now.result, run.result);
    }
    for (const r of all.filter((x) => x.status === 'interrupted')) {
      const run = j.runs.getRun(r.id);
      assert.deepEqual(run.metrics, {}, 'an interrupted run keeps no partial metrics');
      assert.equal(run.result, null);
    }
  } finally {
    j.close();
  }
});

test('two processes simulating into the same journal at once lose nothing', async () => {
  const journalPath = join(dir, 'shared.db');
  const args = (tag: string) => ['simulate', '--preset', 'seed-before-fix', '--set', 'durationMs=40', '--set', 'warmupMs=4', '--seeds', '4', '--tag', tag, '--journal', journalPath, '--json'];
  const [a, b] = await Promise.all([cli(args('proc-a')).exited, cli(args('proc-b')).exited]);
  assert.equal(a.code, 0, a.err);
  assert.equal(b.code, 0, b.err);
  const printed = [...JSON.parse(a.out).results, ...JSON.parse(b.out).results].map((r: { runId: string }) => r.runId).sort();
  const j = openJournal(journalPath);
  try {
    assert.deepEqual(j.checkIntegrity(), []);
    const rows = j.runs.listRuns({ page: { limit: 100 }, metrics: ['throughputGbps'] }).rows;
    assert.deepEqual(rows.map((r) => r.id).sort(), printed);
    assert.ok(rows.every((r) => r.status === 'done' && r.metrics.throughputGbps! > 0));
    assert.equal(rows.filter((r) => r.tags.includes('proc-a')).length, 4);
    assert.equal(rows.filter((r) => r.tags.includes('proc-b')).length, 4);
    // Same scenario and seed in both processes: the model is deterministic.
    const bySeed = new Map<string, number>();
    for (const r of rows) {
      const key = `${r.seed}`;
      const seen = bySeed.get(key);
      if (seen === undefined) bySeed.set(key, r.metrics.throughputGbps!);
      else assert.equal(r.metrics.throughputGbps, seen);
    }
  } finally {
    j.close();
  }
});

// Opening the journal from the command: every failure is one line naming the
// file and the reason, exit 2; a journal this user cannot write is listed,
// shown and exported read-only, and the command says so.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION, openJournal } from '../../db/index.ts';
import { cleanupTempDirs, doneRun, tempDir, withJournal } from '../fixtures/journal-helpers.ts';
import { cliBin, runCli, type CliResult } from './cli-run.ts';

after(cleanupTempDirs);

/** One line on stderr, naming the file, with the reason; exit 2; nothing on stdout, no stack. */
function assertOneLine(r: CliResult, file: string, reason: RegExp): void {
  assert.equal(r.code, 2, r.err);
  assert.equal(r.out, '');
  const lines = r.err.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.err);
  assert.ok(lines[0]?.startsWith('iommu-lab: ') && lines[0].includes(file), r.err);
  assert.match(lines[0] ?? '', reason);
}

test('each failure to open a journal is one line naming the file and the reason, exit 2', async () => {
  const dir = tempDir();
  const notDb = join(dir, 'notes.txt');
  writeFileSync(notDb, 'not a database, just some text that is long enough to have a header\n'.repeat(10));
  assertOneLine(await runCli(['runs', 'list', '--journal', notDb]), notDb, /is not an SQLite database/);

  const noFolder = join(dir, 'missing', 'journal.sqlite');
  assertOneLine(await runCli(['runs', 'list', '--journal', noFolder]), noFolder, /its folder does not exist/);

  assertOneLine(await runCli(['runs', 'list', '--journal', dir]), dir, /cannot be opened/);
  // serve opens the journal before it listens: the same one line, no port left open.
  assertOneLine(await runCli(['serve', '--journal', notDb]), notDb, /is not an SQLite database/);
  assertOneLine(await runCli(['serve', '--journal', noFolder]), noFolder, /its folder does not exist/);

  const newer = join(dir, 'newer.sqlite');
  openJournal(newer).close();
  const db = new Database(newer);
  db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
  db.close();
  assertOneLine(await runCli(['journal', 'info', '--journal', newer]), newer, /newer IOMMU Lab .*it was not modified/);
  assertOneLine(await runCli(['simulate', '--preset', 'seed-after-fix', '--set', 'durationMs=30', '--journal', newer]), newer, /newer IOMMU Lab/);
});

/**
 * As root the reader is another user, who must be able to reach the command:
 * a checkout under a private folder (root's home, a 0700 temp folder) is out
 * of its reach. The first such folder, if any.
 */
function folderClosedToOthers(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (let d = dirname(cliBin); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return d;
    if (dirname(d) === d) return undefined;
  }
}

/** The command as a user without write permission on `dir`: another user when we are root (root writes anything). */
function runAsReader(argv: string[], dir: string): Promise<CliResult> {
  const asRoot = process.getuid?.() === 0;
  if (!asRoot) chmodSync(dir, 0o555);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
      env: { ...process.env, HOME: dir },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (!asRoot) chmodSync(dir, 0o755);
      resolve({ code, out, err });
    });
  });
}

test('a journal that cannot be written is listed, shown and exported read-only, and says so; changes are refused', async (t) => {
  const closed = folderClosedToOthers();
  if (closed !== undefined) return t.skip(`run as root, the reader is another user, and ${closed} is closed to other users: clone the project where they can reach it`);
  const dir = tempDir();
  chmodSync(dir, 0o755); // readable by the other user; writable by its owner only
  const path = join(dir, 'journal.sqlite');
  const [id] = withJournal(path, (j) => j.runs.insertRunsBulk([doneRun('kept', { throughputGbps: 42 }), doneRun('also kept', { throughputGbps: 7 })]));
  chmodSync(path, 0o644);

  const listed = await runAsReader(['runs', 'list', '--json', '--journal', path], dir);
  assert.equal(listed.code, 0, listed.err);
  assert.equal(JSON.parse(listed.out).total, 2);
  assert.match(listed.err, /^iommu-lab: journal .*journal\.sqlite opened read-only \(.+\): listing, showing and exporting work, changes are refused\n$/);

  const shown = await runAsReader(['runs', 'show', id as string, '--json', '--journal', path], dir);
  assert.equal(shown.code, 0, shown.err);
  assert.equal(JSON.parse(shown.out).name, 'kept');

  const exported = await runAsReader(['export', 'runs', '--format', 'csv', '--journal', path], dir);
  assert.equal(exported.code, 0, exported.err);
  assert.match(exported.out, /kept/);

  const tagged = await runAsReader(['runs', 'tag', id as string, 'x', '--journal', path], dir);
  assert.equal(tagged.code, 2, tagged.err);
  assert.match(tagged.err, /is open read-only .*this method changes it/);
  assert.doesNotMatch(tagged.err, /\n\s+at /);
});

test('exports written to a file are private to the user', async () => {
  const dir = tempDir();
  const path = join(dir, 'journal.sqlite');
  withJournal(path, (j) => j.runs.insertRunsBulk([doneRun('exported', { throughputGbps: 3 })]));
  const output = join(dir, 'runs.csv');
  const r = await runCli(['export', 'runs', '--output', output, '--journal', path]);
  assert.equal(r.code, 0, r.err);
  assert.equal(statSync(output).mode & 0o777, 0o600);
});

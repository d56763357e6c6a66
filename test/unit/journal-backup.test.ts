// Backups are whole at their path or absent, private to the user, checked
// first; merges check their source too.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IncompatibleJournalError, JournalInputError, openJournal } from '../../db/index.ts';
import { Lab } from '../../service/index.ts';
import { cleanupTempDirs, doneRun, tempDir, withJournal } from '../fixtures/journal-helpers.ts';

after(cleanupTempDirs);

const child = fileURLToPath(new URL('../fixtures/backup-child.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function journalWithRuns(path: string, runs: number): void {
  withJournal(path, (j) => j.runs.insertRunsBulk(Array.from({ length: runs }, (_, i) => doneRun(`run ${i}`, { throughputGbps: i, index: i }))));
}

for (const how of ['vacuum', 'online'] as const) {
  test(`a backup (${how}) killed after copying, before naming, leaves nothing at the target; a retry to that path succeeds`, async () => {
    const dir = tempDir();
    const source = join(dir, 'journal.sqlite');
    journalWithRuns(source, 200);
    const out = tempDir();
    const target = join(out, 'backup.sqlite');
    const proc = spawn(process.execPath, ['--import', 'tsx', child, source, target, how], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let said = '';
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        said += d.toString();
        if (said.includes('copied')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`the backup child exited (${code}) before copying: ${said}`)));
    });
    proc.kill('SIGKILL');
    await new Promise((resolve) => proc.once('exit', resolve));
    assert.ok(!said.includes('finished'));
    assert.equal(existsSync(target), false, 'no file at the target path');
    assert.ok(readdirSync(out).every((f) => f.startsWith('.backup.sqlite.partial-')), `only a hidden partial copy is left: ${readdirSync(out).join(', ')}`);

    const written = withJournal(source, (j) => j.backup(target));
    assert.equal(written, target);
    assert.equal(statSync(target).mode & 0o777, 0o600, 'the backup is private to the user');
    const copy = openJournal(target, { readonly: true });
    try {
      assert.equal(copy.runs.listRuns().total, 200);
      assert.deepEqual(copy.checkIntegrity(), []);
    } finally {
      copy.close();
    }
    assert.ok(readdirSync(out).filter((f) => f.startsWith('.backup.sqlite.partial-')).length <= 1, 'the completed backup left no partial copy of its own');
  });
}

test('a backup never overwrites: an existing file or a dangling symbolic link at the target is refused', () => {
  const dir = tempDir();
  const source = join(dir, 'journal.sqlite');
  journalWithRuns(source, 3);
  const link = join(dir, 'planted.sqlite');
  symlinkSync(join(dir, 'nowhere', 'authorized_keys'), link);
  withJournal(source, (j) => {
    assert.throws(() => j.backup(link), (e: unknown) => e instanceof JournalInputError && e.field === 'toPath' && /already exists/.test(e.message));
    assert.throws(() => j.backup(join(dir, 'missing-folder', 'b.sqlite')), (e: unknown) => e instanceof JournalInputError && /existing folder/.test(e.message));
    j.backup(join(dir, 'b.sqlite'));
    assert.throws(() => j.backup(join(dir, 'b.sqlite')), (e: unknown) => e instanceof JournalInputError && /already exists/.test(e.message));
  });
  assert.equal(existsSync(join(dir, 'nowhere')), false, 'nothing was written through the link');
});

/** Overwrites the middle of the file's last page but one with junk: a damaged b-tree page SQLite's checks find. */
function damage(path: string): void {
  const size = statSync(path).size;
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(512, 0x5a), 0, 512, size - 4096 - 2048);
  } finally {
    closeSync(fd);
  }
}

test('a damaged journal is neither merged nor backed up', () => {
  const dir = tempDir();
  const source = join(dir, 'journal.sqlite');
  journalWithRuns(source, 300);
  const damaged = join(dir, 'damaged.sqlite');
  withJournal(source, (j) => j.backup(damaged));
  damage(damaged);
  const db = openJournal(join(dir, 'other.sqlite'));
  try {
    assert.throws(() => db.mergeFrom(damaged), (e: unknown) => e instanceof IncompatibleJournalError && /fails SQLite's integrity_check/.test(e.message));
    assert.equal(db.runs.listRuns().total, 0, 'nothing was merged');
  } finally {
    db.close();
  }
  withJournal(damaged, (j) => {
    assert.throws(() => j.backup(join(dir, 'copy.sqlite')), (e: unknown) => e instanceof IncompatibleJournalError && /fails SQLite's integrity_check/.test(e.message));
  });
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('copy.sqlite')), [], 'no copy, not even a partial one');
});

test('a new journal and its WAL files are private to the user', () => {
  const dir = tempDir();
  const path = join(dir, 'journal.sqlite');
  const journal = openJournal(path);
  try {
    journal.runs.insertRunsBulk([doneRun('one', { throughputGbps: 1 })]);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) assert.equal(statSync(file).mode & 0o777, 0o600, file);
  } finally {
    journal.close();
  }
});

test('merging a folder is an input error naming the field, not an I/O failure', () => {
  const dir = tempDir();
  withJournal(join(dir, 'dst.sqlite'), (j) => {
    assert.throws(() => j.mergeFrom(dir), (e: unknown) => e instanceof JournalInputError && e.field === 'otherPath' && /is not a file/.test(e.message));
  });
});

test('the service backs up page by page: other calls are answered meanwhile, and the copy is whole and private', async () => {
  const dir = tempDir();
  const path = join(dir, 'journal.sqlite');
  journalWithRuns(path, 3000);
  const out = tempDir();
  const target = join(out, 'online.sqlite');
  const lab = Lab.open({ journalPath: path, workers: 1, validateResults: true });
  try {
    await lab.call('runs.list', {}); // open before the backup starts
    const order: string[] = [];
    const backedUp = lab.call('journal.backup', { path: target }).then((r) => (order.push('backup'), r));
    const listed = lab.call('runs.list', {}).then((r) => (order.push('list'), r));
    const [made, list] = await Promise.all([backedUp, listed]);
    assert.deepEqual(order, ['list', 'backup'], 'the list was answered while the backup copied');
    assert.equal(list.total, 3000);
    assert.equal(made.path, target);
  } finally {
    await lab.close();
  }
  assert.equal(statSync(target).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(out), ['online.sqlite'], 'no partial copy left');
  const copy = openJournal(target, { readonly: true });
  try {
    assert.equal(copy.runs.listRuns().total, 3000);
    assert.deepEqual(copy.checkIntegrity(), []);
  } finally {
    copy.close();
  }
});

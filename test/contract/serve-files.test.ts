// File paths through the API: over serve's WebSocket (and a desktop page's
// port) journal.backup and journal.merge take paths only inside the folder
// the host allows, never through symbolic links, and say nothing of files
// outside it; in process (the CLI) the user's paths are free.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ApiError, LabClient, Lab, startServer, webSocketTransport, type RunningServer } from '../../service/index.ts';
import { confinedPath } from '../../service/transport/file-access.ts';
import { cleanupTempDirs, doneRun, tempDir, withJournal } from '../fixtures/journal-helpers.ts';
import { runCli } from './cli-run.ts';

after(cleanupTempDirs);

async function served(filesDir: string | null, fn: (client: LabClient, server: RunningServer, dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const lab = Lab.open({ journalPath: join(dir, 'journal.sqlite'), workers: 1, validateResults: true });
  const server = await startServer({ lab, port: 0, staticDir: join(dir, 'no-ui'), filesDir });
  const client = new LabClient(webSocketTransport(`ws://127.0.0.1:${server.port}/api?token=${encodeURIComponent(server.token)}`, { WebSocketImpl: WebSocket, reconnect: false }));
  try {
    await fn(client, server, dir);
  } finally {
    client.close();
    await server.close();
    await lab.close();
  }
}

/** The call fails `invalid` on `path` with a message matching `message`; returns the message. */
async function refused(call: Promise<unknown>, message: RegExp): Promise<string> {
  let text = '';
  await assert.rejects(call, (e: unknown) => {
    assert.ok(e instanceof ApiError && e.code === 'invalid', String(e));
    assert.equal(e.fields[0]?.path, 'path');
    text = e.fields[0]?.message ?? '';
    assert.match(text, message);
    return true;
  });
  return text;
}

test('without --files, serve refuses every file path and says how to allow them', async () => {
  await served(null, async (client, _server, dir) => {
    const target = join(dir, 'backup.sqlite');
    await refused(client.call('journal.backup', { path: target }), /file access through the API is off.*--files DIR/);
    await refused(client.call('journal.merge', { path: join(dir, 'journal.sqlite') }), /file access through the API is off/);
    assert.equal(existsSync(target), false);
    // The schema still answers for a missing path.
    await assert.rejects(client.call('journal.backup', {} as never), (e: unknown) => e instanceof ApiError && e.code === 'invalid' && e.fields[0]?.path === 'path');
  });
});

test('with --files DIR: backups and merges inside DIR work; outside, through links or traversal, one answer that reveals nothing', async () => {
  const files = tempDir();
  const outside = tempDir();
  // A journal outside the folder, and links planted inside it that lead out.
  const foreign = join(outside, 'other.sqlite');
  withJournal(foreign, (j) => j.runs.insertRunsBulk([doneRun('foreign', { throughputGbps: 1 })]));
  symlinkSync(foreign, join(files, 'link-to-foreign.sqlite'));
  symlinkSync(outside, join(files, 'out'));
  symlinkSync(join(outside, 'nowhere', 'authorized_keys'), join(files, 'dangling.sqlite'));
  mkdirSync(join(files, 'sub'));

  await served(files, async (client) => {
    // Inside: relative names are taken from the folder.
    const made = await client.call('journal.backup', { path: 'sub/b.sqlite' });
    assert.equal(made.path, join(files, 'sub', 'b.sqlite'));
    assert.ok(existsSync(made.path));
    assert.equal((await client.call('journal.merge', { path: join(files, 'sub', 'b.sqlite') })).runsAdded, 0);

    // Outside: an existing file and a missing one get the very same answer.
    const existing = await refused(client.call('journal.merge', { path: foreign }), /must name a file inside the folder the host allows/);
    const missing = await refused(client.call('journal.merge', { path: join(outside, 'missing.sqlite') }), /must name a file inside/);
    assert.equal(existing, missing, 'nothing tells an existing file outside from a missing one');
    await refused(client.call('journal.merge', { path: '../../../../etc/passwd' }), /must name a file inside/);
    await refused(client.call('journal.backup', { path: '../../.ssh/authorized_keys' }), /must name a file inside/);
    // Through a linked folder, existing or not: the same answer again.
    assert.equal(await refused(client.call('journal.merge', { path: 'out/other.sqlite' }), /must name a file inside/), existing);
    assert.equal(await refused(client.call('journal.backup', { path: 'out/new.sqlite' }), /must name a file inside/), existing);
    assert.equal(await refused(client.call('journal.backup', { path: 'no-such-folder/new.sqlite' }), /must name a file inside/), existing);
    // A link as the file itself, dangling or not, is never followed.
    await refused(client.call('journal.merge', { path: 'link-to-foreign.sqlite' }), /symbolic link/);
    await refused(client.call('journal.backup', { path: 'dangling.sqlite' }), /symbolic link/);
    await refused(client.call('journal.backup', { path: 'sub/b.sqlite' }), /already exists/);
    await refused(client.call('journal.backup', { path: '.' }), /must name a file inside/);
  });
  assert.deepEqual(readdirSync(outside).sort(), ['other.sqlite'], 'nothing was written outside the folder');
  assert.equal(existsSync(join(outside, 'nowhere')), false);
});

test('in process the paths are the user\'s: a backup anywhere they can write', async () => {
  const dir = tempDir();
  const lab = Lab.open({ journalPath: join(dir, 'journal.sqlite'), workers: 1 });
  try {
    const elsewhere = join(tempDir(), 'copy.sqlite');
    assert.equal((await lab.call('journal.backup', { path: elsewhere })).path, elsewhere);
  } finally {
    await lab.close();
  }
});

test('confinedPath refuses NUL and the folder itself', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'x'), '');
  assert.throws(() => confinedPath(dir, 'a\0b', 'write'), /NUL/);
  assert.throws(() => confinedPath(dir, dir, 'read'), /must name a file inside/);
  assert.equal(confinedPath(dir, 'x', 'read'), join(dir, 'x'));
});

test('serve --files must name an existing folder', async () => {
  const r = await runCli(['serve', '--files', join(tempDir(), 'missing'), '--journal', join(tempDir(), 'j.sqlite')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /^iommu-lab: --files: .*missing is not an existing folder\n$/);
});

test('static files never follow a symbolic link out of the served folder', async () => {
  const dist = tempDir();
  const secrets = tempDir();
  writeFileSync(join(secrets, 'secret.txt'), 'not for the browser');
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>lab</title>');
  writeFileSync(join(dist, 'inside.txt'), 'served');
  symlinkSync(join(secrets, 'secret.txt'), join(dist, 'leak.txt'));
  symlinkSync(secrets, join(dist, 'assets'));
  symlinkSync(join(dist, 'inside.txt'), join(dist, 'alias.txt'));
  const lab = Lab.open({ journalPath: join(tempDir(), 'journal.sqlite'), workers: 1 });
  const server = await startServer({ lab, port: 0, staticDir: dist });
  try {
    for (const path of ['/leak.txt', '/assets/secret.txt']) {
      const r = await fetch(new URL(path, server.url));
      assert.equal(r.status, 403, path);
      assert.doesNotMatch(await r.text(), /not for the browser/);
    }
    const alias = await fetch(new URL('/alias.txt', server.url));
    assert.equal(alias.status, 200, 'a link that stays inside is served');
    assert.equal(await alias.text(), 'served');
  } finally {
    await server.close();
    await lab.close();
  }
});

test('the link serve --open hands the browser carries no token, works once, then is refused', async () => {
  const dist = tempDir();
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>lab</title>');
  const lab = Lab.open({ journalPath: join(tempDir(), 'journal.sqlite'), workers: 1 });
  const server = await startServer({ lab, port: 0, staticDir: dist });
  try {
    const link = server.oneTimeOpenUrl();
    assert.ok(!link.includes(server.token) && !link.includes(encodeURIComponent(server.token)), 'the token is not in the link');
    const first = await fetch(link, { redirect: 'manual' });
    assert.equal(first.status, 302);
    assert.equal(first.headers.get('location'), `/?token=${encodeURIComponent(server.token)}`);
    const again = await fetch(link, { redirect: 'manual' });
    assert.equal(again.status, 410, 'a used link is refused');
    const forged = await fetch(new URL('/open/not-a-nonce', server.url), { redirect: 'manual' });
    assert.equal(forged.status, 410);
  } finally {
    await server.close();
    await lab.close();
  }
});

test('an import the API takes (20 MiB of text) is not cut off by the WebSocket: it gets its answer', async () => {
  await served(null, async (client) => {
    const text = `{"start": ${JSON.stringify('x'.repeat(20 * 2 ** 20))}}`;
    await assert.rejects(client.call('measurements.import', { tool: 'iperf3', text, benchmark: 'rx' }), (e: unknown) => e instanceof ApiError && e.code !== 'unavailable' && e.code !== 'internal');
    assert.equal((await client.call('runs.list', {})).total, 0, 'the connection is still up');
  });
});

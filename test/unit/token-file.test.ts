// `serve --token-file`: the token a bookmarked address keeps across restarts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { MIN_TOKEN_CHARS, tokenFromFile } from '../../service/transport/http-server.ts';
import { cliBin } from '../contract/cli-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-token-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('tokenFromFile', () => {
  it('creates a missing file with a fresh token, readable by its owner only, and reads the same token back', () => {
    const path = join(dir, 'fresh');
    const first = tokenFromFile(path);
    assert.equal(first.created, true);
    assert.ok(first.token.length >= MIN_TOKEN_CHARS);
    assert.equal(readFileSync(path, 'utf8').trim(), first.token);
    if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
    const again = tokenFromFile(path);
    assert.deepEqual(again, { token: first.token, created: false });
    assert.notEqual(tokenFromFile(join(dir, 'other')).token, first.token, 'each new file gets its own random token');
  });

  it('keeps a token the user wrote, trimmed', () => {
    const path = join(dir, 'mine');
    writeFileSync(path, '  my-own-token-of-24-chars\n', { mode: 0o600 });
    assert.deepEqual(tokenFromFile(path), { token: 'my-own-token-of-24-chars', created: false });
  });

  it('refuses a file others can read, naming the file and the fix', { skip: process.platform === 'win32' }, () => {
    const path = join(dir, 'open');
    writeFileSync(path, 'a-token-long-enough-here\n');
    chmodSync(path, 0o644);
    assert.throws(() => tokenFromFile(path), { message: `${path}: the token file is readable by other users (mode 644); run chmod 600 ${path}` });
  });

  it('refuses a short token, a link and a folder', { skip: process.platform === 'win32' }, () => {
    const short = join(dir, 'short');
    writeFileSync(short, 'short\n', { mode: 0o600 });
    assert.throws(() => tokenFromFile(short), /at least 16 characters without spaces; delete it to get a fresh one/);
    const link = join(dir, 'link');
    symlinkSync(join(dir, 'mine'), link);
    assert.throws(() => tokenFromFile(link), /must be a regular file/);
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    assert.throws(() => tokenFromFile(folder), /must be a regular file/);
  });

  it('says why it cannot create the file', () => {
    assert.throws(() => tokenFromFile(join(dir, 'no-such-folder', 'token')), /no-such-folder\/token: cannot create the token file \(ENOENT/);
  });
});

describe('serve --token-file', () => {
  it('refuses a token file others can read as a usage error, before listening', { skip: process.platform === 'win32' }, () => {
    const path = join(dir, 'shared-token');
    writeFileSync(path, 'a-token-long-enough-here\n');
    chmodSync(path, 0o644);
    const r = spawnSync(process.execPath, [cliBin, 'serve', '--port', '0', '--journal', join(dir, 'j.db'), '--token-file', path], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--token-file: .*shared-token: the token file is readable by other users \(mode 644\); run chmod 600/);
    assert.doesNotMatch(r.stdout, /Listening on/);
  });
});

// `npm start` rebuilds the UI when renderer/dist is missing or older than any
// source the bundle is made of, not only when it is missing.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { uiBuildReason } from '../../scripts/ui-staleness.mjs';
import { cleanupTempDirs, tempDir } from '../fixtures/journal-helpers.ts';

after(cleanupTempDirs);

const BUILT_S = 1_700_000_000; // the last UI build, in seconds since the epoch

/** A project tree with every file at `BUILT_S - 60` (older than the build) and the build at BUILT_S. */
function project(files: string[]): string {
  const root = tempDir();
  for (const f of [...files, 'renderer/dist/index.html']) {
    const path = join(root, f);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '');
    utimesSync(path, BUILT_S - 60, BUILT_S - 60);
  }
  utimesSync(join(root, 'renderer/dist/index.html'), BUILT_S, BUILT_S);
  return root;
}

const touch = (root: string, file: string, seconds: number) => utimesSync(join(root, file), seconds, seconds);
const SOURCES = ['renderer/index.html', 'renderer/vite.config.ts', 'renderer/src/App.svelte', 'renderer/src/lib/api.ts', 'service/protocol/index.ts', 'core/model/scenario.ts'];

test('a build newer than every source is current', () => {
  assert.equal(uiBuildReason(project(SOURCES)), null);
});

test('a missing build needs one', () => {
  const root = project(SOURCES);
  rmSync(join(root, 'renderer/dist'), { recursive: true });
  assert.equal(uiBuildReason(root), 'renderer/dist is missing');
});

for (const file of SOURCES) {
  test(`${file} changed after the build: rebuild, naming it`, () => {
    const root = project(SOURCES);
    touch(root, file, BUILT_S + 1);
    assert.equal(uiBuildReason(root), `${file} changed after the last UI build`);
  });
}

test('the build output itself, installed packages and tests never make it stale', () => {
  const root = project([...SOURCES, 'renderer/dist/assets/index.js', 'renderer/node_modules/x/index.js', 'renderer/src/lib/api.test.ts', 'service/.cache/x']);
  for (const f of ['renderer/dist/assets/index.js', 'renderer/node_modules/x/index.js', 'renderer/src/lib/api.test.ts', 'service/.cache/x']) touch(root, f, BUILT_S + 100);
  assert.equal(uiBuildReason(root), null);
});

test('a file modified in the same second as the build does not count; one a moment later does', () => {
  const root = project(SOURCES);
  touch(root, 'renderer/src/App.svelte', BUILT_S);
  assert.equal(uiBuildReason(root), null);
  touch(root, 'renderer/src/App.svelte', BUILT_S + 0.5);
  assert.match(uiBuildReason(root) ?? '', /^renderer\/src\/App\.svelte changed/);
});

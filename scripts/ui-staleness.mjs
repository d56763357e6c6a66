// Whether the built UI (renderer/dist) is older than what it is built from,
// so that `npm start` rebuilds it after a source change instead of serving
// yesterday's UI. The UI bundles renderer/ and the modules it imports from the
// rest of the project (the protocol, scenario schema and estimate in core/ and
// service/, the desktop bridge's types), so a change to any of them counts.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** What the UI bundle is made of, relative to the project root. */
export const UI_SOURCES = ['renderer', 'core', 'service', 'electron/bridge.ts'];

/** The build's output; its index.html is written last by vite, so its time is the build's. */
export const UI_BUILT_INDEX = 'renderer/dist/index.html';

// Not part of the bundle: the build's own output, installed packages, and tests.
const SKIPPED_DIRS = new Set(['dist', 'node_modules']);
const isTest = (name) => /\.test\.[cm]?[jt]s$/.test(name);

/** The first source file (depth first) modified after `sinceMs`, or null. */
function newerFile(path, sinceMs) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return null; // a listed source that does not exist in this checkout
  }
  if (!stat.isDirectory()) return stat.mtimeMs > sinceMs ? path : null;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || (entry.isDirectory() && SKIPPED_DIRS.has(entry.name)) || (!entry.isDirectory() && isTest(entry.name))) continue;
    const found = newerFile(join(path, entry.name), sinceMs);
    if (found) return found;
  }
  return null;
}

/**
 * Why the UI needs a build, or null when renderer/dist is current:
 * "renderer/dist is missing", or "renderer/src/App.svelte changed after the last UI build".
 */
export function uiBuildReason(root, { sources = UI_SOURCES, builtIndex = UI_BUILT_INDEX } = {}) {
  let builtMs;
  try {
    builtMs = statSync(join(root, builtIndex)).mtimeMs;
  } catch {
    return `${builtIndex.replace(/\/index\.html$/, '')} is missing`;
  }
  for (const source of sources) {
    const changed = newerFile(join(root, source), builtMs);
    if (changed) return `${relative(root, changed)} changed after the last UI build`;
  }
  return null;
}

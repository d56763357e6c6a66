// Compiles the `iommu-lab` command to JavaScript; bin/iommu-lab.js runs it.
//   out/cli/main.js                  argv parsing and the command definitions, nothing more
//   out/cli/*-HASH.js                chunks a command imports when it runs (the service, the
//                                    SQLite driver, zod, the simulation core), shared between commands
//   out/cli/workers/jobs.worker.js   the worker thread for simulations, calibrations and analyses
// `npm ci` runs it (prepare), and so do `npm start` and `npm test`. It takes about a second.
// better-sqlite3 stays external: a native module, loaded from node_modules.
// Usage: node scripts/build-cli.mjs [--outdir DIR]   (tests build into a temp folder)
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const CLI_OUTDIR = `${root}out${sep}cli`;

/**
 * zod's `z` namespace carries every locale (300 kB, half of zod) that each
 * command would parse at start; the project only uses English, zod's default.
 */
const englishOnlyZod = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export { default as en } from "./en.js";', loader: 'js' }));
  },
};

/** Builds into `outdir` (replacing it) and returns esbuild's metafile: which inputs each output holds and what it imports. */
export async function buildCli({ outdir = CLI_OUTDIR } = {}) {
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'cli/main.ts', 'workers/jobs.worker': 'service/workers/jobs.worker.ts' },
    outdir,
    bundle: true,
    // Commands load their dependencies with import(): each gets its own chunks, shared where they overlap.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['better-sqlite3', 'bufferutil', 'utf-8-validate'],
    // Bundled CommonJS dependencies call require(); ESM output has none unless we make one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    // Less to parse at every start; names are kept for error classes and stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [englishOnlyZod],
  });
  return result.metafile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const flag = process.argv.indexOf('--outdir');
  const outdir = flag > 0 && process.argv[flag + 1] ? resolve(process.argv[flag + 1]) : CLI_OUTDIR;
  const metafile = await buildCli({ outdir });
  const files = Object.keys(metafile.outputs).filter((f) => f.endsWith('.js'));
  console.log(`built ${outdir}: ${files.length} files`);
}

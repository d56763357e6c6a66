// Compiles the `iommu-lab` command to JavaScript; bin/iommu-lab.js runs it.
//   out/cli/main.js                  argv parsing and the command definitions, nothing more
//   out/cli/*-HASH.js                chunks a command imports when it runs (the progress bar,
//                                    the service loader), and the worker's chunks
//   out/cli/service.cjs              the service (with zod, the simulation core, the SQLite
//                                    driver's binding) as one CommonJS file, and its V8 code
//                                    cache service.cjs.cache (see cli-load-service.mjs)
//   out/cli/workers/jobs.worker.js   the worker thread for simulations, calibrations and analyses
// `npm ci` runs it (prepare), and so do `npm start` and `npm test`. It takes about a second.
// better-sqlite3 stays external: a native module, loaded from node_modules.
// Usage: node scripts/build-cli.mjs [--outdir DIR]   (tests build into a temp folder)
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
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

const LOADER = join(root, 'scripts', 'cli-load-service.mjs');
/** The compiled command loads the service through cli-load-service.mjs, not with import(). */
const serviceLoader = {
  name: 'service-loader',
  setup(b) {
    b.onResolve({ filter: /[\\/]service-module\.ts$/ }, () => ({ path: LOADER }));
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'bufferutil', 'utf-8-validate'],
  // Less to parse at every start; names are kept for error classes and stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
};

/** Writes `file`.cache: V8's code for the bundle once its top level has run, from a fresh process of this Node. */
function writeCodeCache(file) {
  const code = `import { writeFileSync } from 'node:fs';
import { runWithCodeCache } from ${JSON.stringify(LOADER)};
const file = ${JSON.stringify(file)};
writeFileSync(file + '.cache', runWithCodeCache(file).script.createCachedData());`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot write the code cache of ${file}: ${r.stderr}`);
}

/**
 * Builds into `outdir` (replacing it) and returns esbuild's metafiles (which
 * inputs each output holds and what it imports): `esm` for main.js, its chunks
 * and the worker, `service` for service.cjs.
 */
export async function buildCli({ outdir = CLI_OUTDIR } = {}) {
  await rm(outdir, { recursive: true, force: true });
  const [esm, service] = await Promise.all([
    build({
      ...common,
      entryPoints: { main: 'cli/main.ts', 'workers/jobs.worker': 'service/workers/jobs.worker.ts' },
      outdir,
      // Commands load their dependencies with import(): each gets its own chunks, shared where they overlap.
      splitting: true,
      format: 'esm',
      // Bundled CommonJS dependencies call require(); ESM output has none unless we make one.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      plugins: [englishOnlyZod, serviceLoader],
    }),
    build({
      ...common,
      entryPoints: ['service/index.ts'],
      outfile: join(outdir, 'service.cjs'),
      format: 'cjs',
      // The service's ESM reads import.meta.url at its top level: in CommonJS it is this file's URL. It resolves
      // modules only to start TypeScript workers (tsx), which the compiled command never does: it passes compiled ones.
      define: { 'import.meta.url': '__importMetaUrl', 'import.meta.resolve': '__importMetaResolve' },
      banner: {
        js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href; const __importMetaResolve = (s) => { throw new Error(`the compiled service cannot resolve ${s}`); };",
      },
      plugins: [englishOnlyZod],
    }),
  ]);
  writeCodeCache(join(outdir, 'service.cjs'));
  return { esm: esm.metafile, service: service.metafile };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const flag = process.argv.indexOf('--outdir');
  const outdir = flag > 0 && process.argv[flag + 1] ? resolve(process.argv[flag + 1]) : CLI_OUTDIR;
  const { esm } = await buildCli({ outdir });
  const files = Object.keys(esm.outputs).filter((f) => f.endsWith('.js'));
  console.log(`built ${outdir}: ${files.length} ES modules, service.cjs and its code cache`);
}

// Bundles the desktop shell for Electron, which cannot run TypeScript:
//   out/electron/main.js                   main process (ESM)
//   out/electron/preload.cjs               sandboxed preload (one CommonJS file; it may require only electron)
//   out/electron/service-host.js           utility process hosting the service (ESM)
//   out/electron/workers/jobs.worker.js    worker thread for simulations and analyses (ESM)
// better-sqlite3 stays external: it is a native module, rebuilt for Electron's ABI when packaging.
// Usage: node electron/build.mjs [--outdir DIR]   (tests build into a temp folder)
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdirFlag = process.argv.indexOf('--outdir');
const outdir = outdirFlag > 0 && process.argv[outdirFlag + 1] ? resolve(process.argv[outdirFlag + 1]) : `${root}out/electron`;

const external = ['electron', 'better-sqlite3', 'bufferutil', 'utf-8-validate'];
// Bundled CommonJS dependencies call require(); ESM output has none unless we make one.
const esmBanner = { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" };

const common = {
  bundle: true,
  platform: 'node',
  // Electron 45 ships Node 22.
  target: 'node22',
  external,
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
};

await rm(outdir, { recursive: true, force: true });

const results = await Promise.all([
  build({ ...common, entryPoints: ['electron/main.ts'], outfile: `${outdir}/main.js`, format: 'esm', banner: esmBanner }),
  build({ ...common, entryPoints: ['electron/service-host.ts'], outfile: `${outdir}/service-host.js`, format: 'esm', banner: esmBanner }),
  // The service host passes this file to Lab.open({ workerUrl }): the scheduler's default points at the .ts source.
  build({ ...common, entryPoints: ['service/workers/jobs.worker.ts'], outfile: `${outdir}/workers/jobs.worker.js`, format: 'esm', banner: esmBanner }),
  build({ ...common, entryPoints: ['electron/preload.ts'], outfile: `${outdir}/preload.cjs`, format: 'cjs', sourcemap: 'inline', metafile: true }),
]);

// A sandboxed preload gets a require() that knows `electron` and a few polyfills only: anything else would fail at runtime.
const preloadImports = Object.values(results[3].metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
const foreign = preloadImports.filter((p) => p !== 'electron');
if (foreign.length) throw new Error(`the sandboxed preload must import only electron, but imports: ${foreign.join(', ')}`);

console.log(`built ${outdir}: main.js, preload.cjs, service-host.js, workers/jobs.worker.js`);

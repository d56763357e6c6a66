// The compiled command (scripts/build-cli.mjs): start-up loads the command
// definitions only, and each command's dependencies come in chunks it imports
// when it runs. Start-up time itself is measured by the benchmark
// (bench/cli-startup.ts); this test pins what makes it short.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli } from '../../scripts/build-cli.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Inside the project, as out/cli is: the build resolves better-sqlite3 from node_modules at run time.
mkdirSync(join(root, 'out'), { recursive: true });
const outdir = mkdtempSync(join(root, 'out', 'cli-build-test-'));
after(() => rmSync(outdir, { recursive: true, force: true }));

interface Output {
  imports: { path: string; kind: string; external?: boolean }[];
  inputs: Record<string, unknown>;
}
const built: { esm: { outputs: Record<string, Output> }; service: { outputs: Record<string, Output> } } = await buildCli({ outdir });
const outputs = new Map(Object.entries(built.esm.outputs).map(([path, o]) => [join(root, path), o]));
const outputOf = (name: string): Output => {
  const o = outputs.get(join(outdir, name));
  assert.ok(o, `the build wrote ${name}`);
  return o;
};

/** Inputs and external packages a file loads before its first line runs: its static imports, transitively. */
function loadedAtStart(name: string): { inputs: Set<string>; externals: Set<string> } {
  const inputs = new Set<string>();
  const externals = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const o = outputs.get(file);
    assert.ok(o, `the build wrote ${relative(outdir, file)}`);
    for (const input of Object.keys(o.inputs)) inputs.add(input);
    for (const i of o.imports) {
      if (i.kind !== 'import-statement') continue;
      if (i.external) externals.add(i.path);
      else visit(join(root, i.path));
    }
  };
  visit(join(outdir, name));
  return { inputs, externals };
}

test('start-up loads commander and the command definitions, not the service, zod, SQLite or the simulation core', () => {
  const { inputs, externals } = loadedAtStart('main.js');
  assert.ok([...inputs].some((i) => i.startsWith('cli/commands/')), 'the command definitions are in the start-up chunk');
  assert.ok([...inputs].some((i) => i.includes('node_modules/commander/')));
  // The protocol's plain modules (the metric catalog, status lists) carry no schema: help texts and tables may use them.
  const plain = /^service\/protocol\/(metrics|constants)\.ts$/;
  const heavy = [...inputs].filter((i) => !plain.test(i) && /^(core|db|service)\/|node_modules\/(zod|ws|cli-progress|@stdlib|ml-|csv-stringify)/.test(i));
  assert.deepEqual(heavy, [], 'nothing heavy is imported statically from main.js');
  assert.ok(!externals.has('better-sqlite3'), 'the SQLite driver loads only with a journal');
});

test('the service is one CommonJS file whose V8 code cache this Node accepts; the progress bar is a chunk of its own', () => {
  const service = Object.values(built.service.outputs).find((o) => Object.keys(o.inputs).includes('service/lab.ts'));
  assert.ok(service, 'service.cjs holds the service');
  assert.ok(!Object.keys(service.inputs).some((i) => i.includes('node_modules/better-sqlite3/')), 'the SQLite driver stays outside the bundle');
  assert.match(readFileSync(join(outdir, 'service.cjs'), 'utf8'), /\("better-sqlite3"\)/, 'and is required when a journal first opens (db/driver.ts)');
  assert.ok(existsSync(join(outdir, 'service.cjs.cache')));
  const loader = new URL('../../scripts/cli-load-service.mjs', import.meta.url).href;
  const probe = `import { runWithCodeCache } from ${JSON.stringify(loader)};
const { exports, script } = runWithCodeCache(${JSON.stringify(join(outdir, 'service.cjs'))});
console.log(JSON.stringify({ rejected: script.cachedDataRejected, lab: typeof exports.Lab }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { rejected: false, lab: 'function' });

  const main = outputOf('main.js');
  const dynamic = main.imports.filter((i) => i.kind === 'dynamic-import').map((i) => loadedAtStart(relative(outdir, join(root, i.path))));
  assert.ok(dynamic.some((d) => [...d.inputs].some((i) => i.includes('node_modules/cli-progress/'))), 'the progress bar loads on demand');
});

test('zod is bundled with its English messages only', () => {
  const all = new Set([...outputs.values(), ...Object.values(built.service.outputs)].flatMap((o) => Object.keys(o.inputs)));
  assert.ok([...all].some((i) => i.endsWith('node_modules/zod/v4/locales/en.js')));
  assert.deepEqual([...all].filter((i) => /node_modules\/zod\/v4\/locales\/(?!en\.js|index\.js)/.test(i)), []);
});

test('the worker entry is compiled beside the chunks and loads no TypeScript', () => {
  const worker = loadedAtStart('workers/jobs.worker.js');
  assert.ok(worker.inputs.has('service/workers/jobs.worker.ts'));
  assert.ok([...worker.inputs].some((i) => i.startsWith('core/')), 'the worker carries the simulation core');
});

test('the compiled build runs on its own: --help, and a usage error exits 2 naming the option', () => {
  const bin = join(outdir, 'bin.mjs');
  writeFileSync(bin, "const { main } = await import('./main.js');\nprocess.exitCode = await main(process.argv.slice(2));\n");
  const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: iommu-lab/);
  const bad = spawnSync(process.execPath, [bin, 'runs', 'list', '--limit', '0'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--limit must be a whole number from 1 to 1000/);
});

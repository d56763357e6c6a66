// The compiled command (scripts/build-cli.mjs): start-up loads the command
// definitions only, and each command's dependencies come in chunks it imports
// when it runs. Start-up time itself is measured by the benchmark
// (bench/cli-startup.ts); this test pins what makes it short.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli } from '../../scripts/build-cli.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outdir = mkdtempSync(join(tmpdir(), 'iommu-lab-cli-build-'));
after(() => rmSync(outdir, { recursive: true, force: true }));

interface Output {
  imports: { path: string; kind: string; external?: boolean }[];
  inputs: Record<string, unknown>;
}
const metafile: { outputs: Record<string, Output> } = await buildCli({ outdir });
const outputs = new Map(Object.entries(metafile.outputs).map(([path, o]) => [join(root, path), o]));
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
  const heavy = [...inputs].filter((i) => /^(core|db|service)\/|node_modules\/(zod|ws|cli-progress|@stdlib|ml-|csv-stringify)/.test(i));
  assert.deepEqual(heavy, [], 'nothing heavy is imported statically from main.js');
  assert.ok(!externals.has('better-sqlite3'), 'the SQLite driver loads only with a journal');
});

test('the service, with the SQLite driver, is one dynamic import away; the progress bar another', () => {
  const main = outputOf('main.js');
  const dynamic = main.imports.filter((i) => i.kind === 'dynamic-import').map((i) => loadedAtStart(relative(outdir, join(root, i.path))));
  assert.ok(dynamic.some((d) => d.externals.has('better-sqlite3') && [...d.inputs].includes('service/lab.ts')), 'a chunk main.js imports on demand holds the service');
  assert.ok(dynamic.some((d) => [...d.inputs].some((i) => i.includes('node_modules/cli-progress/')) && !d.externals.has('better-sqlite3')), 'the progress bar loads apart');
});

test('zod is bundled with its English messages only', () => {
  const all = new Set([...outputs.values()].flatMap((o) => Object.keys(o.inputs)));
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

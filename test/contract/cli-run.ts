// Runs the installed command as users do: the compiled bin, one process per
// call. A missing or stale build fails loudly instead of testing old code.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const cliBin = join(root, 'bin/iommu-lab.js');
const built = join(root, 'out/cli/main.js');

/** Newest modification time of the sources the compiled command is made of. */
function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path));
    else if (/\.(ts|mjs)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function assertBuiltAndCurrent(): void {
  let builtMs: number;
  try {
    builtMs = statSync(built).mtimeMs;
  } catch {
    throw new Error('the command is not compiled: run `npm run build:cli` (npm run test:unit does)');
  }
  const stale = ['cli', 'service', 'core', 'db', 'scripts'].some((dir) => newestSourceMs(join(root, dir)) > builtMs);
  if (stale) throw new Error('out/cli is older than the sources: run `npm run build:cli` (npm run test:unit does)');
}
assertBuiltAndCurrent();

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

export function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliBin, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

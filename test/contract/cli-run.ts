// Runs the installed command as users do: the compiled bin, one process per
// call. A missing or stale build fails loudly instead of testing old code.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { openJournal } from '../../db/index.ts';

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

/** The statuses of a journal's runs, oldest first ([] while it is not there or not migrated yet). */
export function journalStatuses(path: string): string[] {
  if (!existsSync(path)) return [];
  try {
    const journal = openJournal(path, { readonly: true });
    try {
      return journal.runs.listRuns({ sort: { by: 'created_at', dir: 'asc' }, page: { limit: 1000 } }).rows.map((r) => r.status);
    } finally {
      journal.close();
    }
  } catch {
    return []; // created but not migrated yet
  }
}

/** Runs the command, sends SIGINT once one of its runs is running, and collects what it printed. */
export async function interruptOnceRunning(argv: string[], journal: string): Promise<CliResult> {
  const child = spawn(process.execPath, [cliBin, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  for (let i = 0; i < 600 && !journalStatuses(journal).includes('running'); i++) await sleep(50);
  child.kill('SIGINT');
  return { code: await closed, out, err };
}

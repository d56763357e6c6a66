// Start-up of the installed command, whole process: `iommu-lab --help`,
// `policy` and `runs list` on a 1000-run journal, each against `node -e 0`
// measured in the same run. Each figure is the median of several wall times
// of a spawned process; the commands take turns so that a burst of load on
// the machine hits them all alike.
// Run alone: node --import tsx bench/cli-startup.ts [path/to/bin.js]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openJournal } from '../db/index.ts';
import { fillJournal } from './journal.ts';

/** What users run: the compiled command (npm run build:cli writes it). */
export const CLI_BIN = fileURLToPath(new URL('../bin/iommu-lab.js', import.meta.url));
/** The bound of the start-up budget: each command within this many times `node -e 0`. */
export const MAX_STARTUP_RATIO = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function wallMs(args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

export function benchCliStartup(opts: { bin?: string; repeats?: number; journalRuns?: number } = {}) {
  const bin = opts.bin ?? CLI_BIN;
  const repeats = opts.repeats ?? 5;
  const journalRuns = opts.journalRuns ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-bench-cli-'));
  try {
    const journalPath = join(dir, 'runs.db');
    const journal = openJournal(journalPath);
    fillJournal(journal, journalRuns);
    journal.close();
    // No command may touch the user's journal, even by default.
    const env = { ...process.env, IOMMU_LAB_JOURNAL: join(dir, 'default.db') };
    const commands: Record<string, string[]> = {
      help: [bin, '--help'],
      policy: [bin, 'policy', '--kernel', '6.3', '--caps', 'cm,sm,flts'],
      runsList: [bin, 'runs', 'list', '--journal', journalPath],
    };
    const baseline = ['-e', '0'];
    // One untimed round first: the file cache holds every module after it.
    wallMs(baseline, env);
    for (const args of Object.values(commands)) wallMs(args, env);
    const times: Record<string, number[]> = { node: [], ...Object.fromEntries(Object.keys(commands).map((k) => [k, []])) };
    for (let i = 0; i < repeats; i++) {
      times.node!.push(wallMs(baseline, env));
      for (const [name, args] of Object.entries(commands)) times[name]!.push(wallMs(args, env));
    }
    const nodeMs = median(times.node!);
    const perCommand = Object.fromEntries(
      Object.keys(commands).map((name) => {
        const ms = median(times[name]!);
        return [name, { medianMs: +ms.toFixed(1), ratio: +(ms / nodeMs).toFixed(2), withinBound: ms / nodeMs <= MAX_STARTUP_RATIO }];
      }),
    );
    return { repeats, journalRuns, nodeMedianMs: +nodeMs.toFixed(1), maxRatio: MAX_STARTUP_RATIO, commands: perCommand };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(benchCliStartup({ ...(process.argv[2] ? { bin: process.argv[2] } : {}), repeats: Number(process.env.BENCH_REPEATS ?? 5) }), null, 2));
}

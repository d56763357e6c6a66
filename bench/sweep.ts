// A 10k-run sweep of short runs (durationMs 3) through the compiled
// `iommu-lab sweep`, whole process: wall time and peak RSS (the main thread,
// its workers and SQLite together, as the user's system monitor shows it).
// Peak RSS is the kernel's high-water mark (VmHWM in /proc/PID/status, Linux),
// read until the process exits. Takes a minute or more on two cores: run by
// `npm run bench` only with BENCH_SWEEP10K=1, or alone:
//   node --import tsx bench/sweep.ts [runs]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN } from './cli-startup.ts';

const BACKENDS = ['nested-fl', 'shadow-sl', 'none', 'shadow-fl-wp'];
const POLICIES = ['strict', 'lazy'];
const QUEUE_SIZES = [64, 128, 256, 512, 1024];

/** The kernel's peak RSS of a live process, in KiB (0 when it cannot be read: gone, or not Linux). */
function peakRssKiB(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export async function benchSweep(opts: { runs?: number; bin?: string } = {}) {
  const points = BACKENDS.length * POLICIES.length * QUEUE_SIZES.length;
  const seeds = Math.max(1, Math.round((opts.runs ?? 10_000) / points));
  const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-bench-sweep-'));
  try {
    const spec = join(dir, 'sweep.json');
    writeFileSync(
      spec,
      JSON.stringify({
        name: 'bench sweep',
        base: { preset: 'seed-after-fix', overrides: ['durationMs=3', 'warmupMs=0'] },
        grid: { 'viommu.backend': BACKENDS, policy: POLICIES, 'flushQueue.size': QUEUE_SIZES },
        seeds,
      }),
    );
    const loadBefore = +loadavg()[0]!.toFixed(2);
    const t0 = performance.now();
    const child = spawn(process.execPath, [opts.bin ?? CLI_BIN, 'sweep', spec, '--json', '--journal', join(dir, 'journal.sqlite')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let peakKiB = 0;
    const poll = setInterval(() => (peakKiB = Math.max(peakKiB, peakRssKiB(child.pid ?? 0))), 100);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // The last reading before exit: the process is still there when its pipes close.
    child.stdout.on('end', () => (peakKiB = Math.max(peakKiB, peakRssKiB(child.pid ?? 0))));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(poll);
    const seconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`sweep exited ${code}: ${err.slice(-2000)}`);
    const ended = (JSON.parse(out) as { runs: { status: string }[] }).runs;
    return {
      runs: ended.length,
      done: ended.filter((r) => r.status === 'done').length,
      seconds: +seconds.toFixed(1),
      runsPerSec: Math.round(ended.length / seconds),
      peakRssMiB: peakKiB === 0 ? null : Math.round(peakKiB / 1024),
      loadAverage1m: { before: loadBefore, after: +loadavg()[0]!.toFixed(2) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchSweep({ runs: Number(process.argv[2] ?? 10_000) }), null, 2));
}

// Distributed sweeps: runs per wall second of one sweep (200 short runs by
// default) through the in-process pool, then over Redis with 1 and 2 local
// `iommu-lab worker` processes (one thread each), and each Redis figure's
// ratio to the in-process one: the queue's overhead per run. Whole commands
// are timed (the coordinator's start-up included), on a private redis-server.
// Run alone: node --import tsx bench/distributed.ts   (BENCH_SWEEP_RUNS=40 for a quick look)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '../test/fixtures/redis-server.ts';
import { CLI_BIN } from './cli-startup.ts';

function sweepWallMs(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI_BIN, 'sweep', ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sweep ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function startWorkers(url: string, n: number): Promise<ChildProcess[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Promise<ChildProcess>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI_BIN, 'worker', '--redis', url, '--concurrency', '1', '--name', `bench-${i}`], { stdio: ['ignore', 'ignore', 'pipe'] });
        child.stderr?.on('data', (d: Buffer) => d.toString().includes('taking jobs') && resolve(child));
        child.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
      }),
    ),
  );
}

function stop(children: ChildProcess[]): Promise<void> {
  return Promise.all(children.map((c) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : (c.once('exit', () => resolve()), c.kill('SIGTERM')))))).then(() => undefined);
}

export async function benchDistributedSweep(opts: { runs?: number; durationMs?: number } = {}) {
  const runs = opts.runs ?? 200;
  const durationMs = opts.durationMs ?? 20;
  const dir = mkdtempSync(join(tmpdir(), 'iommu-lab-bench-dist-'));
  const redis = await startRedis();
  try {
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify({ name: 'bench', base: { preset: 'seed-after-fix', overrides: [`durationMs=${durationMs}`, 'warmupMs=2'] }, grid: {}, seeds: runs }));
    const perSec = (ms: number) => +((runs * 1000) / ms).toFixed(1);
    const inProcess = perSec(sweepWallMs([spec, '--journal', join(dir, 'local.db')]));
    const overRedis: Record<string, number> = {};
    for (const n of [1, 2]) {
      const workers = await startWorkers(redis.url, n);
      try {
        overRedis[`workers${n}`] = perSec(sweepWallMs([spec, '--redis', redis.url, '--journal', join(dir, `redis-${n}.db`)]));
      } finally {
        await stop(workers);
      }
    }
    return {
      runs,
      simulatedMsPerRun: durationMs,
      runsPerSec: { inProcessPool: inProcess, redis1Worker: overRedis.workers1, redis2Workers: overRedis.workers2 },
      ratioToInProcess: { redis1Worker: +((overRedis.workers1 ?? 0) / inProcess).toFixed(2), redis2Workers: +((overRedis.workers2 ?? 0) / inProcess).toFixed(2) },
    };
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchDistributedSweep({ runs: Number(process.env.BENCH_SWEEP_RUNS ?? 200) }), null, 2));
}

// Benchmarks, printed as JSON (npm run bench). Simulation speed for both seed
// presets and nvme-bare-metal strict and lazy: simulated segments (or I/Os) per wall second, real-time factor (simulated
// seconds per wall second), events per second and peak memory. Each figure is
// the median of several runs after a warm-up run, on one core (this thread).
// Journal: bulk insert rate (overall and over the last tenth), page-query
// latency (first call, then p50/p95 of repeats) and a CSV export at 100k runs,
// BENCH_JOURNAL_RUNS=1000000 for a million (journal.ts), BENCH_JOURNAL_BATCH runs per insert call (default 1000);
// BENCH_SKIP_JOURNAL=1 leaves it out for a quick run, BENCH_ONLY_JOURNAL=1 runs it alone,
// BENCH_ONLY_NVME=1 runs nvme-bare-metal alone. CLI start-up: the
// compiled command's --help, policy and runs list (1000 runs) against
// `node -e 0`, whole process (cli-startup.ts). Distributed sweeps: runs per
// second of a 200-run sweep in process and over Redis with 1 and 2 worker
// processes (distributed.ts). The load average before and
// after the simulation figures says whether other work shared the cores.
// BENCH_SWEEP10K=1 adds a 10k-run sweep of short runs through the compiled
// command: wall time and peak RSS (sweep.ts; a minute or more on two cores).
// BENCH_INDEX_COST=ROWS adds what random-keyed indexes cost a bulk insert at
// ROWS rows, on the journal's connection settings (index-cost.ts).
import { loadavg } from 'node:os';
import { findPreset } from '../core/model/presets.ts';
import { mergeDeep } from '../core/model/scenario.ts';
import { simulate } from '../core/simulate.ts';
import { benchCliStartup } from './cli-startup.ts';
import { benchDistributedSweep } from './distributed.ts';
import { benchIndexCost } from './index-cost.ts';
import { benchJournal } from './journal.ts';
import { benchSweep } from './sweep.ts';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 1000);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// nvme-bare-metal runs its 16.5M I/Os per simulated second in batches (core/workloads/fio-batch.ts): the
// seed presets' span; a span of tens of milliseconds would time the run's fixed set-up more than the I/Os.
const NVME_DURATION_MS = Number(process.env.BENCH_NVME_DURATION_MS ?? DURATION_MS);

function benchPreset(name: string, patch: Record<string, unknown> = {}, durationMs = DURATION_MS) {
  const scenario = mergeDeep(mergeDeep(findPreset(name)!.scenario, patch), { durationMs, warmupMs: 0 });
  simulate(scenario); // warm-up: JIT
  const walls: number[] = [];
  const cpus: number[] = [];
  let segments = 0;
  let ios = 0;
  let events = 0;
  let peakRss = process.memoryUsage().rss;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const r = simulate(scenario);
    walls.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const cpu = process.cpuUsage(cpu0);
    cpus.push((cpu.user + cpu.system) / 1e6);
    segments = (r.packetsPerSec * r.measuredMs) / 1000;
    ios = r.storage ? (r.storage.iops * r.measuredMs) / 1000 : 0;
    events = r.engine.events;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const wall = median(walls);
  return {
    preset: name,
    ...(Object.keys(patch).length ? { patch } : {}),
    simulatedMs: durationMs,
    wallMsMedian: +(wall * 1000).toFixed(1),
    realTimeFactor: +(durationMs / 1000 / wall).toFixed(2),
    // NVMe: also the process's CPU time, which a loaded machine inflates less than wall time.
    ...(ios ? { ioPerWallSec: Math.round(ios / wall), cpuMsMedian: +(median(cpus) * 1000).toFixed(1), realTimeFactorByCpu: +(durationMs / 1000 / median(cpus)).toFixed(2) } : { segmentsPerWallSec: Math.round(segments / wall) }),
    eventsPerWallSec: Math.round(events / wall),
    peakRssMiB: +(peakRss / 2 ** 20).toFixed(1),
  };
}

const JOURNAL_RUNS = Number(process.env.BENCH_JOURNAL_RUNS ?? 100_000);
const SKIP_JOURNAL = process.env.BENCH_SKIP_JOURNAL === '1';
// BENCH_ONLY_JOURNAL=1: the journal figures alone (a run at 1M runs takes minutes; the rest would only add to it).
const ONLY_JOURNAL = process.env.BENCH_ONLY_JOURNAL === '1';

// BENCH_ONLY_NVME=1: the nvme-bare-metal figures alone (the speed of the fio batch model), nothing else.
const ONLY_NVME = process.env.BENCH_ONLY_NVME === '1';

const loadBefore = +loadavg()[0]!.toFixed(2);
const nvme = () => ['strict', 'lazy'].map((policy) => benchPreset('nvme-bare-metal', { policy }, NVME_DURATION_MS));
const results = ONLY_JOURNAL
  ? { skipped: 'BENCH_ONLY_JOURNAL=1' }
  : ONLY_NVME
    ? nvme()
    : [...['seed-before-fix', 'seed-after-fix'].map((name) => benchPreset(name)), ...nvme()];
const loadAverage1m = { before: loadBefore, after: +loadavg()[0]!.toFixed(2) };
if (ONLY_NVME) {
  console.log(JSON.stringify({ node: process.version, repeats: REPEATS, loadAverage1m, simulation: results }, null, 2));
  process.exit(0);
}
const cliStartup = ONLY_JOURNAL ? { skipped: 'BENCH_ONLY_JOURNAL=1' } : benchCliStartup({ repeats: REPEATS });
const journal = SKIP_JOURNAL ? { skipped: 'BENCH_SKIP_JOURNAL=1' } : await benchJournal(JOURNAL_RUNS, Number(process.env.BENCH_JOURNAL_BATCH ?? 1000));
const distributedSweep = ONLY_JOURNAL ? { skipped: 'BENCH_ONLY_JOURNAL=1' } : await benchDistributedSweep({ runs: Number(process.env.BENCH_SWEEP_RUNS ?? 200) });
const sweep10k = process.env.BENCH_SWEEP10K === '1' ? await benchSweep({ runs: 10_000 }) : { skipped: 'set BENCH_SWEEP10K=1 (a minute or more)' };
const indexCost = process.env.BENCH_INDEX_COST ? benchIndexCost(Number(process.env.BENCH_INDEX_COST)) : { skipped: 'set BENCH_INDEX_COST=ROWS, e.g. 1000000 (minutes)' };
console.log(JSON.stringify({ node: process.version, repeats: REPEATS, loadAverage1m, simulation: results, cliStartup, journal, distributedSweep, sweep10k, indexCost }, null, 2));

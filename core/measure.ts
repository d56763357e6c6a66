// The measured part of a run, the same for every workload: statistics restart
// at the warm-up, the simulator runs to the end with progress and
// cancellation, and counters and vCPU time become rates and a time breakdown.
import { EXIT_REASONS, INVALIDATION_KINDS } from './backends/index.ts';
import { Counters } from './engine/counters.ts';
import { LogHistogram } from './engine/histogram.ts';
import { Cpu, Simulator } from './engine/simulator.ts';
import { CPU_CATEGORIES, type CounterName, type CpuCategory } from './model/accounting.ts';
import { effectivePolicy, effectiveVmmPath, guestDmaPathFacts, resolveScenarioPolicy } from './model/effective.ts';
import type { SimulationResult } from './model/result.ts';
import type { Scenario } from './model/scenario.ts';

const MS = 1e6;

export interface SimulateOptions {
  /** Called with the simulated fraction done (0..1), a few hundred times per run at most. */
  onProgress?: (fraction: number) => void;
  /** Polled while running; returning true stops the run (it then throws `SimulationStopped`). */
  shouldStop?: () => boolean;
  /**
   * fio on bare metal: 'batch' (the default) steps the jobs in batches;
   * 'per-io' runs them I/O by I/O as in a VM, many times slower: the
   * reference the batch model is checked against.
   */
  fioGrain?: 'batch' | 'per-io';
}

export class SimulationStopped extends Error {
  constructor() {
    super('simulation stopped before its end');
    this.name = 'SimulationStopped';
  }
}

/**
 * What every workload's run starts from: the guest kernel's decision, the
 * policy DMA runs under and the VMM path it takes, the kernel's DMA-path
 * facts, the span, and the simulator with its counters and vCPUs.
 */
export function startRun(s: Scenario) {
  const decision = resolveScenarioPolicy(s);
  const policy = effectivePolicy(s, decision);
  const endNs = s.durationMs * MS;
  return {
    decision,
    policy,
    mode: policy.mode,
    source: policy.source,
    vmmPath: effectiveVmmPath(s, decision, policy.mode),
    pathFacts: guestDmaPathFacts(decision),
    endNs,
    warmupNs: s.warmupMs * MS,
    counters: new Counters<CounterName>(),
    sim: new Simulator(endNs),
    cpus: Array.from({ length: s.guest.vcpus }, (_, i) => new Cpu(i, CPU_CATEGORIES.length)),
    /** From PTE clear to the completion of the invalidation that covers it. */
    staleWindow: new LogHistogram(),
  };
}

/** What a finished run measured after its warm-up. */
export interface Measurement {
  measuredNs: number;
  perSec(n: number): number;
  /** A counter's count since the warm-up. */
  get(name: CounterName): number;
  cpu: SimulationResult['cpu'];
  /** The IOMMU fields of a result, the same for every workload; unmaps per packet count against `packets`. */
  iommuRates(packets: number): IommuRates;
}

export type IommuRates = Pick<
  SimulationResult,
  'vmExitsPerSec' | 'vmExitsByReason' | 'kvmFaultsPerSec' | 'invalidationsPerSec' | 'invalidationsByKind' | 'submissionsPerSec' | 'flushesPerSec' | 'flushesByTrigger' | 'dma'
>;

/**
 * Schedules the warm-up boundary now (before the caller's own samplers, so
 * same-time events keep their order) and returns the run that measures from it.
 */
export function measureFromWarmup(sim: Simulator, counters: Counters<CounterName>, cpus: Cpu[], warmupNs: number, onWarmup: () => void) {
  let base = counters.snapshot();
  let cpuBase = cpus.map((c) => Float64Array.from(c.acct));
  sim.at(warmupNs, () => {
    base = counters.snapshot();
    cpuBase = cpus.map((c) => Float64Array.from(c.acct));
    onWarmup();
  });
  return {
    /** Runs to `endNs`; `activeVcpus` are the first vCPUs, those that run the workload. */
    run(endNs: number, activeVcpus: number, opts: SimulateOptions): Measurement {
      const ok = sim.run((now) => {
        opts.onProgress?.(Math.min(1, now / endNs));
        return !opts.shouldStop?.();
      });
      if (!ok) throw new SimulationStopped();
      opts.onProgress?.(1);

      const measuredNs = endNs - warmupNs;
      const perSec = (n: number) => (n * 1e9) / measuredNs;
      const delta = counters.since(base);
      const get = (k: CounterName) => delta.get(k) ?? 0;
      const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

      const totalCpuNs = measuredNs * cpus.length;
      const catTotals = Object.fromEntries(
        CPU_CATEGORIES.map((c, k) => [c, cpus.reduce((acc, cpu, i) => acc + cpu.acct[k]! - cpuBase[i]![k]!, 0)]),
      ) as Record<CpuCategory, number>;
      const busyNs = Math.min(totalCpuNs, sum(catTotals));
      const breakdown = Object.fromEntries([
        ...CPU_CATEGORIES.map((c) => [c, catTotals[c] / totalCpuNs]),
        ['idle', Math.max(0, 1 - busyNs / totalCpuNs)],
      ]) as SimulationResult['cpu']['breakdown'];
      const activeBusyNs = cpus.slice(0, activeVcpus).reduce((acc, cpu, i) => acc + cpu.acct.reduce((a, v, k) => a + v - cpuBase[i]![k]!, 0), 0);
      const activeUtilization = Math.min(1, activeBusyNs / (measuredNs * activeVcpus));

      const iommuRates = (packets: number): IommuRates => {
        const vmExitsByReason = Object.fromEntries(EXIT_REASONS.map((r) => [r, perSec(get(`exit.${r}`))])) as SimulationResult['vmExitsByReason'];
        const invalidationsByKind = Object.fromEntries(INVALIDATION_KINDS.map((k) => [k, perSec(get(`inval.${k}`))])) as SimulationResult['invalidationsByKind'];
        const hits = get('iova.hit');
        const lookups = hits + get('iova.depot') + get('iova.miss');
        return {
          vmExitsPerSec: sum(vmExitsByReason),
          vmExitsByReason,
          kvmFaultsPerSec: perSec(get('kvm.fault')),
          invalidationsPerSec: sum(invalidationsByKind),
          invalidationsByKind,
          submissionsPerSec: perSec(get('qi.submission')),
          flushesPerSec: perSec(get('flush.full') + get('flush.timer')),
          flushesByTrigger: { full: perSec(get('flush.full')), timer: perSec(get('flush.timer')) },
          dma: {
            mapsPerSec: perSec(get('dma.map')),
            unmapsPerSec: perSec(get('dma.unmap')),
            unmapsPerPacket: packets ? get('dma.unmap') / packets : 0,
            iovaRcacheHitRatio: lookups ? hits / lookups : 1,
          },
        };
      };
      return {
        measuredNs,
        perSec,
        get,
        cpu: { vcpus: cpus.length, activeVcpus, utilization: busyNs / totalCpuNs, activeUtilization, breakdown },
        iommuRates,
      };
    },
  };
}

// The guest's DMA API over an IOMMU domain (drivers/iommu/dma-iommu.c):
// dma_map_* allocates an IOVA and writes PTEs; dma_unmap_* clears them and
// then either invalidates at once (strict, IOMMU_DOMAIN_DMA) or queues the
// IOVA for a later domain-wide flush (lazy, IOMMU_DOMAIN_DMA_FQ). Passthrough
// (IOMMU_DOMAIN_IDENTITY) uses dma-direct: no IOVA, no PTE, no invalidation.
//
// Every operation is a generator because it may exit to the VMM, which needs
// the global order of the event kernel.
import type { BackendModel, DomainView, OpCost } from '../backends/types.ts';
import type { Counters } from '../engine/counters.ts';
import { CAT, type Cpu, type Kernel, type Proc, type ProcessBody } from '../engine/kernel.ts';
import { EXIT_REASONS, INVALIDATION_KINDS } from '../backends/types.ts';
import type { Costs } from '../model/costs.ts';
import type { FlushQueue } from './flush-queue.ts';
import type { IovaAllocator } from './iova.ts';

export type DmaMode = 'strict' | 'lazy' | 'passthrough';

export class DmaApi {
  /** Mappings currently live (mapped and not yet unmapped). */
  liveMappings = 0;
  /** Operations begun but not finished (waiting on an exit) when the run ended. */
  mapsInFlight = 0;
  unmapsInFlight = 0;
  readonly domain: DomainView = { presentPtes: 0, staleMappings: 0 };
  /** Guest CPU per lazy unmap beyond the PTE clear: VT-d's superfluous gather tracking before v6.3 (model/effective.ts). */
  lazyUnmapExtraNs = 0;
  private readonly ids;

  constructor(
    readonly mode: DmaMode,
    private kernel: Kernel,
    private backend: BackendModel,
    private costs: Costs,
    private iova: IovaAllocator,
    readonly fq: FlushQueue,
    private counters: Counters,
    private fqTimeoutNs: number,
  ) {
    const c = counters;
    this.ids = {
      map: c.id('dma.map'),
      unmap: c.id('dma.unmap'),
      freed: c.id('iova.freed'),
      wpFault: c.id('exit.wp-fault'),
      exit: Object.fromEntries(EXIT_REASONS.map((r) => [r, c.id(`exit.${r}`)])) as Record<string, number>,
      inval: Object.fromEntries(INVALIDATION_KINDS.map((k) => [k, c.id(`inval.${k}`)])) as Record<string, number>,
    };
  }

  /** Mappings made while the interface comes up, before the measured run: no time charged. */
  mapAtSetup(cpu: number, pages: number): void {
    this.counters.inc('dma.setupMap');
    if (this.mode !== 'passthrough') {
      this.iova.alloc(cpu, pages);
      this.domain.presentPtes += pages;
    }
    this.liveMappings++;
  }

  *map(proc: Proc, pages: number): ProcessBody {
    this.counters.add(this.ids.map);
    this.liveMappings++;
    if (this.mode === 'passthrough') return;
    this.mapsInFlight++;
    proc.spend(CAT.iova, this.iova.alloc(proc.cpu.id, pages));
    proc.spend(CAT.pte, pages * this.costs.ptePerPageNs);
    this.domain.presentPtes += pages;
    yield* this.apply(proc, this.backend.map(pages));
    this.mapsInFlight--;
  }

  *unmap(proc: Proc, pages: number): ProcessBody {
    this.counters.add(this.ids.unmap);
    this.liveMappings--;
    if (this.mode === 'passthrough') return;
    this.unmapsInFlight++;
    yield* this.unmapSteps(proc, pages);
    this.unmapsInFlight--;
  }

  private *unmapSteps(proc: Proc, pages: number): ProcessBody {
    proc.spend(CAT.pte, pages * this.costs.ptePerPageNs);
    this.domain.presentPtes -= pages;
    yield* this.apply(proc, this.backend.pteClear(pages));
    if (this.mode === 'lazy' && this.lazyUnmapExtraNs) proc.spend(CAT.pte, this.lazyUnmapExtraNs);
    const cpu = proc.cpu.id;
    if (this.mode === 'strict') {
      yield* this.apply(proc, this.backend.strictInvalidate(pages));
      proc.spend(CAT.iova, this.iova.free(cpu, pages));
      this.counters.add(this.ids.freed);
      return;
    }
    // queue_iova(): clean our ring, flush if it is still full, then queue.
    this.freeCompleted(proc);
    if (this.fq.isFull(cpu)) {
      yield* this.flush(proc, 'full');
      this.freeCompleted(proc);
    }
    proc.spend(CAT.flushQueue, this.costs.fqQueueNs);
    this.fq.push(cpu, proc.t, pages);
    this.domain.staleMappings++;
    this.armTimer(proc);
  }

  /** One domain-wide flush (flush_iotlb_all); covers every entry queued before it started. */
  *flush(proc: Proc, trigger: 'full' | 'timer'): ProcessBody {
    this.counters.inc(`flush.${trigger}`);
    const requested = proc.t;
    const staleAtRequest = this.domain.staleMappings;
    const cost = this.backend.flush(this.domain);
    if (cost.exit) {
      yield* this.apply(proc, cost, (start, end) => {
        this.domain.staleMappings -= staleAtRequest;
        this.fq.cover(start, end, requested);
      });
    } else {
      const start = proc.t;
      yield* this.apply(proc, cost);
      this.domain.staleMappings -= staleAtRequest;
      this.fq.cover(start, proc.t, requested);
    }
  }

  private freeCompleted(proc: Proc): void {
    const freed = this.fq.freeCompleted(proc.cpu.id, proc.t, (pages) => proc.spend(CAT.iova, this.iova.free(proc.cpu.id, pages)));
    if (freed) this.counters.add(this.ids.freed, freed);
  }

  /**
   * The one-shot flush timer runs on the CPU that armed it, borrowing it from
   * its workload. An entry queued at an earlier local time than the arming
   * (the kernel's order seen through one poll of skew) pulls the timer in, so
   * no entry waits longer than one period for it.
   */
  private timerDueNs = Infinity;
  private timerGeneration = 0;

  private armTimer(proc: Proc): void {
    this.armTimerAt(proc.cpu, proc.t + this.fqTimeoutNs);
  }

  private armTimerAt(cpu: Cpu, due: number): void {
    if (this.fq.timerArmed && due >= this.timerDueNs) return;
    this.fq.timerArmed = true;
    this.timerDueNs = due;
    const generation = ++this.timerGeneration;
    this.kernel.at(due, (fireNs) => {
      if (generation !== this.timerGeneration) return;
      this.fq.timerArmed = false;
      this.timerDueNs = Infinity;
      this.kernel.spawn(cpu, fireNs, (timer) => this.timerBody(timer, fireNs));
    });
  }

  private *timerBody(timer: Proc, fireNs: number): ProcessBody {
    const cpu = timer.cpu;
    const wasIdle = cpu.isIdle();
    yield* this.flush(timer, 'timer');
    const freed = this.fq.freeAllCompleted(timer.t, (pages) => timer.spend(CAT.iova, this.iova.free(cpu.id, pages)));
    if (freed) this.counters.add(this.ids.freed, freed);
    // Entries a vCPU queued just after the flush started (seen early through
    // the poll skew) did not re-arm the timer: arm it for the oldest of them.
    const oldest = this.fq.oldestUncovered();
    if (oldest < Infinity) this.armTimerAt(cpu, oldest + this.fqTimeoutNs);
    if (wasIdle) cpu.busyUntil = Math.max(cpu.busyUntil, timer.t);
    else cpu.stolenNs += timer.t - fireNs;
  }

  private *apply(proc: Proc, cost: OpCost, onDone?: (startNs: number, endNs: number) => void): ProcessBody {
    if (cost.guestNs) proc.spend(CAT[cost.guestCategory], cost.guestNs);
    if (cost.faults) this.counters.add(this.ids.wpFault, cost.faults);
    if (cost.invalidation) this.counters.add(this.ids.inval[cost.invalidation]!);
    if (cost.exit) {
      this.counters.add(this.ids.exit[cost.exit.reason]!);
      yield { kind: 'exit', roundTripNs: this.costs.exitRoundTripNs, lockedNs: cost.exit.lockedNs, onDone };
    }
  }
}

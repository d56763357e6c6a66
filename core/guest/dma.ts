// The guest's DMA API over an IOMMU domain (drivers/iommu/dma-iommu.c):
// dma_map_* allocates an IOVA and writes PTEs; dma_unmap_* clears them and
// then either invalidates at once (strict, IOMMU_DOMAIN_DMA) or queues the
// IOVA for a later domain-wide flush (lazy, IOMMU_DOMAIN_DMA_FQ). Passthrough
// (IOMMU_DOMAIN_IDENTITY) uses dma-direct: no IOVA, no PTE, no invalidation.
//
// Every invalidation is a qi_submit_sync() (intel/dmar.c). In a VM the tail
// write is an exit, QEMU completes the wait descriptor inside it under its
// lock (BQL), and the vCPU holds qi->q_lock (interrupts off) the whole time,
// so submissions serialize per vIOMMU unit. On bare metal the IOMMU serves
// its queue in order and the CPU spins on its wait descriptor without q_lock
// (qi_submit_sync drops it in the wait loop). The serialization points are
// engine resources; operations are generators because they may wait for one.
import type { BackendModel, DomainView, ExitReason, OpCost, Submission } from '../backends/types.ts';
import { EXIT_REASONS, INVALIDATION_KINDS } from '../backends/types.ts';
import type { Counters } from '../engine/counters.ts';
import { LogHistogram } from '../engine/histogram.ts';
import { Resource, type Cpu, type Proc, type ProcessBody, type Request, type Simulator } from '../engine/simulator.ts';
import { CAT, type CounterName, type ResourceName } from '../model/accounting.ts';
import type { Costs } from '../model/costs.ts';
import type { FlushQueue } from './flush-queue.ts';
import type { IovaAllocator } from './iova.ts';

export type DmaMode = 'strict' | 'lazy' | 'passthrough';

export interface DmaOptions {
  fqTimeoutNs: number;
  warmupNs: number;
  /** The device has ATS: every invalidation adds a device-TLB descriptor. */
  ats: boolean;
  /** qi_batch: the IOTLB and device-TLB descriptors share one submission. */
  qiBatch: boolean;
  /** vIOMMU / IOMMU units; the device's domain sits on unit 0. */
  units: number;
}

const acquire = (resource: Resource, waitCategory: number): Request => ({ kind: 'acquire', resource, waitCategory });
// Category indexes as plain constants on the hot path.
const { iova: IOVA, pte: PTE, flushQueue: FLUSH_QUEUE, hwInvalidation: HW_INVALIDATION, hwQueueWait: HW_QUEUE_WAIT, wpFault: WP_FAULT, exit: EXIT, qiLockSpin: QI_LOCK_SPIN, fqLockSpin: FQ_LOCK_SPIN, vmmLockWait: VMM_LOCK_WAIT, vmmHandling: VMM_HANDLING } = CAT;

export class DmaApi {
  /** Mappings currently live (mapped and not yet unmapped). */
  liveMappings = 0;
  /** Operations begun but not finished (waiting for a lock or the VMM) when the run ended. */
  mapsInFlight = 0;
  unmapsInFlight = 0;
  submissionsInFlight = 0;
  readonly domain: DomainView = { presentPtes: 0, staleMappings: 0 };
  /** Guest CPU per lazy unmap beyond the PTE clear: VT-d's superfluous gather tracking before v6.3 (model/effective.ts). */
  lazyUnmapExtraNs = 0;
  /**
   * Per operation, from its call to its return, for operations begun once the
   * warm-up boundary has passed in global order (as the counters see it).
   */
  readonly latency = { map: new LogHistogram(), unmap: new LogHistogram(), invalidation: new LogHistogram() };
  readonly bql: Resource<ResourceName>;
  readonly qiLocks: Resource<ResourceName>[];
  readonly iommuQueues: Resource<ResourceName>[];
  readonly fqLocks: Resource<ResourceName>[];
  /** Completion time of the last submission served (read right after `submit` returns, before any yield). */
  private lastServiceEndNs = 0;
  private timersRunning = 0;
  private measuring = false;
  private readonly halfRoundTripNs: number;
  private readonly ids;
  private readonly requests;

  constructor(
    readonly mode: DmaMode,
    private sim: Simulator,
    private backend: BackendModel,
    private costs: Costs,
    private iova: IovaAllocator,
    readonly fq: FlushQueue,
    private counters: Counters<CounterName>,
    /** From PTE clear to the completion of the invalidation that covers it (strict here, lazy in the flush queue). */
    readonly staleWindow: LogHistogram,
    private opts: DmaOptions,
  ) {
    const c = counters;
    this.ids = {
      map: c.id('dma.map'),
      unmap: c.id('dma.unmap'),
      freed: c.id('iova.freed'),
      kvmFault: c.id('kvm.fault'),
      submission: c.id('qi.submission'),
      exit: Object.fromEntries(EXIT_REASONS.map((r) => [r, c.id(`exit.${r}`)])) as Record<ExitReason, number>,
      inval: Object.fromEntries(INVALIDATION_KINDS.map((k) => [k, c.id(`inval.${k}`)])) as Record<(typeof INVALIDATION_KINDS)[number], number>,
    };
    this.halfRoundTripNs = costs.exitRoundTripNs / 2;
    const units = Array.from({ length: opts.units }, (_, u) => u);
    this.qiLocks = units.map((u) => new Resource<ResourceName>('qiLock', u));
    this.iommuQueues = units.map((u) => new Resource<ResourceName>('iommuQueue', u));
    // With one unit every BQL user holds its q_lock first, so the q_lock orders BQL requests.
    this.bql = new Resource<ResourceName>('bql', 0, opts.units === 1 ? { guard: this.qiLocks[0] } : {});
    this.fqLocks = fq.rings.map(
      (_, ring) =>
        new Resource<ResourceName>(
          'fqLock',
          ring,
          // A per-CPU ring's only other user is the flush timer: while none runs and
          // none is due before the owner's request, the owner cannot be overtaken.
          fq.kind === 'per-cpu' ? { orderSafe: (p) => p.cpu.id === ring && p === p.cpu.main && this.timersRunning === 0 && p.t < this.timerDueNs } : {},
        ),
    );
    // The domain's unit; the request objects are reused (the engine reads them at once).
    this.requests = {
      qiLock: acquire(this.qiLocks[0]!, QI_LOCK_SPIN),
      bql: acquire(this.bql, VMM_LOCK_WAIT),
      iommuQueue: acquire(this.iommuQueues[0]!, HW_QUEUE_WAIT),
      fqLock: this.fqLocks.map((l) => acquire(l, FQ_LOCK_SPIN)),
    };
  }

  /** The warm-up is over: operations begun from now on are measured. */
  startMeasuring(): void {
    this.measuring = true;
  }

  /** Every resource, for statistics. */
  resources(): Resource<ResourceName>[] {
    return [this.bql, ...this.qiLocks, ...this.iommuQueues, ...this.fqLocks];
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

  /**
   * The part of an operation that cannot wait, run without a generator: true
   * when the operation is done; false when it must go on through `mapRest` /
   * `unmapRest` (an invalidation to submit, a lock not free at once), which
   * the caller runs right away, before any yield. Saves a generator per
   * operation on the hot path; the outcome is the same as `map` / `unmap`.
   */
  mapNow(proc: Proc, pages: number): boolean {
    this.counters.add(this.ids.map);
    this.liveMappings++;
    const begun = proc.t;
    if (this.mode !== 'passthrough') {
      proc.spend(IOVA, this.iova.alloc(proc.cpu.id, pages));
      proc.spend(PTE, pages * this.costs.ptePerPageNs);
      this.domain.presentPtes += pages;
      const cost = this.backend.map(pages);
      this.fault(proc, cost);
      if (cost.submission) {
        this.mapsInFlight++;
        this.pending.begun = begun;
        this.pending.measured = this.measuring;
        this.pending.submission = cost.submission;
        return false;
      }
    }
    if (this.measuring) this.latency.map.record(proc.t - begun);
    return true;
  }

  /** The rest of a map `mapNow` left undone: its invalidation. */
  *mapRest(proc: Proc): ProcessBody {
    const { begun, measured, submission } = this.pending;
    // A caching-mode map invalidation covers a non-present entry: no device TLB holds it.
    yield* this.invalidate(proc, submission!, false);
    this.mapsInFlight--;
    if (measured) this.latency.map.record(proc.t - begun);
  }

  *map(proc: Proc, pages: number): ProcessBody {
    if (!this.mapNow(proc, pages)) yield* this.mapRest(proc);
  }

  /** The state an operation left for its generator part (read before any yield). */
  private readonly pending = { begun: 0, measured: false, clearedAt: 0, submission: null as Submission | null, lazy: 'busy' as 'ring-full' | 'busy' };

  unmapNow(proc: Proc, pages: number): boolean {
    this.counters.add(this.ids.unmap);
    this.liveMappings--;
    const begun = proc.t;
    if (this.mode !== 'passthrough') {
      proc.spend(PTE, pages * this.costs.ptePerPageNs);
      const clearedAt = proc.t;
      this.domain.presentPtes -= pages;
      this.fault(proc, this.backend.pteClear(pages));
      if (this.mode === 'lazy' && this.lazyUnmapExtraNs) proc.spend(PTE, this.lazyUnmapExtraNs);
      const pending = this.pending;
      if (this.mode === 'strict') {
        const cost = this.backend.strictInvalidate(pages);
        this.fault(proc, cost);
        const sub = cost.submission;
        if (sub) {
          this.counters.add(this.ids.inval[sub.kind]);
          // Bare metal without ATS: one submission to the IOMMU's queue, inline when the queue is free at once.
          if (sub.exit !== null || this.opts.ats || !this.submitNow(proc, sub.submitNs + sub.invalidateNs)) {
            this.unmapsInFlight++;
            pending.begun = begun;
            pending.measured = this.measuring;
            pending.clearedAt = clearedAt;
            pending.submission = sub;
            return false;
          }
          if (clearedAt >= this.opts.warmupNs) this.staleWindow.record(this.lastServiceEndNs - clearedAt);
        }
        proc.spend(IOVA, this.iova.free(proc.cpu.id, pages));
        this.counters.add(this.ids.freed);
      } else {
        const done = this.queueIovaNow(proc, pages, clearedAt);
        if (done !== true) {
          this.unmapsInFlight++;
          pending.begun = begun;
          pending.measured = this.measuring;
          pending.clearedAt = clearedAt;
          pending.submission = null;
          pending.lazy = done;
          return false;
        }
      }
    }
    if (this.measuring) this.latency.unmap.record(proc.t - begun);
    return true;
  }

  /** The rest of an unmap `unmapNow` left undone: the strict invalidation, or queue_iova() past a busy lock or a full ring. */
  *unmapRest(proc: Proc, pages: number): ProcessBody {
    const { begun, measured, clearedAt, submission: sub, lazy } = this.pending;
    if (sub) {
      if (this.opts.ats) yield* this.withDeviceTlb(proc, sub);
      else yield* this.submit(proc, sub.exit, sub.submitNs + sub.invalidateNs);
      if (clearedAt >= this.opts.warmupNs) this.staleWindow.record(this.lastServiceEndNs - clearedAt);
      proc.spend(IOVA, this.iova.free(proc.cpu.id, pages));
      this.counters.add(this.ids.freed);
    } else {
      yield* this.queueIova(proc, pages, clearedAt, lazy === 'ring-full');
    }
    this.unmapsInFlight--;
    if (measured) this.latency.unmap.record(proc.t - begun);
  }

  *unmap(proc: Proc, pages: number): ProcessBody {
    if (!this.unmapNow(proc, pages)) yield* this.unmapRest(proc, pages);
  }

  /**
   * queue_iova() without a generator when it needs no wait: true when done;
   * 'ring-full' when it holds fq->lock over a cleaned, still full ring (the
   * generator flushes); 'busy' when it could not take the lock at once.
   */
  private queueIovaNow(proc: Proc, pages: number, clearedAt: number): true | 'ring-full' | 'busy' {
    const ring = this.fq.ringIndexOf(proc.cpu.id);
    if (!this.sim.acquireNow(this.fqLocks[ring]!, proc, FQ_LOCK_SPIN)) return 'busy';
    this.freeCompleted(proc, ring);
    if (this.fq.isFull(ring)) return 'ring-full';
    this.queueLocked(proc, ring, pages, clearedAt);
    return true;
  }

  /** queue_iova(): under fq->lock, clean the ring, flush if it is still full, then queue. */
  private *queueIova(proc: Proc, pages: number, clearedAt: number, cleanedAndFull: boolean): ProcessBody {
    const ring = this.fq.ringIndexOf(proc.cpu.id);
    if (!cleanedAndFull) {
      if (!this.sim.acquireNow(this.fqLocks[ring]!, proc, FQ_LOCK_SPIN)) yield this.requests.fqLock[ring]!;
      this.freeCompleted(proc, ring);
    }
    if (this.fq.isFull(ring)) {
      yield* this.flush(proc, 'full');
      this.freeCompleted(proc, ring);
    }
    this.queueLocked(proc, ring, pages, clearedAt);
  }

  private queueLocked(proc: Proc, ring: number, pages: number, clearedAt: number): void {
    proc.spend(FLUSH_QUEUE, this.costs.fqQueueNs);
    this.fq.push(ring, proc.t, clearedAt, pages);
    this.domain.staleMappings++;
    this.armTimer(proc);
    this.sim.release(this.fqLocks[ring]!, proc);
  }

  /**
   * One domain-wide flush (flush_iotlb_all); covers every entry queued before
   * it started. Its latency counts from `requestedNs`: for the timer, when it
   * fired (a busy CPU runs it after its current NAPI poll).
   */
  *flush(proc: Proc, trigger: 'full' | 'timer', requestedNs = proc.t): ProcessBody {
    this.counters.inc(`flush.${trigger}`);
    const requested = requestedNs;
    const staleAtRequest = this.domain.staleMappings;
    const cost = this.backend.flush(this.domain);
    this.fault(proc, cost);
    if (!cost.submission) return;
    const startNs = yield* this.invalidate(proc, cost.submission, this.opts.ats);
    this.domain.staleMappings -= staleAtRequest;
    this.fq.cover(startNs, this.lastServiceEndNs, requested);
  }

  private freeCompleted(proc: Proc, ring: number): void {
    const freed = this.fq.freeCompleted(ring, proc.t, (pages) => proc.spend(IOVA, this.iova.free(proc.cpu.id, pages)));
    if (freed) this.counters.add(this.ids.freed, freed);
  }

  /**
   * The invalidation descriptors one operation needs, in as many submissions
   * as the kernel takes: the IOTLB one, plus a device-TLB one with ATS, in the
   * same submission only with qi_batch. Returns when the service of the first
   * began; `lastServiceEndNs` then holds when the last completed.
   */
  private *invalidate(proc: Proc, sub: Submission, deviceTlb: boolean): ProcessBody<number> {
    this.counters.add(this.ids.inval[sub.kind]);
    if (!deviceTlb) return yield* this.submit(proc, sub.exit, sub.submitNs + sub.invalidateNs);
    return yield* this.withDeviceTlb(proc, sub);
  }

  /** The submissions of an invalidation plus its device-TLB descriptor (the IOTLB descriptor is already counted). */
  private *withDeviceTlb(proc: Proc, sub: Submission): ProcessBody<number> {
    this.counters.add(this.ids.inval['dev-tlb']);
    if (this.opts.qiBatch) return yield* this.submit(proc, sub.exit, sub.submitNs + sub.invalidateNs + sub.deviceTlbNs);
    const startNs = yield* this.submit(proc, sub.exit, sub.submitNs + sub.invalidateNs);
    yield* this.submit(proc, sub.exit === null ? null : 'dev-tlb', sub.submitNs + sub.deviceTlbNs);
    return startNs;
  }

  /** A bare-metal qi_submit_sync() without a generator when the IOMMU's queue is free at once; false (nothing done) otherwise. */
  private submitNow(proc: Proc, serviceNs: number): boolean {
    const requested = proc.t;
    if (!this.sim.acquireNow(this.iommuQueues[0]!, proc, HW_QUEUE_WAIT)) return false;
    this.counters.add(this.ids.submission);
    proc.spend(HW_INVALIDATION, serviceNs);
    this.lastServiceEndNs = proc.t;
    this.sim.release(this.iommuQueues[0]!, proc);
    if (this.measuring) this.latency.invalidation.record(proc.t - requested);
    return true;
  }

  /** One qi_submit_sync(), served in `serviceNs`; returns when the service began. */
  private *submit(proc: Proc, exit: ExitReason | null, serviceNs: number): ProcessBody<number> {
    const requested = proc.t;
    const measured = this.measuring;
    this.counters.add(this.ids.submission);
    this.submissionsInFlight++;
    let startNs: number;
    if (exit === null) {
      if (!this.sim.acquireNow(this.iommuQueues[0]!, proc, HW_QUEUE_WAIT)) yield this.requests.iommuQueue;
      startNs = proc.t;
      proc.spend(HW_INVALIDATION, serviceNs);
      this.lastServiceEndNs = proc.t;
      this.sim.release(this.iommuQueues[0]!, proc);
    } else {
      this.counters.add(this.ids.exit[exit]);
      if (!this.sim.acquireNow(this.qiLocks[0]!, proc, QI_LOCK_SPIN)) yield this.requests.qiLock;
      proc.spend(EXIT, this.halfRoundTripNs);
      if (!this.sim.acquireNow(this.bql, proc, VMM_LOCK_WAIT)) yield this.requests.bql;
      startNs = proc.t;
      proc.spend(VMM_HANDLING, serviceNs);
      this.lastServiceEndNs = proc.t;
      this.sim.release(this.bql, proc);
      proc.spend(EXIT, this.halfRoundTripNs);
      this.sim.release(this.qiLocks[0]!, proc);
    }
    this.submissionsInFlight--;
    if (measured) this.latency.invalidation.record(proc.t - requested);
    return startNs;
  }

  private fault(proc: Proc, cost: OpCost): void {
    if (!cost.faults) return;
    proc.spend(WP_FAULT, cost.faultNs);
    this.counters.add(this.ids.kvmFault, cost.faults);
  }

  /**
   * The one-shot flush timer runs on the CPU that armed it, as interrupt work
   * (a softirq): in place of the workload when that CPU is busy, so the
   * workload never waits for the timer's locks, and on its own while the CPU
   * is idle (engine `interrupt`). An entry queued at an earlier local time than the arming
   * (the kernel's order seen through one poll of skew) pulls the timer in, so
   * no entry waits longer than one period for it.
   */
  private timerDueNs = Infinity;
  private timerGeneration = 0;

  private armTimer(proc: Proc): void {
    this.armTimerAt(proc.cpu, proc.t + this.opts.fqTimeoutNs);
  }

  private armTimerAt(cpu: Cpu, due: number): void {
    if (this.fq.timerArmed && due >= this.timerDueNs) return;
    this.fq.timerArmed = true;
    this.timerDueNs = due;
    const generation = ++this.timerGeneration;
    this.sim.at(due, (fireNs) => {
      if (generation !== this.timerGeneration) return;
      this.fq.timerArmed = false;
      this.timerDueNs = Infinity;
      this.timersRunning++;
      this.sim.interrupt(cpu, (timer) => this.timerBody(timer, fireNs));
    });
  }

  /** fq_flush_timeout(): flush, then clean every ring under its lock. */
  private *timerBody(timer: Proc, fireNs: number): ProcessBody {
    const cpu = timer.cpu;
    yield* this.flush(timer, 'timer', fireNs);
    for (let ring = 0; ring < this.fqLocks.length; ring++) {
      yield this.requests.fqLock[ring]!;
      this.freeCompleted(timer, ring);
      this.sim.release(this.fqLocks[ring]!, timer);
    }
    this.timersRunning--;
    // Entries a vCPU queued just after the flush started (seen early through
    // the poll skew) did not re-arm the timer: arm it for the oldest of them.
    const oldest = this.fq.oldestUncovered();
    if (oldest < Infinity) this.armTimerAt(cpu, oldest + this.opts.fqTimeoutNs);
  }
}

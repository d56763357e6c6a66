// The guest DMA API on bare metal for runs of operations: n maps, or n unmaps
// issued by `lanes` CPUs of one domain working side by side, charged in one
// step (the batch model of fio on NVMe, core/workloads/fio-batch.ts). The
// mechanisms are those of dma.ts; what differs is the grain:
//
// - strict: each unmap is one submission to the IOMMU's invalidation queue,
//   served in order (SMMUv3 CMDQ with CMD_SYNC, VT-d QI with its wait
//   descriptor). A run of n unmaps takes one block of n services on the
//   queue, after whatever is queued ahead of it: the queue's busy time is
//   exact, its order is first come first served by run instead of by unmap.
//   The run's CPUs spin while their unmaps wait and are served.
// - lazy: the domain's per-CPU rings are counted together (the jobs of a
//   drive fill them at one pace); when they are full the next queue_iova()
//   flushes the domain (one submission), which covers and frees every queued
//   IOVA. The one-shot timer flushes what is queued `fqTimeoutNs` after the
//   first entry queued while it was not armed.
// - passthrough: dma-direct, nothing to do but count.
//
// Bare metal only: no exits, no VMM lock, no q_lock held across a wait.
import type { Cpu, Resource } from '../engine/simulator.ts';
import { LogHistogram } from '../engine/histogram.ts';
import type { Counters } from '../engine/counters.ts';
import { CAT, type CounterName, type ResourceName } from '../model/accounting.ts';
import type { Costs } from '../model/costs.ts';
import type { DmaMode } from './dma.ts';
import type { IovaAllocator } from './iova.ts';

export interface DmaBatchOptions {
  warmupNs: number;
  /** The IOMMU's service of one invalidation (CMD_SYNC or wait descriptor). */
  serviceNs: number;
  /** The device has ATS: every invalidation adds a device-TLB descriptor. */
  ats: boolean;
  /** qi_batch: the IOTLB and device-TLB descriptors share one submission. */
  qiBatch: boolean;
  fqKind: 'per-cpu' | 'single';
  fqSlots: number;
  fqTimeoutNs: number;
  /** CPUs that use the domains (one per-CPU ring each in the domain they use). */
  lanes: number;
  /**
   * Identical domains the lanes spread over evenly (one per drive, as the
   * kernel has it): their rings fill together, so a ring-full flush and a
   * timer flush are one submission per domain.
   */
  domains: number;
  /** Guest CPU per lazy unmap beyond the PTE clear (VT-d's gather tracking before v6.3). */
  lazyUnmapExtraNs: number;
}

const { iova: IOVA, pte: PTE, flushQueue: FLUSH_QUEUE, hwInvalidation: HW_INVALIDATION, hwQueueWait: HW_QUEUE_WAIT, fqLockSpin: FQ_LOCK_SPIN } = CAT;
/** Points a spread of stale windows or latencies is recorded at (its quarters). */
const SPREAD_POINTS = 4;

export class DmaBatchDomain {
  liveMappings = 0;
  /** Unmapped IOVAs queued for a flush (lazy): their count and the span of their PTE-clear times. */
  queued = 0;
  private queuedFirstNs = Infinity;
  private queuedLastNs = 0;
  /** When the flush timer fires (Infinity: not armed). */
  private timerDueNs = Infinity;
  /** Pages per queued IOVA: those of the last run (one size per domain in the workloads that batch). */
  private pagesQueued = 1;
  maxFlushLatencyNs = 0;
  measuring = false;
  readonly latency = { map: new LogHistogram(), unmap: new LogHistogram(), invalidation: new LogHistogram() };
  /** Submissions per invalidation and queue time per invalidation. */
  private readonly subsPerInval: number;
  private readonly queueNsPerInval: number;
  private readonly ringCapacity: number;
  private readonly ids;

  constructor(
    readonly mode: DmaMode,
    private costs: Costs,
    private iova: IovaAllocator,
    private counters: Counters<CounterName>,
    private staleWindow: LogHistogram,
    /** The invalidation queue of the domain's IOMMU unit, shared with the other domains on it. */
    readonly queue: Resource<ResourceName>,
    private opts: DmaBatchOptions,
  ) {
    const c = counters;
    this.ids = {
      map: c.id('dma.map'),
      unmap: c.id('dma.unmap'),
      freed: c.id('iova.freed'),
      submission: c.id('qi.submission'),
      hardware: c.id('inval.hardware'),
      devTlb: c.id('inval.dev-tlb'),
      full: c.id('flush.full'),
      timer: c.id('flush.timer'),
    };
    this.subsPerInval = opts.ats && !opts.qiBatch ? 2 : 1;
    this.queueNsPerInval = opts.ats ? 2 * opts.serviceNs : opts.serviceNs;
    this.ringCapacity = (opts.fqKind === 'single' ? opts.domains : opts.lanes) * (opts.fqSlots - 1);
  }

  /** The invalidation queue's time per strict unmap (0 when unmaps do not wait for it). */
  get queueNsPerUnmap(): number {
    return this.mode === 'strict' ? this.queueNsPerInval : 0;
  }

  /** `n` maps of `pages` each on `cpu`: the IOVAs and the PTEs. Returns the CPU time charged. */
  mapRun(cpu: Cpu, n: number, pages: number): number {
    this.counters.add(this.ids.map, n);
    this.liveMappings += n;
    if (this.mode === 'passthrough') {
      if (this.measuring) this.latency.map.recordTimes(0, n);
      return 0;
    }
    const iovaNs = this.iova.allocMany(cpu.id, pages, n);
    const pteNs = n * pages * this.costs.ptePerPageNs;
    cpu.acct[IOVA]! += iovaNs;
    cpu.acct[PTE]! += pteNs;
    if (this.measuring) this.latency.map.recordTimes((iovaNs + pteNs) / n, n);
    return iovaNs + pteNs;
  }

  /**
   * `n` unmaps of `pages` each from `lanes` CPUs beginning at `startNs`,
   * interleaved with `otherNs` of the caller's own work in all (already
   * charged by the caller). The DMA work is charged to `cpu`; returns when
   * the lanes are done with both.
   */
  unmapRun(cpu: Cpu, n: number, pages: number, startNs: number, lanes: number, otherNs: number): number {
    this.counters.add(this.ids.unmap, n);
    this.liveMappings -= n;
    const width = Math.min(lanes, n);
    if (this.mode === 'passthrough') {
      if (this.measuring) this.latency.unmap.recordTimes(0, n);
      return startNs + otherNs / width;
    }
    const pteNs = n * pages * this.costs.ptePerPageNs;
    cpu.acct[PTE]! += pteNs;
    if (this.mode === 'strict') return this.strictRun(cpu, n, pages, startNs, width, otherNs, pteNs);
    return this.lazyRun(cpu, n, pages, startNs, width, otherNs, pteNs);
  }

  private strictRun(cpu: Cpu, n: number, pages: number, startNs: number, width: number, otherNs: number, pteNs: number): number {
    const iovaNs = this.iova.freeMany(cpu.id, pages, n);
    cpu.acct[IOVA]! += iovaNs;
    this.counters.add(this.ids.freed, n);
    const subs = n * this.subsPerInval;
    const blockNs = n * this.queueNsPerInval;
    const workNs = otherNs + pteNs + iovaNs;
    const q = this.queue;
    const queueStart = Math.max(startNs, q.freeAt);
    q.freeAt = queueStart + blockNs;
    // Each CPU works and submits in turn: done when its own share is, and not before the queue has served the block.
    const endNs = Math.max(startNs + (workNs + blockNs) / width, q.freeAt);
    const spinNs = Math.max(0, width * (endNs - startNs) - workNs - blockNs);
    cpu.acct[HW_INVALIDATION]! += blockNs;
    cpu.acct[HW_QUEUE_WAIT]! += spinNs;
    q.acquisitions += subs;
    q.busyNs += blockNs;
    q.holdNs.recordTimes(this.queueNsPerInval / this.subsPerInval, subs);
    q.totalWaitNs += spinNs;
    const waitPerSub = spinNs / subs;
    if (waitPerSub > q.maxWaitNs) q.maxWaitNs = waitPerSub;
    this.counters.add(this.ids.hardware, n);
    if (this.opts.ats) this.counters.add(this.ids.devTlb, n);
    this.counters.add(this.ids.submission, subs);
    // Per unmap: its wait and service (the spin shared out), and its PTE clear and IOVA free.
    const invalNs = (spinNs + blockNs) / n;
    if (this.measuring) {
      this.latency.invalidation.recordTimes(invalNs / this.subsPerInval, subs);
      this.latency.unmap.recordTimes(invalNs + (pteNs + iovaNs) / n, n);
    }
    if (startNs >= this.opts.warmupNs) this.staleWindow.recordTimes(invalNs, n);
    return endNs;
  }

  private lazyRun(cpu: Cpu, n: number, pages: number, startNs: number, width: number, otherNs: number, pteNs: number): number {
    this.pagesQueued = pages;
    const queueNs = n * (this.costs.fqQueueNs + this.opts.lazyUnmapExtraNs);
    cpu.acct[FLUSH_QUEUE]! += n * this.costs.fqQueueNs;
    cpu.acct[PTE]! += n * this.opts.lazyUnmapExtraNs;
    let endNs = startNs + (otherNs + pteNs + queueNs) / width;
    if (this.measuring) this.latency.unmap.recordTimes((pteNs + queueNs) / n, n);
    let left = n;
    while (left > 0) {
      // The PTE-clear times of the run, spread evenly from its start to its end.
      const atNs = startNs + ((endNs - startNs) * (n - left)) / n;
      const k = Math.min(left, this.ringCapacity - this.queued);
      if (k > 0) {
        if (this.queued === 0) this.queuedFirstNs = atNs;
        if (this.timerDueNs === Infinity) this.timerDueNs = atNs + this.opts.fqTimeoutNs;
        this.queued += k;
        left -= k;
        this.queuedLastNs = startNs + ((endNs - startNs) * (n - left)) / n;
      }
      if (left > 0) {
        // Rings full: the next queue_iova() flushes the domain under fq->lock, and its CPU waits.
        const fullNs = k > 0 ? this.queuedLastNs : atNs;
        const stallNs = this.flush(cpu, 'full', fullNs) - fullNs;
        // With one ring every CPU of the domain waits for the lock; with per-CPU rings only the flusher.
        if (this.opts.fqKind === 'single') {
          cpu.acct[FQ_LOCK_SPIN]! += (width - 1) * stallNs;
          endNs += stallNs;
        } else {
          endNs += stallNs / width;
        }
      }
    }
    return endNs;
  }

  /** The flush timer, called with the global time: fires if due (interrupt work on `cpu`). */
  timerCheck(cpu: Cpu, nowNs: number): void {
    if (nowNs < this.timerDueNs) return;
    const due = this.timerDueNs;
    this.timerDueNs = Infinity;
    this.flush(cpu, 'timer', due);
  }

  /**
   * One flush of every domain (flush_iotlb_all each), requested at `atNs`:
   * covers and frees every queued IOVA. The CPU that asked waits for its own
   * domain's flush, the first; returns when it completed.
   */
  private flush(cpu: Cpu, trigger: 'full' | 'timer', atNs: number): number {
    const domains = this.opts.domains;
    this.counters.add(trigger === 'full' ? this.ids.full : this.ids.timer, domains);
    const q = this.queue;
    const start = Math.max(atNs, q.freeAt);
    const serviceNs = this.queueNsPerInval;
    const subs = domains * this.subsPerInval;
    q.freeAt = start + domains * serviceNs;
    const doneNs = start + serviceNs;
    const waitNs = start - atNs;
    cpu.acct[HW_QUEUE_WAIT]! += waitNs;
    cpu.acct[HW_INVALIDATION]! += domains * serviceNs;
    q.acquisitions += subs;
    q.busyNs += domains * serviceNs;
    q.holdNs.recordTimes(serviceNs / this.subsPerInval, subs);
    q.totalWaitNs += waitNs * domains;
    if (waitNs > q.maxWaitNs) q.maxWaitNs = waitNs;
    this.counters.add(this.ids.hardware, domains);
    if (this.opts.ats) this.counters.add(this.ids.devTlb, domains);
    this.counters.add(this.ids.submission, subs);
    if (this.measuring) this.latency.invalidation.recordTimes((doneNs - atNs) / this.subsPerInval, subs);
    this.maxFlushLatencyNs = Math.max(this.maxFlushLatencyNs, doneNs - atNs);
    const covered = this.queued;
    if (covered > 0) {
      // Stale windows: from each PTE clear (spread over the queued span) to this flush's completion.
      if (this.queuedFirstNs >= this.opts.warmupNs) {
        const span = this.queuedLastNs - this.queuedFirstNs;
        for (let i = 0; i < SPREAD_POINTS; i++) {
          const times = Math.floor((covered * (i + 1)) / SPREAD_POINTS) - Math.floor((covered * i) / SPREAD_POINTS);
          this.staleWindow.recordTimes(doneNs - this.queuedFirstNs - (span * (i + 0.5)) / SPREAD_POINTS, times);
        }
      }
      cpu.acct[IOVA]! += this.iova.freeMany(cpu.id, this.pagesQueued, covered);
      this.counters.add(this.ids.freed, covered);
      this.queued = 0;
      this.queuedFirstNs = Infinity;
    }
    return doneNs;
  }
}

// fio on NVMe drives: each job is pinned to its own CPU and submits on its own
// queue of its drive, keeping `iodepth` I/Os in flight (a closed loop, as fio
// with libaio or io_uring does).
//
// Per I/O: the submission path (fio, block layer, nvme_queue_rq) and one DMA
// map of the data buffer, then the drive's service; at completion the
// interrupt, the completion path and one DMA unmap. dma_map_sg() through
// dma-iommu allocates one IOVA range for the whole scatterlist, so an I/O is
// one map and one unmap whatever its size: a 64 KiB I/O maps 16 pages (16 PTE
// writes, 16 PRP entries, one IOVA, one invalidation at unmap). On
// virtio-iommu each 4 KiB page of fio's buffer is a scatterlist segment of its
// own, hence a MAP request of its own (core/backends/virtio-iommu.ts).
//
// The drive: a pipeline with a service time (readLatencyUs, writeLatencyUs,
// with a seeded spread and a rare slow tail) behind a throughput stage at the
// drive's IOPS and bandwidth ceiling, shared by the jobs of the drive.
// Sequential and random patterns cost the same (no merging, no readahead).
//
// Batching: an interrupt reaps every completion present, and more arrive
// while the CPU works, so a busy CPU handles many per interrupt (as NAPI does
// for the NIC); completions ahead of the CPU cost no event.
//
// This is the I/O-by-I/O model, for VMs (and the reference the bare-metal
// batch model is checked against); bare metal runs in batches (fio-batch.ts).
import type { Prng } from '../engine/prng.ts';
import type { Proc, ProcessBody } from '../engine/simulator.ts';
import { LogHistogram } from '../engine/histogram.ts';
import type { DmaApi } from '../guest/dma.ts';
import { CAT } from '../model/accounting.ts';
import type { Costs } from '../model/costs.ts';
import type { Scenario } from '../model/scenario.ts';
import { PAGE_BYTES } from './context.ts';

const MIB = 1024 * 1024;
/** Share of I/Os that take the drive's slow path (internal housekeeping, read retries): a few times the service time. */
export const SLOW_SHARE = 0.01;

export interface Drive {
  index: number;
  /** When the drive's throughput stage frees up for the next I/O. */
  nextSlotNs: number;
  /** Throughput-stage time used by I/Os started since the warm-up boundary. */
  busyNs: number;
}

/** Quarter-octave bins from 1 us to about 2^20 us (one second); the last holds everything slower. */
const CLAT_BINS = 81;

/** Quarter-octave steps: 2^(1/4), 2^(2/4), 2^(3/4). */
const Q1 = 2 ** 0.25;
const Q2 = 2 ** 0.5;
const Q3 = 2 ** 0.75;
const POW2 = Float64Array.from({ length: 31 }, (_, i) => 2 ** i);

/** The bin of a latency: ceil(4 log2(us)), from the exponent (clz) and three comparisons instead of a logarithm. */
function clatBin(ns: number): number {
  const us = ns / 1000;
  if (us <= 1) return 0;
  if (us >= 2 ** 30) return CLAT_BINS - 1;
  const exp = 31 - Math.clz32(us);
  const frac = us / POW2[exp]!;
  const quarter = frac === 1 ? 0 : frac <= Q1 ? 1 : frac <= Q2 ? 2 : frac <= Q3 ? 3 : 4;
  return Math.min(CLAT_BINS - 1, 4 * exp + quarter);
}

/** What the jobs report, counted from the warm-up boundary (by completion time). */
export class FioStats {
  readIos = 0;
  writeIos = 0;
  readBytes = 0;
  writeBytes = 0;
  interrupts = 0;
  readonly readClat = new LogHistogram();
  readonly writeClat = new LogHistogram();
  /** Completion latency of all I/Os in quarter-octave bins from 1 us (the run detail's histogram). */
  readonly clatBins = new Float64Array(CLAT_BINS);
  recordClat(read: boolean, ns: number): void {
    (read ? this.readClat : this.writeClat).record(ns);
    this.clatBins[clatBin(ns)]!++;
  }
  /** `times` I/Os with one completion latency (the batch model's share of a reaped run). */
  recordClatTimes(read: boolean, ns: number, times: number): void {
    if (times <= 0) return;
    (read ? this.readClat : this.writeClat).recordTimes(ns, times);
    this.clatBins[clatBin(ns)]! += times;
  }
  /** Upper edges (us) and counts of the non-empty span of bins. */
  clatHistogram(): { upperUs: number[]; count: number[] } {
    let first = this.clatBins.findIndex((c) => c > 0);
    if (first < 0) return { upperUs: [], count: [] };
    let last = CLAT_BINS - 1;
    while (this.clatBins[last] === 0) last--;
    first = Math.max(0, first);
    const upperUs: number[] = [];
    const count: number[] = [];
    for (let b = first; b <= last; b++) {
      upperUs.push(b === CLAT_BINS - 1 ? Infinity : 2 ** (b / 4));
      count.push(this.clatBins[b]!);
    }
    return { upperUs: upperUs.map((u) => (Number.isFinite(u) ? +u.toPrecision(4) : 2 ** ((CLAT_BINS - 1) / 4))), count };
  }
}


export interface FioContext {
  scenario: Scenario;
  costs: Costs;
  endNs: number;
  warmupNs: number;
  stats: FioStats;
  /** I/Os in flight per job (mapped, not yet unmapped), for conservation checks. */
  held: number[];
  /** Completed I/Os and their bytes, for the time series. */
  onComplete: (ios: number, bytes: number) => void;
  /**
   * The batch model's steps run ahead of or behind the clock: it gives the
   * bytes a step reaps with their span, evenly from `fromNs` to `toNs`, and
   * the time series is drawn from these after the run.
   */
  onReaped?: (bytes: number, fromNs: number, toNs: number) => void;
}

export interface FioJob {
  index: number;
  drive: Drive;
  dma: DmaApi;
  prng: Prng;
}

/** Pages one I/O maps. */
export function ioPages(bs: number): number {
  return Math.ceil(bs / PAGE_BYTES);
}

/** The share of I/Os that read. */
export function readShare(w: Scenario['workload']): number {
  if (w.rw === 'randread' || w.rw === 'read') return 1;
  if (w.rw === 'randwrite' || w.rw === 'write') return 0;
  return w.rwmixread / 100;
}

/** Time the drive's throughput stage spends on one I/O: its IOPS or its bandwidth ceiling, whichever binds. */
export function driveSlotNs(d: Scenario['device'], bs: number, read: boolean): number {
  return Math.max(1e9 / (read ? d.maxReadIops : d.maxWriteIops), (bs / (d.maxBandwidthMiBps * MIB)) * 1e9);
}

/** Most I/Os per second the drives allow for this workload (all drives, the read/write mix considered). */
export function driveCeilingIops(s: Scenario): number {
  const r = readShare(s.workload);
  const slot = r * driveSlotNs(s.device, s.workload.bs, true) + (1 - r) * driveSlotNs(s.device, s.workload.bs, false);
  return (s.device.drives * 1e9) / slot;
}

/** In-flight completions of one job, earliest first (a binary heap over parallel arrays). */
class Completions {
  private done: Float64Array;
  private submitted: Float64Array;
  private read: Uint8Array;
  size = 0;
  constructor(capacity: number) {
    this.done = new Float64Array(capacity);
    this.submitted = new Float64Array(capacity);
    this.read = new Uint8Array(capacity);
  }
  peek(): number {
    return this.size ? this.done[0]! : Infinity;
  }
  push(done: number, submitted: number, read: boolean): void {
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.done[parent]! <= done) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, done, submitted, read ? 1 : 0);
  }
  /** Removes the earliest; returns its submission time, its read flag in `lastRead`. */
  lastRead = false;
  pop(): number {
    const submitted = this.submitted[0]!;
    this.lastRead = this.read[0] === 1;
    const n = --this.size;
    if (n === 0) return submitted;
    const done = this.done[n]!;
    const sub = this.submitted[n]!;
    const rd = this.read[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.done[r]! < this.done[l]! ? r : l;
      if (this.done[c]! >= done) break;
      this.move(c, i);
      i = c;
    }
    this.set(i, done, sub, rd);
    return submitted;
  }
  private move(from: number, to: number): void {
    this.done[to] = this.done[from]!;
    this.submitted[to] = this.submitted[from]!;
    this.read[to] = this.read[from]!;
  }
  private set(i: number, done: number, submitted: number, read: number): void {
    this.done[i] = done;
    this.submitted[i] = submitted;
    this.read[i] = read;
  }
}

export function* fioJob(ctx: FioContext, proc: Proc, job: FioJob): ProcessBody {
  const { scenario: s, costs, endNs, warmupNs, stats } = ctx;
  const w = s.workload;
  const d = s.device;
  const dma = job.dma;
  const drive = job.drive;
  const pages = ioPages(w.bs);
  const reads = readShare(w);
  const readLatencyNs = d.readLatencyUs * 1000;
  const writeLatencyNs = d.writeLatencyUs * 1000;
  const readSlotNs = driveSlotNs(d, w.bs, true);
  const writeSlotNs = driveSlotNs(d, w.bs, false);
  const coalesceNs = d.interruptCoalescingUs * 1000;
  const inFlight = new Completions(w.iodepth);
  const STACK = CAT.stack;
  ctx.held[job.index] = 0;

  // After the submission path and the map: the drive takes the I/O (a plain function: the hot path makes no generator of its own).
  const toDrive = (): void => {
    ctx.held[job.index]!++;
    const read = reads === 1 || (reads > 0 && job.prng.next() < reads);
    // Service time: a spread of +-25% around the drive's figure, and a rare slow I/O.
    const u = job.prng.next();
    const base = read ? readLatencyNs : writeLatencyNs;
    let serviceNs = base * (0.75 + 0.5 * u);
    if (u < SLOW_SHARE) serviceNs += base * 2 * -Math.log(1 - job.prng.next());
    const slotNs = read ? readSlotNs : writeSlotNs;
    const start = Math.max(drive.nextSlotNs, proc.t);
    drive.nextSlotNs = start + slotNs;
    if (start >= warmupNs) drive.busyNs += slotNs;
    inFlight.push(Math.max(proc.t + serviceNs, drive.nextSlotNs), proc.t, read);
  };

  // fio fills its queue depth first.
  for (let i = 0; i < w.iodepth; i++) {
    proc.spend(STACK, costs.nvmeSubmitNs);
    if (!dma.mapNow(proc, pages)) yield* dma.mapRest(proc);
    toDrive();
  }
  let lastIrq = -Infinity;
  while (proc.t < endNs) {
    const next = inFlight.peek();
    if (next > proc.t) {
      // Nothing to reap: wait for the next completion's interrupt (coalesced).
      yield { kind: 'sleep', until: Math.max(next, lastIrq + coalesceNs) };
      continue;
    }
    lastIrq = proc.t;
    proc.spend(STACK, costs.nvmeIrqNs);
    if (proc.t >= warmupNs) stats.interrupts++;
    let reaped = 0;
    while (inFlight.peek() <= proc.t) {
      const submitted = inFlight.pop();
      const read = inFlight.lastRead;
      proc.spend(STACK, costs.nvmeCompleteNs);
      if (!dma.unmapNow(proc, pages)) yield* dma.unmapRest(proc, pages);
      ctx.held[job.index]!--;
      reaped++;
      // fio's completion latency: from submission to the reap, the unmap included.
      if (proc.t >= warmupNs) {
        if (read) {
          stats.readIos++;
          stats.readBytes += w.bs;
        } else {
          stats.writeIos++;
          stats.writeBytes += w.bs;
        }
        stats.recordClat(read, proc.t - submitted);
      }
      ctx.onComplete(1, w.bs);
    }
    for (let i = 0; i < reaped && proc.t < endNs; i++) {
      proc.spend(STACK, costs.nvmeSubmitNs);
      if (!dma.mapNow(proc, pages)) yield* dma.mapRest(proc);
      toDrive();
    }
    // Give the other processes their turn in time order, unless the loop sleeps for the next interrupt anyway.
    if (inFlight.peek() <= proc.t) yield { kind: 'sleep', until: proc.t };
  }
}

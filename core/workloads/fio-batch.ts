// fio on bare-metal NVMe in batches: the same jobs, drives and DMA path as
// fio.ts, stepped a batch of I/Os at a time instead of I/O by I/O, so that a
// run of 16M IOPS simulates faster than real time (docs/MODEL.md, "Bare
// metal in batches").
//
// The jobs run the same loop on identical CPUs against identical drives, so
// the jobs of the drives behind one IOMMU unit are stepped together as one
// group, one lane per job, over the drives' DMA domains (one per drive).
// A group's I/Os in flight are cohorts: the I/Os it resubmitted in one step,
// with their submission span, their drive slots (each drive's throughput
// stage serves its I/Os in order at its IOPS or bandwidth ceiling; the I/Os
// spread evenly over the drives) and their completion span (service time
// +-25% around the drive's figure, or the end of their slots when the drives
// are the bottleneck). Completions of a cohort are spread evenly over that
// span and keep the order of its submissions. One I/O in a hundred takes the
// drive's slow path and is followed on its own (seeded draws).
//
// A step reaps what completed up to a horizon before which nothing it
// resubmits can complete, if the group's CPUs are free: the completions are
// handled as they arrive while the CPUs keep up, else one after another;
// unmaps and maps go to the domains in one run each (core/guest/dma-batch.ts),
// where the unit's invalidation queue is charged exactly, block by block; the
// reaped I/Os are resubmitted at once. A step may lie in the past of the
// global clock (a group's clock runs on its own, as the engine's processes
// do); a tick lets the groups catch up with it.
//
// Interrupts: one per completion that finds its CPU idle. With completions
// arriving at a rate that keeps the CPUs busy a share rho of the time, a
// CPU handles about 1/(1-rho) completions per interrupt (a busy period, the
// one closed-form piece of the model); each lane that reaps in a step takes
// one at least; coalescing caps the rate at one per aggregation time.
import type { Prng } from '../engine/prng.ts';
import type { Cpu, Simulator } from '../engine/simulator.ts';
import type { DmaBatchDomain } from '../guest/dma-batch.ts';
import { CAT } from '../model/accounting.ts';
import type { Scenario } from '../model/scenario.ts';
import { driveSlotNs, ioPages, readShare, SLOW_SHARE, type Drive, type FioContext } from './fio.ts';

/** I/Os one group submitted in one step, in one direction. */
interface Cohort {
  n: number;
  reaped: number;
  read: boolean;
  /** Submission span. */
  submitLoNs: number;
  submitHiNs: number;
  /** Completion span: the k-th completion (from 1) of n at lo + (hi - lo) k / n. */
  loNs: number;
  hiNs: number;
}

/** The slow I/Os one group submitted in one step, in one direction, by completion time. */
interface SlowCohort {
  n: number;
  reaped: number;
  read: boolean;
  doneNs: Float64Array;
  submittedNs: Float64Array;
}

export interface FioGroup {
  index: number;
  /** The drives of the group, identical; their throughput stages serve the group's I/Os side by side. */
  drives: Drive[];
  /** When the drives' stages, taken together, free up for the next I/O. */
  nextSlotNs: number;
  /** Throughput-stage time each of the drives used for I/Os started since the warm-up boundary. */
  driveBusyNs: number;
  dma: DmaBatchDomain;
  /** The CPUs of the drives' jobs, one job each. */
  cpus: Cpu[];
  prng: Prng;
  /** When the group's CPUs are done with their last step. */
  cursorNs: number;
  /** Cohorts in flight, in submission order. */
  cohorts: Cohort[];
  /** Slow I/Os in flight, each with its own completion time. */
  slow: SlowCohort[];
  /** Reaped slow cohorts, for reuse. */
  slowSpare: SlowCohort[];
  /** Reaped cohorts, for reuse. */
  spare: Cohort[];
  /** Share of reads not yet given to an I/O (exact read/write mix over the run). */
  readCarry: number;
  /** The CPU the next step's work is charged to (the lanes take turns). */
  turn: number;
  /** I/Os to go until the next slow one (start with `ioUntilSlow`). */
  untilSlow: number;
}

/**
 * How often the groups catch up with the global clock: the flush timer, the
 * samplers and the end of the run see them at most this far behind. Groups
 * share nothing (each has its own unit's queue), so it bounds no order.
 */
export const FIO_TICK_NS = 250_000;

/** The shortest service time of the run's I/Os: three quarters of the drive's figure, for the directions in use. */
export function shortestServiceNs(s: Scenario): number {
  const reads = readShare(s.workload);
  return 0.75 * 1000 * Math.min(reads > 0 ? s.device.readLatencyUs : Infinity, reads < 1 ? s.device.writeLatencyUs : Infinity);
}

/** Schedules the groups' first submissions and the ticks that step them to the end of the run. */
export function startFioGroups(ctx: FioContext, sim: Simulator, groups: FioGroup[]): void {
  const { scenario: s, costs, endNs, warmupNs, stats } = ctx;
  const w = s.workload;
  const d = s.device;
  const pages = ioPages(w.bs);
  const reads = readShare(w);
  const read = { latencyNs: d.readLatencyUs * 1000, slotNs: driveSlotNs(d, w.bs, true) };
  const write = { latencyNs: d.writeLatencyUs * 1000, slotNs: driveSlotNs(d, w.bs, false) };
  const coalesceNs = d.interruptCoalescingUs * 1000;
  const { nvmeSubmitNs: submitNs, nvmeCompleteNs: completeNs, nvmeIrqNs: irqNs } = costs;
  const STACK = CAT.stack;
  const minServiceNs = shortestServiceNs(s);
  const minSlotNs = Math.min(read.slotNs, write.slotNs);

  /** `n` I/Os submitted over [loNs, hiNs] go to the drive. */
  const submit = (g: FioGroup, n: number, loNs: number, hiNs: number): void => {
    g.readCarry += n * reads;
    const nRead = Math.min(n, Math.floor(g.readCarry + 1e-9));
    g.readCarry -= nRead;
    toDrive(g, nRead, true, loNs, hiNs);
    toDrive(g, n - nRead, false, loNs, hiNs);
    ctx.held[g.index]! += n;
  };

  const toDrive = (g: FioGroup, n: number, isRead: boolean, loNs: number, hiNs: number): void => {
    if (n === 0) return;
    const { latencyNs } = isRead ? read : write;
    // The I/Os spread evenly over the drives: the stages together take one every slot / drives.
    const slotNs = (isRead ? read : write).slotNs / g.drives.length;
    const firstSlotNs = Math.max(loNs, g.nextSlotNs);
    g.nextSlotNs = Math.max(firstSlotNs + n * slotNs, hiNs + slotNs);
    if (firstSlotNs >= warmupNs) g.driveBusyNs += n * slotNs;
    // The slow I/Os among them: one every geometric(SLOW_SHARE) I/Os of the group.
    let slow = 0;
    g.untilSlow -= n;
    while (g.untilSlow <= 0) {
      slow++;
      g.untilSlow += ioUntilSlow(g.prng);
    }
    slow = Math.min(n, slow);
    if (slow > 0) {
      const sc = slowCohort(g, slow, isRead);
      for (let i = 0; i < slow; i++) {
        const atNs = loNs + g.prng.next() * (hiNs - loNs);
        const serviceNs = latencyNs * (0.75 + 0.5 * g.prng.next()) + latencyNs * 2 * exponential(g.prng.next());
        const doneNs = Math.max(atNs + serviceNs, g.nextSlotNs);
        // Insertion by completion time (a handful per step).
        let j = i;
        while (j > 0 && sc.doneNs[j - 1]! > doneNs) {
          sc.doneNs[j] = sc.doneNs[j - 1]!;
          sc.submittedNs[j] = sc.submittedNs[j - 1]!;
          j--;
        }
        sc.doneNs[j] = doneNs;
        sc.submittedNs[j] = atNs;
      }
      g.slow.push(sc);
    }
    const normal = n - slow;
    if (normal === 0) return;
    const lo = Math.max(loNs + 0.75 * latencyNs, firstSlotNs + slotNs);
    g.cohorts.push(cohort(g, normal, isRead, loNs, hiNs, lo, Math.max(hiNs + 1.25 * latencyNs, firstSlotNs + normal * slotNs)));
  };

  // The pieces of one step, in parallel arrays (no allocation per step), and their order by first completion.
  const pieceCohort: Cohort[] = [];
  let pieceFrom = new Float64Array(16);
  let pieceTo = new Float64Array(16);
  let pieceLo = new Float64Array(16);
  let pieceHi = new Float64Array(16);
  let order = new Int32Array(16);
  const growPieces = (): void => {
    const grow = (a: Float64Array) => {
      const b = new Float64Array(a.length * 2);
      b.set(a);
      return b;
    };
    pieceFrom = grow(pieceFrom);
    pieceTo = grow(pieceTo);
    pieceLo = grow(pieceLo);
    pieceHi = grow(pieceHi);
    const grown = new Int32Array(order.length * 2);
    grown.set(order);
    order = grown;
  };

  // Filled by `addPiece` for the step under way (an object's fields: numbers a closure shares would be boxed at each write).
  const cur = { pieces: 0, n: 0, firstNs: Infinity, lastDoneNs: 0 };
  /** Completions `reaped` (included) to `done` (excluded) of cohort `c` go to this step. */
  const addPiece = (c: Cohort, done: number): void => {
    const pieces = cur.pieces;
    if (pieces === pieceFrom.length) growPieces();
    const span = (c.hiNs - c.loNs) / c.n;
    const lo = c.loNs + span * (c.reaped + 1);
    const hi = c.loNs + span * done;
    pieceCohort[pieces] = c;
    pieceFrom[pieces] = c.reaped;
    pieceTo[pieces] = done;
    pieceLo[pieces] = lo;
    pieceHi[pieces] = hi;
    // Insertion by first completion (cohorts are mostly in that order already).
    let j = pieces;
    while (j > 0 && pieceLo[order[j - 1]!]! > lo) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = pieces;
    cur.pieces = pieces + 1;
    cur.n += done - c.reaped;
    if (lo < cur.firstNs) cur.firstNs = lo;
    if (hi > cur.lastDoneNs) cur.lastDoneNs = hi;
  };

  /** Keeps the step's first `max` completions in their order (the pieces past them shrink to nothing); true if it dropped any. */
  const keepFirst = (max: number): boolean => {
    if (cur.n <= max) return false;
    let kept = 0;
    let lastDoneNs = 0;
    for (let i = 0; i < cur.pieces; i++) {
      const p = order[i]!;
      const k = Math.min(pieceTo[p]! - pieceFrom[p]!, max - kept);
      if (k < pieceTo[p]! - pieceFrom[p]!) {
        const c = pieceCohort[p]!;
        pieceTo[p] = pieceFrom[p]! + k;
        pieceHi[p] = c.loNs + ((c.hiNs - c.loNs) * pieceTo[p]!) / c.n;
      }
      kept += k;
      if (k > 0 && pieceHi[p]! > lastDoneNs) lastDoneNs = pieceHi[p]!;
    }
    cur.n = kept;
    cur.lastDoneNs = lastDoneNs;
    return true;
  };

  /**
   * One step of a group towards time `t`: reap what completed, unmap,
   * resubmit, map. A step reaps up to a horizon before which nothing it
   * resubmits can complete (its earliest completion plus the shortest service
   * time, or the drives' backlog), so it never misses a completion it could
   * have reaped; returns true when it stopped short of `t`.
   */
  const step = (g: FioGroup, t: number): boolean => {
    if (g.cursorNs >= t || g.cursorNs >= endNs) return false;
    const cohorts = g.cohorts;
    const slow = g.slow;
    let earliestNs = Infinity;
    for (let i = 0; i < slow.length; i++) {
      const sc = slow[i]!;
      if (sc.doneNs[sc.reaped]! < earliestNs) earliestNs = sc.doneNs[sc.reaped]!;
    }
    for (let i = 0; i < cohorts.length; i++) {
      const c = cohorts[i]!;
      const nextNs = c.loNs + ((c.hiNs - c.loNs) * (c.reaped + 1)) / c.n;
      if (nextNs < earliestNs) earliestNs = nextNs;
    }
    if (earliestNs > t) return false;
    const h = Math.min(t, Math.max(earliestNs + minServiceNs, g.nextSlotNs + minSlotNs / g.drives.length));
    cur.pieces = 0;
    cur.n = 0;
    cur.firstNs = Infinity;
    cur.lastDoneNs = 0;
    for (let i = 0; i < cohorts.length; i++) {
      const c = cohorts[i]!;
      if (c.loNs > h) continue;
      const done = c.hiNs <= h ? c.n : Math.floor((c.n * (h - c.loNs)) / (c.hiNs - c.loNs));
      if (done > c.reaped) addPiece(c, done);
    }
    // Strict: a step's unmaps take the queue up to the clock's time at most, so the group runs no further ahead
    // of the clock than one unmap (the counters at the warm-up and at the end see it where it is); the
    // completions past that wait for the next step.
    const queueNs = g.dma.queueNsPerUnmap;
    const truncated = queueNs > 0 && keepFirst(Math.max(1, Math.ceil((t - g.cursorNs) / queueNs)));
    // The slow I/Os due, one by one: their count per slow cohort.
    let slowDue = 0;
    for (let i = 0; i < slow.length; i++) {
      const sc = slow[i]!;
      let k = sc.reaped;
      while (k < sc.n && sc.doneNs[k]! <= h) k++;
      if (k === sc.reaped) continue;
      if (sc.doneNs[sc.reaped]! < cur.firstNs) cur.firstNs = sc.doneNs[sc.reaped]!;
      if (sc.doneNs[k - 1]! > cur.lastDoneNs) cur.lastDoneNs = sc.doneNs[k - 1]!;
      slowDue += k - sc.reaped;
    }
    cur.n += slowDue;
    const { pieces, n, firstNs, lastDoneNs } = cur;
    if (n === 0) return false;
    // Nothing begins after the run's end: the first completion is before the horizon, the horizon no later than the end.
    const startNs = Math.max(g.cursorNs, firstNs);

    const lanes = g.cpus.length;
    const width = Math.min(lanes, n);
    const cpu = g.cpus[g.turn]!;
    g.turn = (g.turn + 1) % lanes;
    const ioNs = n * (completeNs + submitNs);
    // fio reaps (completion, unmap) and resubmits (submission, map); while some lanes resubmit, the queue serves the others' unmaps.
    const mapNs = g.dma.mapRun(cpu, n, pages);
    const workDoneNs = g.dma.unmapRun(cpu, n, pages, startNs, lanes, ioNs + mapNs);
    // Interrupts: lanes busy a share rho of the time the completions took to come handle about
    // 1/(1 - rho) per interrupt (a busy period).
    // (Lanes still busy with the last step when the first completion came count as busy from then.)
    const spanNs = lastDoneNs - firstNs;
    const rho = spanNs > 0 ? (Math.max(0, g.cursorNs - firstNs) + workDoneNs - startNs) / spanNs : Infinity;
    // A lane reaps its whole share of the I/Os in flight per interrupt at most: a step that reaps a part of them wakes that part of the lanes.
    const lanesWoken = Math.max(1, Math.round((width * n) / Math.max(n, ctx.held[g.index]!)));
    let irqs = Math.max(lanesWoken, Math.round(n * (1 - Math.min(1, rho))));
    if (coalesceNs > 0) irqs = Math.min(irqs, width * Math.max(1, Math.ceil(spanNs / coalesceNs)));
    cpu.acct[STACK]! += ioNs + irqs * irqNs;
    const doneNs = workDoneNs + (irqs * irqNs) / width;
    const perOpNs = ((doneNs - startNs) * width) / n;
    const endStepNs = Math.max(doneNs, lastDoneNs + perOpNs);
    // Each piece is reaped in order after the one before, and none before its completions came.
    const busyNs = Math.max(0, doneNs - startNs - perOpNs);
    let before = 0;
    for (let i = 0; i < pieces; i++) {
      const p = order[i]!;
      const from = pieceFrom[p]!;
      const k = pieceTo[p]! - from;
      const seqLoNs = startNs + perOpNs + (busyNs * before) / n;
      before += k;
      const seqHiNs = startNs + perOpNs + (busyNs * before) / n;
      const reapLoNs = Math.max(seqLoNs, pieceLo[p]! + perOpNs);
      const reapHiNs = Math.max(seqHiNs, pieceHi[p]! + perOpNs);
      const c = pieceCohort[p]!;
      c.reaped = pieceTo[p]!;
      ctx.onReaped?.(k * w.bs, reapLoNs, reapHiNs);
      // The I/Os reaped inside the measured span (fio counts an I/O when it reaps it).
      const m = reapLoNs >= warmupNs && reapHiNs <= endNs ? k : measuredShare(k, reapLoNs, reapHiNs, warmupNs, endNs);
      if (m === 0) continue;
      if (c.read) {
        stats.readIos += m;
        stats.readBytes += m * w.bs;
      } else {
        stats.writeIos += m;
        stats.writeBytes += m * w.bs;
      }
      // The k-th completion of a cohort belongs to its k-th submission.
      const submitSpanNs = (c.submitHiNs - c.submitLoNs) / c.n;
      // Recorded at the piece's quarter and three-quarter points, half of its I/Os each.
      const half = m >> 1;
      const reapSpanNs = reapHiNs - reapLoNs;
      const firstNs = c.submitLoNs + submitSpanNs * from;
      stats.recordClatTimes(c.read, reapLoNs + reapSpanNs * 0.25 - (firstNs + submitSpanNs * (k - 1) * 0.25), half);
      stats.recordClatTimes(c.read, reapLoNs + reapSpanNs * 0.75 - (firstNs + submitSpanNs * (k - 1) * 0.75), m - half);
    }
    // A slow I/O is reaped when the lanes get to it after it came.
    if (slowDue > 0) {
      let kept = 0;
      for (let i = 0; i < slow.length; i++) {
        const sc = slow[i]!;
        for (; sc.reaped < sc.n && sc.doneNs[sc.reaped]! <= h; sc.reaped++) {
          const reapNs = Math.max(sc.doneNs[sc.reaped]!, startNs) + perOpNs;
          ctx.onReaped?.(w.bs, reapNs, reapNs);
          if (reapNs < warmupNs || reapNs > endNs) continue;
          if (sc.read) {
            stats.readIos++;
            stats.readBytes += w.bs;
          } else {
            stats.writeIos++;
            stats.writeBytes += w.bs;
          }
          stats.recordClatTimes(sc.read, reapNs - sc.submittedNs[sc.reaped]!, 1);
        }
        if (sc.reaped < sc.n) slow[kept++] = sc;
        else g.slowSpare.push(sc);
      }
      // pop(), not a length write: the engine shrinks an array's store on a length write.
      while (slow.length > kept) slow.pop();
    }
    if (startNs >= warmupNs && startNs < endNs) stats.interrupts += irqs;
    ctx.held[g.index]! -= n;
    ctx.onComplete(n, n * w.bs);
    let kept = 0;
    for (let i = 0; i < cohorts.length; i++) {
      const c = cohorts[i]!;
      if (c.reaped < c.n) cohorts[kept++] = c;
      else g.spare.push(c);
    }
    while (cohorts.length > kept) cohorts.pop();
    g.cursorNs = endStepNs;
    submit(g, n, Math.min(startNs + perOpNs, endStepNs), endStepNs);
    return truncated || h < t;
  };

  for (const g of groups) {
    // fio fills its queue depth first.
    const n = g.cpus.length * w.iodepth;
    const startNs = g.prng.next() * 1000;
    const cpu = g.cpus[0]!;
    cpu.acct[STACK]! += n * submitNs;
    const mapNs = g.dma.mapRun(cpu, n, pages);
    const doneNs = startNs + (n * submitNs + mapNs) / g.cpus.length;
    ctx.held[g.index] = 0;
    submit(g, n, startNs, doneNs);
    g.cursorNs = doneNs;
  }

  const tick = (t: number): void => {
    for (const g of groups) {
      g.dma.timerCheck(g.cpus[0]!, t);
      while (step(g, t));
    }
    if (t < endNs) sim.at(Math.min(endNs, t + FIO_TICK_NS), tick);
  };
  // A nanosecond before each round time, so the warm-up boundary and the samplers there find the groups caught up.
  sim.at(Math.min(endNs, FIO_TICK_NS - 1), tick);
}

/** Of `k` I/Os reaped evenly over [loNs, hiNs], those reaped in [fromNs, toNs]. */
function measuredShare(k: number, loNs: number, hiNs: number, fromNs: number, toNs: number): number {
  if (hiNs <= loNs) return loNs >= fromNs && loNs <= toNs ? k : 0;
  const inside = Math.min(hiNs, toNs) - Math.max(loNs, fromNs);
  return inside <= 0 ? 0 : Math.round((k * inside) / (hiNs - loNs));
}

/** -ln(1 - u) at u = i / 4096: exponential draws by interpolation, a logarithm only in the last 1/4096 of the tail. */
const EXP_STEPS = 4096;
const EXP_TABLE = Float64Array.from({ length: EXP_STEPS }, (_, i) => -Math.log(1 - i / EXP_STEPS));

/** A unit-mean exponential draw from a uniform `u` in [0, 1). */
function exponential(u: number): number {
  const x = u * EXP_STEPS;
  const i = x | 0;
  if (i >= EXP_STEPS - 1) return -Math.log(1 - u);
  return EXP_TABLE[i]! + (x - i) * (EXP_TABLE[i + 1]! - EXP_TABLE[i]!);
}

const FAST_RATE = -Math.log(1 - SLOW_SHARE);

/** I/Os up to and including the next slow one: geometric with parameter SLOW_SHARE. */
export function ioUntilSlow(prng: Prng): number {
  return 1 + Math.floor(exponential(prng.next()) / FAST_RATE);
}

/** A slow cohort for `n` I/Os, reusing a reaped one of the group when there is one. */
function slowCohort(g: FioGroup, n: number, read: boolean): SlowCohort {
  let sc = g.slowSpare.pop();
  if (!sc || sc.doneNs.length < n) {
    const capacity = Math.max(8, n);
    sc = { n, reaped: 0, read, doneNs: new Float64Array(capacity), submittedNs: new Float64Array(capacity) };
  }
  sc.n = n;
  sc.reaped = 0;
  sc.read = read;
  return sc;
}

/** A cohort, reusing a reaped one of the group when there is one. */
function cohort(g: FioGroup, n: number, read: boolean, submitLoNs: number, submitHiNs: number, loNs: number, hiNs: number): Cohort {
  const c = g.spare.pop();
  if (!c) return { n, reaped: 0, read, submitLoNs, submitHiNs, loNs, hiNs };
  c.n = n;
  c.reaped = 0;
  c.read = read;
  c.submitLoNs = submitLoNs;
  c.submitHiNs = submitHiNs;
  c.loNs = loNs;
  c.hiNs = hiNs;
  return c;
}

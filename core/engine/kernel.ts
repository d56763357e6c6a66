// The discrete-event kernel: processes (generators) that run on a vCPU with
// their own clock, a global event queue, and one FIFO lock standing for
// QEMU's big lock (BQL), under which the VMM handles every exit.
//
// A process advances its clock locally while it touches only its own state,
// and yields whenever it needs the global order: to wait for time to pass or
// to take the VMM lock. Shared state other than the lock (IOVA depot, other
// vCPUs' flush-queue rings) is therefore seen in an order that may differ by
// at most one such local stretch (one NAPI poll, tens of microseconds).
import { EventQueue } from './event-queue.ts';

export const CPU_CATEGORIES = [
  'stack',
  'iova',
  'pte',
  'flushQueue',
  'hwInvalidation',
  'wpFault',
  'exit',
  'vmmLockWait',
  'vmmHandling',
] as const;
export type CpuCategory = (typeof CPU_CATEGORIES)[number];
/** Category indexes: the hot path adds to a typed array instead of keyed properties. */
export const CAT = Object.fromEntries(CPU_CATEGORIES.map((c, i) => [c, i])) as { readonly [K in CpuCategory]: number };

export class Cpu {
  /** Busy time per category, indexed by CAT. */
  readonly acct = new Float64Array(CPU_CATEGORIES.length);
  /** Time stolen by a timer callback while this vCPU was busy; its process pays it at its next step. */
  stolenNs = 0;
  /** A sleeping vCPU cannot wake before this (a timer callback ran on it meanwhile). */
  busyUntil = 0;
  /** The process that owns the vCPU (the workload); timer callbacks borrow it. */
  main: Proc | null = null;
  constructor(readonly id: number) {}

  isIdle(): boolean {
    return this.main === null || this.main.asleep;
  }
}

export type Request =
  | { kind: 'sleep'; until: number }
  | { kind: 'exit'; roundTripNs: number; lockedNs: number; onDone?: (startNs: number, endNs: number) => void };

export type ProcessBody = Generator<Request, void, void>;

export class Proc {
  t: number;
  body!: ProcessBody;
  /** Completion callback of the last exit, run when the process resumes (after the VMM finished). */
  pendingDone: (() => void) | null = null;
  asleep = false;
  constructor(
    readonly cpu: Cpu,
    startNs: number,
  ) {
    this.t = startNs;
  }

  spend(category: number, ns: number): void {
    this.t += ns;
    this.cpu.acct[category]! += ns;
  }

  /** Pay for time a timer callback took from this vCPU while it was working. */
  payStolen(): void {
    if (this.cpu.stolenNs) {
      this.t += this.cpu.stolenNs;
      this.cpu.stolenNs = 0;
    }
  }
}

type Event =
  | { type: 'resume'; proc: Proc }
  | { type: 'lock'; proc: Proc; req: Extract<Request, { kind: 'exit' }> }
  | { type: 'call'; fn: (timeNs: number) => void };

export class Kernel {
  readonly queue = new EventQueue<Event>();
  now = 0;
  events = 0;
  lockFreeAt = 0;
  lockBusyNs = 0;
  lockWaitNs = 0;
  lockAcquisitions = 0;
  maxLockWaitNs = 0;

  constructor(readonly endNs: number) {}

  spawn(cpu: Cpu, startNs: number, body: (proc: Proc) => ProcessBody): Proc {
    const proc = new Proc(cpu, startNs);
    proc.body = body(proc);
    this.queue.push(startNs, { type: 'resume', proc });
    return proc;
  }

  at(timeNs: number, fn: (timeNs: number) => void): void {
    this.queue.push(timeNs, { type: 'call', fn });
  }

  /** Runs until endNs; returns false if stopped early by `shouldStop`. */
  run(onTick?: (nowNs: number) => boolean | void, tickEvery = 4096): boolean {
    while (this.queue.size && this.queue.peekTime() <= this.endNs) {
      const { time, item } = this.queue.pop();
      this.now = time;
      this.events++;
      if (item.type === 'resume') {
        item.proc.asleep = false;
        if (item.proc.t < time) item.proc.t = time;
        if (item.proc === item.proc.cpu.main && item.proc.t < item.proc.cpu.busyUntil) item.proc.t = item.proc.cpu.busyUntil;
        const done = item.proc.pendingDone;
        if (done) {
          item.proc.pendingDone = null;
          done();
        }
        this.step(item.proc);
      } else if (item.type === 'lock') {
        this.acquire(time, item.proc, item.req);
      } else {
        item.fn(time);
      }
      if (onTick && this.events % tickEvery === 0 && onTick(time) === false) return false;
    }
    this.now = this.endNs;
    return true;
  }

  private step(proc: Proc): void {
    if (proc.t >= this.endNs) return;
    const r = proc.body.next();
    if (r.done) return;
    const req = r.value;
    if (req.kind === 'sleep') {
      const until = Math.max(req.until, proc.t);
      proc.asleep = until > proc.t;
      this.queue.push(until, { type: 'resume', proc });
    } else {
      // Half of the round trip brings the request to the VMM, the other half returns.
      const half = req.roundTripNs / 2;
      proc.spend(CAT.exit, req.roundTripNs);
      const arrive = proc.t - half;
      this.queue.push(arrive, { type: 'lock', proc, req });
    }
  }

  private acquire(time: number, proc: Proc, req: Extract<Request, { kind: 'exit' }>): void {
    const start = Math.max(time, this.lockFreeAt);
    const end = start + req.lockedNs;
    this.lockFreeAt = end;
    this.lockBusyNs += req.lockedNs;
    this.lockAcquisitions++;
    const wait = start - time;
    this.lockWaitNs += wait;
    if (wait > this.maxLockWaitNs) this.maxLockWaitNs = wait;
    proc.cpu.acct[CAT.vmmLockWait]! += wait;
    proc.cpu.acct[CAT.vmmHandling]! += req.lockedNs;
    const onDone = req.onDone;
    if (onDone) proc.pendingDone = () => onDone(start, end);
    proc.t = end + req.roundTripNs / 2;
    this.queue.push(proc.t, { type: 'resume', proc });
  }
}

// The discrete-event simulator: processes (generators) that run on a CPU with
// their own clock, a global event queue, and FIFO resources (mutexes) that
// processes request, hold while they spend time, and release.
//
// A process advances its clock locally while it touches only its own state,
// and yields whenever it needs the global order: to wait for time to pass or
// to request a resource. Shared state other than resources (an IOVA depot,
// other CPUs' rings) is therefore seen in an order that may differ by at most
// one such local stretch (one NAPI poll, tens of microseconds). Resources
// themselves are granted in the global order of their requests.
//
// Interrupt work (a timer callback) runs on a CPU as the kernel runs a
// softirq: on the interrupted CPU, in place of its workload. When the CPU's
// process is running, the callback runs inline in that process at its next
// step at which it holds no resource (locks taken with interrupts off, or a
// vCPU blocked in the VMM, defer it), so the workload waits for it and never
// queues against it. When the CPU is idle, the callback is a process of its
// own, and the CPU's process does not wake until it ends.
//
// The engine knows nothing of what it simulates: CPU time categories are
// indexes chosen by the model, resources carry the model's names.
import { EventQueue } from './event-queue.ts';
import { LogHistogram } from './histogram.ts';

/** Interrupt work: it may request resources and spend time, but never sleeps (it runs to its end). */
export type InterruptBody = (proc: Proc) => ProcessBody;

export class Cpu {
  /** Busy time per category index (the model defines the categories). */
  readonly acct: Float64Array;
  /** The process that owns the CPU (the workload). */
  main: Proc | null = null;
  /** The process running interrupt work on this CPU while `main` sleeps. */
  interruptProc: Proc | null = null;
  /** Interrupt work raised while the CPU was running, waiting for its running process's next step. */
  readonly pendingInterrupts: InterruptBody[] = [];
  /** `main` was due to wake while interrupt work held the CPU: it resumes when that work ends. */
  mainDeferred = false;
  /** Interrupt work on this idle CPU ran (on its own clock) until then: nothing else runs on it before. */
  busyUntil = 0;
  constructor(
    readonly id: number,
    categories: number,
  ) {
    this.acct = new Float64Array(categories);
  }

  /** The process running on this CPU now, if any: the interrupt process, or an awake main process. */
  running(): Proc | null {
    if (this.interruptProc) return this.interruptProc;
    return this.main !== null && !this.main.asleep ? this.main : null;
  }
}

/**
 * What a process yields. `acquire` returns once the resource is granted; the
 * time waited is charged to `waitCategory` of the process's CPU (the model
 * decides whether waiting is spinning, blocking in the VMM, ...).
 */
export type Request = { kind: 'sleep'; until: number } | { kind: 'acquire'; resource: Resource; waitCategory: number };

export type ProcessBody<R = void> = Generator<Request, R, void>;

export class Proc {
  t: number;
  body!: ProcessBody;
  asleep = false;
  /** While blocked on a resource: when it asked and where the wait is charged. */
  requestedAt = 0;
  waitCategory = 0;
  /** Resources held now: interrupt work waits until it is zero. */
  held = 0;
  /** Interrupt work running inline, innermost last; the body resumes when it is empty. */
  readonly inline: ProcessBody[] = [];
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
}

export interface ResourceOptions {
  /**
   * Every holder of this resource holds `guard` first (lock ordering). Requests
   * from the guard's holder are then already in global order and are granted
   * without an event.
   */
  guard?: Resource;
  /**
   * Returns true when no process other than `proc` can request the resource
   * before `proc.t` (e.g. a per-CPU lock whose only other user is a timer not
   * yet due): such a request is granted without an event.
   */
  orderSafe?: (proc: Proc) => boolean;
}

/** A FIFO mutex with its own statistics (reset at the warm-up boundary). */
export class Resource<N extends string = string> {
  holder: Proc | null = null;
  /** When the last holder released it (a holder may release ahead of the global clock). */
  freeAt = 0;
  grantedAt = 0;
  readonly waiters: Proc[] = [];
  busyNs = 0;
  acquisitions = 0;
  totalWaitNs = 0;
  maxWaitNs = 0;
  readonly holdNs = new LogHistogram();

  constructor(
    readonly name: N,
    readonly unit: number,
    readonly options: ResourceOptions = {},
  ) {}

  resetStats(): void {
    this.busyNs = 0;
    this.acquisitions = 0;
    this.totalWaitNs = 0;
    this.maxWaitNs = 0;
    this.holdNs.reset();
  }

  /** Gives the resource to `proc` at `atNs`; the wait since its request is charged to its CPU. */
  grant(proc: Proc, requestedNs: number, atNs: number, waitCategory: number): void {
    this.holder = proc;
    this.grantedAt = atNs;
    this.acquisitions++;
    const wait = atNs - requestedNs;
    this.totalWaitNs += wait;
    if (wait > this.maxWaitNs) this.maxWaitNs = wait;
    proc.cpu.acct[waitCategory]! += wait;
    proc.t = atNs;
    proc.held++;
  }
}

function* nothing(): ProcessBody {}

type Event = { type: 'resume'; proc: Proc } | { type: 'granted'; proc: Proc } | { type: 'request'; proc: Proc; resource: Resource } | { type: 'call'; fn: (timeNs: number) => void };

export class Simulator {
  readonly queue = new EventQueue<Event>();
  now = 0;
  events = 0;

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

  /**
   * Raises interrupt work on `cpu` now (call it from an `at` callback): inline
   * in the process running on the CPU at its next step without a resource,
   * or, on an idle CPU, as a process of its own that the CPU's main process
   * does not preempt.
   */
  interrupt(cpu: Cpu, body: InterruptBody): void {
    cpu.pendingInterrupts.push(body);
    if (!cpu.running()) this.startInterruptProc(cpu, Math.max(this.now, cpu.busyUntil));
  }

  /** A process that runs the CPU's pending interrupt work (inline, from its first step) and ends. */
  private startInterruptProc(cpu: Cpu, atNs: number): void {
    const proc = new Proc(cpu, atNs);
    cpu.interruptProc = proc;
    proc.body = nothing();
    this.queue.push(atNs, { type: 'resume', proc });
  }

  /** Runs until endNs; returns false if stopped early by `onTick` returning false. */
  run(onTick?: (nowNs: number) => boolean | void, tickEvery = 4096): boolean {
    while (this.queue.size && this.queue.peekTime() <= this.endNs) {
      const { time, item } = this.queue.pop();
      this.now = time;
      this.events++;
      if (item.type === 'resume') {
        const proc = item.proc;
        if (proc.cpu.interruptProc !== null && proc === proc.cpu.main) {
          // Interrupt work holds the CPU: the workload wakes when it ends.
          proc.cpu.mainDeferred = true;
        } else {
          proc.asleep = false;
          if (proc.t < time) proc.t = time;
          if (proc === proc.cpu.main && proc.t < proc.cpu.busyUntil) proc.t = proc.cpu.busyUntil;
          this.step(proc);
        }
      } else if (item.type === 'granted') {
        this.step(item.proc);
      } else if (item.type === 'request') {
        const { proc, resource } = item;
        if (this.tryGrant(resource, proc)) this.step(proc);
        else resource.waiters.push(proc);
      } else {
        item.fn(time);
      }
      if (onTick && this.events % tickEvery === 0 && onTick(time) === false) return false;
    }
    this.now = this.endNs;
    return true;
  }

  /**
   * Releases `resource` held by `proc` at the process's clock, which may be
   * ahead of the global one: the next waiter gets it then, and anyone asking
   * later finds it busy until then.
   */
  release(resource: Resource, proc: Proc): void {
    if (resource.holder !== proc) throw new Error(`${resource.name}: released by a process that does not hold it`);
    const t = proc.t;
    const held = t - resource.grantedAt;
    resource.busyNs += held;
    resource.holdNs.record(held);
    resource.holder = null;
    resource.freeAt = t;
    proc.held--;
    const next = resource.waiters.shift();
    if (next) {
      resource.grant(next, next.requestedAt, t, next.waitCategory);
      this.queue.push(t, { type: 'granted', proc: next });
    }
  }

  /** Grants a free resource with no one queued, at its request time or when the last holder let go. */
  private tryGrant(resource: Resource, proc: Proc): boolean {
    if (resource.holder !== null || resource.waiters.length) return false;
    resource.grant(proc, proc.requestedAt, Math.max(proc.requestedAt, resource.freeAt), proc.waitCategory);
    return true;
  }

  /**
   * Takes `resource` for `proc` at once, without yielding, when no other
   * process can precede the request (see `step`); returns false when the
   * process must yield an `acquire` request instead. Saves a generator round
   * trip on the hot path; the outcome is the same as through `step`.
   */
  acquireNow(resource: Resource, proc: Proc, waitCategory: number): boolean {
    if (proc.t >= this.endNs || !this.inOrder(resource, proc)) return false;
    proc.requestedAt = proc.t;
    proc.waitCategory = waitCategory;
    return this.tryGrant(resource, proc);
  }

  /**
   * A request no other process can precede: nothing pending is earlier, or
   * every user holds the guard the requester holds, or the model vouches for it.
   */
  private inOrder(resource: Resource, proc: Proc): boolean {
    const o = resource.options;
    return proc.t <= this.queue.peekTime() || (o.guard !== undefined && o.guard.holder === proc) || (o.orderSafe !== undefined && o.orderSafe(proc));
  }

  private step(proc: Proc): void {
    const cpu = proc.cpu;
    for (;;) {
      if (proc.t >= this.endNs) return;
      if (cpu.pendingInterrupts.length && proc.held === 0 && (proc === cpu.interruptProc || proc === cpu.main)) {
        proc.inline.push(cpu.pendingInterrupts.shift()!(proc));
      }
      const inline = proc.inline.length ? proc.inline[proc.inline.length - 1]! : null;
      const r = (inline ?? proc.body).next();
      if (r.done) {
        if (inline) {
          proc.inline.pop();
          continue;
        }
        if (proc === cpu.interruptProc) {
          if (cpu.pendingInterrupts.length) continue;
          this.endInterrupt(proc);
        }
        return;
      }
      const req = r.value;
      if (req.kind === 'sleep') {
        if (inline || proc === cpu.interruptProc) throw new Error(`interrupt work on CPU ${cpu.id} tried to sleep`);
        const until = Math.max(req.until, proc.t);
        proc.asleep = until > proc.t;
        this.queue.push(until, { type: 'resume', proc });
        // Interrupt work raised while the process held a resource runs as the CPU goes idle.
        if (proc.asleep && proc === cpu.main && cpu.pendingInterrupts.length) this.startInterruptProc(cpu, Math.max(proc.t, cpu.busyUntil));
        return;
      }
      const resource = req.resource;
      proc.requestedAt = proc.t;
      proc.waitCategory = req.waitCategory;
      if (this.inOrder(resource, proc) && this.tryGrant(resource, proc)) continue;
      this.queue.push(proc.t, { type: 'request', proc, resource });
      return;
    }
  }

  /** Interrupt work on an idle CPU ended: the CPU's main process wakes if it was due meanwhile. */
  private endInterrupt(proc: Proc): void {
    const cpu = proc.cpu;
    cpu.interruptProc = null;
    cpu.busyUntil = proc.t;
    if (cpu.mainDeferred && cpu.main) {
      cpu.mainDeferred = false;
      this.queue.push(proc.t, { type: 'resume', proc: cpu.main });
    }
  }
}

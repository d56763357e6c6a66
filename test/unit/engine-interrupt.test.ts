// Interrupt work (the flush-queue timer) runs on its CPU as a softirq does:
// in place of the workload when the CPU is busy, on its own while it is idle.
// A CPU's time is never counted twice, and a CPU never waits for a lock that
// its own timer holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cpu, Resource, Simulator, type Proc, type ProcessBody } from '../../core/engine/simulator.ts';
import { findPreset } from '../../core/model/presets.ts';
import { mergeDeep } from '../../core/model/scenario.ts';
import { simulate } from '../../core/simulate.ts';

const WORK = 0;
const WAIT = 1;
const IRQ = 2;

test('one vCPU, shadow-sl lazy: busy time adds up to at most 100% and the vCPU never waits for its own timer flush', () => {
  const s = mergeDeep(findPreset('shadow-sl')!.scenario, { durationMs: 60, warmupMs: 10, policy: 'lazy', guest: { vcpus: 1 }, device: { queues: 1 }, workload: { streams: 1 } });
  const r = simulate(s);
  assert.ok(r.flushesByTrigger.timer > 0, 'the run must contain timer flushes');
  const { idle, ...busy } = r.cpu.breakdown;
  const busyShare = Object.values(busy).reduce((a, b) => a + b, 0);
  assert.ok(busyShare <= 1 + 1e-9, `the vCPU is busy ${busyShare} of its time`);
  assert.ok(idle >= 0);
  // Alone on its unit, the vCPU has nobody to wait for: not at q_lock, not at QEMU's lock.
  assert.equal(r.locks.bql.maxWaitUs, 0, `waited ${r.locks.bql.maxWaitUs} us for the BQL`);
  assert.equal(r.locks.qiLock.maxWaitUs, 0, `waited ${r.locks.qiLock.maxWaitUs} us for q_lock`);
  assert.equal(r.cpu.breakdown.vmmLockWait, 0);
  assert.equal(r.cpu.breakdown.qiLockSpin, 0);
});

/** A CPU whose main process works in 10-unit steps until 100, and a resource it takes at 20. */
function busyCpu(sim: Simulator, cpu: Cpu, res: Resource, log: string[]): void {
  cpu.main = sim.spawn(cpu, 0, function* (p: Proc): ProcessBody {
    while (p.t < 100) {
      if (p.t === 20) {
        yield { kind: 'acquire', resource: res, waitCategory: WAIT };
        log.push(`main holds at ${p.t}`);
        p.spend(WORK, 15);
        sim.release(res, p);
      }
      p.spend(WORK, 10);
      yield { kind: 'sleep', until: p.t };
    }
  });
}

test('interrupt work on a busy CPU runs inline at the next step without a lock: the workload waits, nothing is counted twice', () => {
  const sim = new Simulator(1000);
  const cpu = new Cpu(0, 3);
  const res = new Resource('r', 0);
  const log: string[] = [];
  busyCpu(sim, cpu, res, log);
  // Raised at 25, while the main process holds the resource (from 20 to 35).
  sim.at(25, () =>
    sim.interrupt(cpu, function* (p: Proc): ProcessBody {
      log.push(`irq starts at ${p.t}`);
      yield { kind: 'acquire', resource: res, waitCategory: WAIT };
      p.spend(IRQ, 30);
      sim.release(res, p);
    }),
  );
  sim.run();
  // The interrupt waits for the main process to let go of the lock (interrupts off) and take its next step.
  assert.deepEqual(log, ['main holds at 20', 'irq starts at 45']);
  assert.equal(cpu.acct[WAIT], 0, 'the CPU waited for a lock it held itself');
  assert.equal(cpu.acct[IRQ], 30);
  assert.equal(res.totalWaitNs, 0);
  // Work + interrupt fit in the CPU's time: the main process ends 30 later than alone.
  assert.equal(cpu.acct[WORK]! + cpu.acct[IRQ]!, cpu.main!.t);
});

test('interrupt work on an idle CPU runs on its own and the workload does not wake until it ends', () => {
  const sim = new Simulator(1000);
  const cpu = new Cpu(0, 3);
  const other = new Cpu(1, 3);
  const res = new Resource('r', 0);
  const woke: number[] = [];
  cpu.main = sim.spawn(cpu, 0, function* (p: Proc): ProcessBody {
    yield { kind: 'sleep', until: 50 };
    woke.push(p.t);
    p.spend(WORK, 5);
  });
  // Another CPU holds the resource from 0 to 60: the interrupt waits for it.
  other.main = sim.spawn(other, 0, function* (p: Proc): ProcessBody {
    yield { kind: 'acquire', resource: res, waitCategory: WAIT };
    p.spend(WORK, 60);
    sim.release(res, p);
  });
  sim.at(10, () =>
    sim.interrupt(cpu, function* (p: Proc): ProcessBody {
      yield { kind: 'acquire', resource: res, waitCategory: WAIT };
      p.spend(IRQ, 20);
      sim.release(res, p);
    }),
  );
  sim.run();
  assert.deepEqual(woke, [80], 'the workload woke while its CPU ran interrupt work');
  assert.equal(cpu.acct[WAIT], 50);
  assert.equal(cpu.acct[IRQ], 20);
});

test('interrupt work that tries to sleep is an error naming the CPU', () => {
  const sim = new Simulator(1000);
  const cpu = new Cpu(3, 3);
  sim.at(5, () =>
    sim.interrupt(cpu, function* (): ProcessBody {
      yield { kind: 'sleep', until: 50 };
    }),
  );
  assert.throws(() => sim.run(), /interrupt work on CPU 3 tried to sleep/);
});

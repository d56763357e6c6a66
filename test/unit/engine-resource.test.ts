import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cpu, Resource, Simulator, type Proc, type ProcessBody } from '../../core/engine/simulator.ts';

const WORK = 0;
const WAIT = 1;

/** Processes that sleep until `atNs`, take the resource, hold it `holdNs`, release; returns the grant order. */
function runHolders(plan: { atNs: number; holdNs: number }[], options = {}) {
  const sim = new Simulator(1e6);
  const res = new Resource('r', 0, options);
  const order: number[] = [];
  const grants: number[] = [];
  const cpus = plan.map((_, i) => new Cpu(i, 2));
  plan.forEach(({ atNs, holdNs }, i) => {
    cpus[i]!.main = sim.spawn(cpus[i]!, 0, function* (p: Proc): ProcessBody {
      yield { kind: 'sleep', until: atNs };
      yield { kind: 'acquire', resource: res, waitCategory: WAIT };
      order.push(i);
      grants[i] = p.t;
      p.spend(WORK, holdNs);
      sim.release(res, p);
    });
  });
  sim.run();
  return { res, order, grants, cpus, sim };
}

test('a resource serves requests first come, first served, with exact waits and statistics', () => {
  const { res, order, grants, cpus } = runHolders([
    { atNs: 0, holdNs: 10 },
    { atNs: 3, holdNs: 7 },
    { atNs: 2, holdNs: 5 },
  ]);
  // Requests at 0, 2 (process 2), 3 (process 1): granted at 0, 10, 15.
  assert.deepEqual(order, [0, 2, 1]);
  assert.deepEqual(grants, [0, 15, 10]);
  assert.equal(res.acquisitions, 3);
  assert.equal(res.busyNs, 22);
  assert.equal(res.totalWaitNs, 0 + 8 + 12);
  assert.equal(res.maxWaitNs, 12);
  assert.equal(res.holdNs.count, 3);
  assert.equal(res.holdNs.max, 10);
  assert.equal(res.holdNs.sum, 22);
  // Each waiter's CPU is charged its wait in the category it chose, and its hold as work.
  assert.deepEqual(cpus.map((c) => c.acct[WAIT]), [0, 12, 8]);
  assert.deepEqual(cpus.map((c) => c.acct[WORK]), [10, 7, 5]);
  assert.equal(res.holder, null);
  assert.equal(res.freeAt, 22);
});

test('a free resource is granted at its request; one released ahead of the clock is busy until then', () => {
  const { grants, res } = runHolders([
    { atNs: 0, holdNs: 4 },
    { atNs: 100, holdNs: 4 },
  ]);
  assert.deepEqual(grants, [0, 100]);
  assert.equal(res.totalWaitNs, 0);
  assert.equal(res.busyNs, 8);
});

test('statistics restart at reset (the warm-up boundary)', () => {
  const { res } = runHolders([{ atNs: 0, holdNs: 10 }]);
  res.resetStats();
  assert.equal(res.acquisitions, 0);
  assert.equal(res.busyNs, 0);
  assert.equal(res.holdNs.count, 0);
  assert.equal(res.holdNs.max, 0);
});

test('a request granted without an event (guard held) gets the same answer as one through the queue', () => {
  // Two processes each take the guard, then the inner resource; the inner one is guarded.
  const run = (guarded: boolean) => {
    const sim = new Simulator(1e6);
    const guard = new Resource('guard', 0);
    const inner = new Resource('inner', 0, guarded ? { guard } : {});
    const spans: [number, number][] = [];
    for (let i = 0; i < 3; i++) {
      const cpu = new Cpu(i, 2);
      cpu.main = sim.spawn(cpu, i, function* (p: Proc): ProcessBody {
        yield { kind: 'acquire', resource: guard, waitCategory: WAIT };
        p.spend(WORK, 5);
        yield { kind: 'acquire', resource: inner, waitCategory: WAIT };
        const start = p.t;
        p.spend(WORK, 3);
        spans.push([start, p.t]);
        sim.release(inner, p);
        p.spend(WORK, 2);
        sim.release(guard, p);
      });
    }
    sim.run();
    return { spans, events: sim.events, inner };
  };
  const queued = run(false);
  const direct = run(true);
  assert.deepEqual(direct.spans, [
    [5, 8],
    [15, 18],
    [25, 28],
  ]);
  assert.deepEqual(direct.spans, queued.spans);
  assert.equal(direct.inner.totalWaitNs, queued.inner.totalWaitNs);
  assert.ok(direct.events < queued.events, `guarded ${direct.events} events vs ${queued.events}`);
});

test('releasing a resource one does not hold is an error naming it', () => {
  const sim = new Simulator(100);
  const res = new Resource('qiLock', 0);
  const cpu = new Cpu(0, 1);
  sim.spawn(cpu, 0, function* (p: Proc): ProcessBody {
    sim.release(res, p);
    yield { kind: 'sleep', until: 1 };
  });
  assert.throws(() => sim.run(), /qiLock: released by a process that does not hold it/);
});

// fio on bare metal in batches (core/workloads/fio-batch.ts, core/guest/dma-batch.ts):
// the batch model against the I/O-by-I/O model it replaces on bare metal, the
// run-at-once helpers against their one-at-a-time originals, and the batch
// model's own invariants on unusual scenarios.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../../core/simulate.ts';
import { findPreset } from '../../core/model/presets.ts';
import { mergeDeep, type ScenarioInput } from '../../core/model/scenario.ts';
import { scalarMetrics, type SimulationResult } from '../../core/model/result.ts';
import { Counters } from '../../core/engine/counters.ts';
import { LogHistogram } from '../../core/engine/histogram.ts';
import { Prng } from '../../core/engine/prng.ts';
import { IovaAllocator } from '../../core/guest/iova.ts';
import { defaultCosts } from '../../core/model/costs.ts';
import { FIO_TICK_NS } from '../../core/workloads/fio-batch.ts';
import type { CounterName } from '../../core/model/accounting.ts';

const SHORT = { durationMs: 12, warmupMs: 2 };

function bare(patch: Record<string, unknown>, grain: 'batch' | 'per-io' = 'batch'): SimulationResult {
  return simulate(mergeDeep(mergeDeep(findPreset('nvme-bare-metal')!.scenario, SHORT), patch) as ScenarioInput, { fioGrain: grain });
}

const within = (a: number, b: number, rel: number) => Math.abs(a / b - 1) <= rel;

test('the batch model agrees with the I/O-by-I/O model on bare metal: IOPS, the queue, the CPUs, unmap latency, stale windows', () => {
  for (const drives of [1, 8]) {
    for (const policy of ['passthrough', 'lazy', 'strict']) {
      const at = `${drives} drive(s), ${policy}`;
      const patch = { policy, device: { drives } };
      const batch = bare(patch);
      const perIo = bare(patch, 'per-io');
      assert.ok(within(batch.storage!.iops, perIo.storage!.iops, 0.03), `${at}: IOPS ${batch.storage!.iops} vs ${perIo.storage!.iops}`);
      assert.equal(batch.bottleneck.kind, perIo.bottleneck.kind, at);
      assert.ok(Math.abs(batch.locks.iommuQueue.utilization - perIo.locks.iommuQueue.utilization) < 0.03, `${at}: queue utilization`);
      assert.ok(Math.abs(batch.cpu.activeUtilization - perIo.cpu.activeUtilization) < 0.06, `${at}: CPU ${batch.cpu.activeUtilization} vs ${perIo.cpu.activeUtilization}`);
      // (A lane of a group spins through a whole block; an I/O-by-I/O job that has resubmitted its batch sleeps a little before its next: 3% of the time at 8 drives.)
      assert.ok(Math.abs(batch.cpu.breakdown.hwQueueWait - perIo.cpu.breakdown.hwQueueWait) < 0.05, `${at}: spinning for the queue`);
      // The time series counts bytes when they are reaped, however long a step's run: no lumps at the steps.
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const steady = (r: SimulationResult) => r.series.throughputGbps.filter((_, i) => r.series.tMs[i]! > r.scenario.warmupMs);
      const perIoMean = mean(steady(perIo));
      for (const gbps of steady(batch)) assert.ok(within(gbps, perIoMean, 0.06), `${at}: series sample ${gbps} vs ${perIoMean} Gbit/s`);
      if (policy === 'strict') {
        assert.ok(within(batch.invalidationsPerSec, perIo.invalidationsPerSec, 0.03), `${at}: one invalidation per unmap`);
        assert.ok(within(batch.latencyUs.unmap.mean, perIo.latencyUs.unmap.mean, 0.12), `${at}: unmap ${batch.latencyUs.unmap.mean} vs ${perIo.latencyUs.unmap.mean} us`);
      }
      // Below saturation a group's unmaps are served as one block, without the few tens of nanoseconds the lanes wait for one another.
      const staleDiffUs = Math.abs(batch.staleWindowUs.mean - perIo.staleWindowUs.mean);
      if (policy !== 'passthrough') assert.ok(staleDiffUs <= 0.12 * perIo.staleWindowUs.mean + 0.1, `${at}: stale window ${batch.staleWindowUs.mean} vs ${perIo.staleWindowUs.mean} us`);
      // Where each interrupt reaps a few completions, completion latency is the drive's: the same within a few
      // microseconds. (The I/O-by-I/O model stamps each completion as its own unmap ends; fio, and the batch
      // model, when the job reaps the interrupt's batch: under strict the batches are long and the two differ.)
      if (policy !== 'strict') {
        assert.ok(within(batch.storage!.readClatUs.p50, perIo.storage!.readClatUs.p50, 0.12), `${at}: clat p50 ${batch.storage!.readClatUs.p50} vs ${perIo.storage!.readClatUs.p50}`);
      }
    }
  }
});

test('completion latency: the cycle of the queue under strict (Little\'s law), the drive\'s slow path in the tail otherwise', () => {
  const strict = bare({ policy: 'strict' }).storage!;
  // Every job keeps iodepth I/Os in flight: the mean time from submission to reap is depth over rate.
  const cycleUs = ((strict.jobs * 32) / strict.iops) * 1e6;
  assert.ok(within(strict.readClatUs.mean, cycleUs, 0.05), `clat mean ${strict.readClatUs.mean} us vs cycle ${cycleUs} us`);
  assert.ok(strict.readClatUs.p99_9 >= strict.readClatUs.p99 && strict.readClatUs.p99 >= strict.readClatUs.p50);
  // Where the drives set the pace, one I/O in a hundred takes the slow path: p99.9 well past p99.
  const lazy = bare({ policy: 'lazy' }).storage!;
  assert.ok(lazy.readClatUs.p99_9 > 2 * lazy.readClatUs.p99, `p99.9 ${lazy.readClatUs.p99_9} vs p99 ${lazy.readClatUs.p99}`);
  for (const s of [strict, lazy]) assert.equal(s.clatHistogram.count.reduce((a, b) => a + b, 0), s.readClatUs.count);
});

test('a batch run takes one event per tick, whatever the IOPS', () => {
  const r = bare({ policy: 'lazy', durationMs: 20 });
  const ticks = 20e6 / FIO_TICK_NS;
  const samples = 20 / r.scenario.sampleIntervalMs;
  assert.ok(r.engine.events <= ticks + samples + 10, `${r.engine.events} events for ${ticks} ticks`);
  const ios = (r.storage!.iops * r.measuredMs) / 1000;
  assert.ok(ios / r.engine.events > 100, `${ios} I/Os in ${r.engine.events} events`);
});

test('batch runs conserve mappings and stay deterministic on unusual bare-metal scenarios', () => {
  const cases: Record<string, unknown>[] = [
    { policy: 'strict', hardware: { iommu: 'vtd' }, device: { ats: true }, guest: { qiBatch: false } },
    { policy: 'strict', device: { ats: true }, guest: { kernel: '6.12', qiBatch: true } },
    { policy: 'lazy', workload: { rw: 'randrw', rwmixread: 70, bs: 65536, iodepth: 1, numjobs: 3 }, viommu: { units: 3 } },
    { policy: 'lazy', flushQueue: { kind: 'single' }, device: { drives: 2 }, workload: { rw: 'write', numjobs: 2 } },
    { policy: 'lazy', guest: { kernel: '6.2' }, hardware: { iommu: 'vtd' }, device: { interruptCoalescingUs: 50 } },
  ];
  for (const patch of cases) {
    const at = JSON.stringify(patch);
    const r = bare(patch);
    const c = r.conservation;
    assert.equal(c.mapped, c.unmapped + c.live, `${at}: mapped = unmapped + live`);
    assert.equal(c.heldByWorkload, c.live, `${at}: the I/Os in flight are the live mappings`);
    assert.equal(c.unmapped, c.freed + c.queued, `${at}: every unmapped IOVA is freed or queued`);
    assert.equal(c.mapsInFlight + c.unmapsInFlight + c.submissionsInFlight, 0, `${at}: a run of operations ends within its step`);
    assert.ok(c.mapped > 1000, `${at}: the run did I/O`);
    for (const [name, value] of Object.entries(scalarMetrics(r))) assert.ok(value === undefined || Number.isFinite(value), `${at}: ${name} = ${value}`);
    assert.deepEqual(bare(patch), r, `${at}: one seed, one result`);
  }
  const mix = bare(cases[2]!).storage!;
  assert.ok(within(mix.readIops / mix.iops, 0.7, 0.02), `read share ${mix.readIops / mix.iops}`);
  // ATS without qi_batch: two submissions per strict unmap, with it one.
  const two = bare(cases[0]!);
  assert.ok(within(two.submissionsPerSec, 2 * two.dma.unmapsPerSec, 0.03), `${two.submissionsPerSec} submissions for ${two.dma.unmapsPerSec} unmaps`);
  const one = bare(cases[1]!);
  assert.ok(within(one.submissionsPerSec, one.dma.unmapsPerSec, 0.03));
  assert.ok(within(one.invalidationsByKind['dev-tlb'], one.dma.unmapsPerSec, 0.03), 'a device-TLB descriptor per unmap');
  assert.notDeepEqual(bare({ policy: 'lazy', seed: 2 }).storage, bare({ policy: 'lazy' }).storage, 'another seed, other slow I/Os');
});

test('lazy at low load: the timer flushes the rings before they fill, and no IOVA waits much past its period', () => {
  const r = bare({ policy: 'lazy', durationMs: 45, warmupMs: 5, device: { drives: 1 }, workload: { iodepth: 1, numjobs: 1 } });
  assert.ok(r.flushesByTrigger.timer > 0, 'timer flushes');
  assert.equal(r.flushesByTrigger.full, 0, 'about 10k unmaps per second never fill 255 slots in 10 ms');
  assert.ok(r.staleWindowUs.max <= r.scenario.flushQueue.timeoutMs * 1000 + 200, `stale window max ${r.staleWindowUs.max} us`);
  assert.ok(r.staleWindowUs.mean > 1000, 'IOVAs wait for the timer');
});

test('allocMany and freeMany match alloc and free one at a time, magazines, depot and misses included', () => {
  const costs = defaultCosts();
  for (const rule of ['bounded-32', 'unbounded-trimmed'] as const) {
    let now = 0;
    const make = () => {
      const counters = new Counters<CounterName>();
      return { counters, iova: new IovaAllocator(4, costs, counters, { rule, onlineCpus: 4, nowNs: () => now }) };
    };
    const one = make();
    const many = make();
    const prng = new Prng(7, 0);
    let nsOne = 0;
    let nsMany = 0;
    for (let step = 0; step < 3000; step++) {
      now += 200_000 * prng.next();
      const cpu = Math.floor(prng.next() * 4);
      const pages = prng.next() < 0.8 ? 1 : 64;
      const n = Math.floor(prng.next() * 3000);
      // CPU 0 mostly frees and the others mostly allocate, so magazines travel through the depot, fill it and drain it.
      if (prng.next() < (cpu === 0 ? 0.2 : 0.8)) {
        for (let i = 0; i < n; i++) nsOne += one.iova.alloc(cpu, pages);
        nsMany += many.iova.allocMany(cpu, pages, n);
      } else {
        for (let i = 0; i < n; i++) nsOne += one.iova.free(cpu, pages);
        nsMany += many.iova.freeMany(cpu, pages, n);
      }
    }
    assert.ok(Math.abs(nsOne - nsMany) < 1e-6 * nsOne, `${rule}: ${nsOne} vs ${nsMany} ns`);
    assert.deepEqual(many.counters.snapshot(), one.counters.snapshot(), rule);
    assert.ok(one.counters.get('iova.depot') > 1000 && one.counters.get('iova.miss') > 0, `${rule}: the sequence reaches the depot and the rbtree`);
    if (rule === 'unbounded-trimmed') assert.ok(one.counters.get('iova.depotTrimmed') > 0, 'and the depot trimming');
  }
});

test('recordTimes is record repeated', () => {
  const a = new LogHistogram();
  const b = new LogHistogram();
  const prng = new Prng(3, 0);
  for (let i = 0; i < 500; i++) {
    const v = 1e6 * prng.next() ** 3;
    const times = Math.floor(prng.next() * 5);
    for (let k = 0; k < times; k++) a.record(v);
    b.recordTimes(v, times);
  }
  assert.equal(b.count, a.count);
  assert.ok(Math.abs(b.sum - a.sum) < 1e-9 * a.sum);
  assert.equal(b.max, a.max);
  for (const q of [0.1, 0.5, 0.9, 0.99, 0.999]) assert.equal(b.quantile(q), a.quantile(q));
});

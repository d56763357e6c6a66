// The serialization points of model 2.0 (DOMAIN.md §3, §4), each against the
// mechanism it stands for; and what a result reports about them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COST_TABLE } from '../../core/model/costs.ts';
import { findPreset, PRESET_NAMES } from '../../core/model/presets.ts';
import { simulationResultSchema } from '../../core/model/result.ts';
import { mergeDeep, safeParseScenario } from '../../core/model/scenario.ts';
import { simulate } from '../../core/simulate.ts';

const preset = (name: string, patch: unknown = {}) => mergeDeep(findPreset(name)!.scenario, patch);
const short = { durationMs: 60, warmupMs: 10 };
const wide = (n: number) => ({ guest: { vcpus: n }, workload: { streams: n }, device: { queues: n } });

test('strict at 16 queues saturates on the guest q_lock near 1/(exit round trip + handling)', () => {
  const r = simulate(preset('seed-after-fix', { ...short, ...wide(16), policy: 'strict' }));
  const c = COST_TABLE;
  const boundPerSec = 1e9 / (c.exitRoundTripNs.valueNs + c.qiHandleNs.valueNs + c.hostInvalidationNs.valueNs);
  assert.ok(r.submissionsPerSec <= boundPerSec * 1.001, `${r.submissionsPerSec} submissions/s above the q_lock bound ${boundPerSec}`);
  assert.ok(r.submissionsPerSec >= boundPerSec * 0.95, `${r.submissionsPerSec} submissions/s, bound ${boundPerSec}`);
  // Throughput is what the bound lets through: submissions per second over unmaps per segment, in payload.
  const allowedGbps = ((boundPerSec / r.dma.unmapsPerPacket) * (r.scenario.device.mtu - 52) * 8) / 1e9;
  assert.ok(r.throughputGbps <= allowedGbps * 1.02 && r.throughputGbps < 0.9 * r.maxGoodputGbps, `strict reached ${r.throughputGbps} Gbit/s, the q_lock allows ${allowedGbps}`);
  assert.ok(r.locks.qiLock.utilization > 0.95);
  assert.equal(r.bottleneck.kind, 'invalidation-queue', r.bottleneck.explanation);
  assert.ok(r.cpu.breakdown.qiLockSpin > 0.2, `vCPUs spin ${r.cpu.breakdown.qiLockSpin} of their time`);
  // Lazy on the same guest is not held back by it.
  const lazy = simulate(preset('seed-after-fix', { ...short, ...wide(16), policy: 'lazy' }));
  assert.ok(lazy.throughputGbps > 1.5 * r.throughputGbps);
});

test('bare metal: 64 CPUs strict at 800 Gbit/s collapse on the IOMMU invalidation queue', () => {
  const big = { ...short, ...wide(64), device: { queues: 64, lineRateGbps: 800 } };
  const strict = simulate(preset('bare-metal', { ...big, policy: 'strict' }));
  const pt = simulate(preset('bare-metal', { ...big, policy: 'passthrough' }));
  assert.ok(strict.throughputGbps < 0.35 * pt.throughputGbps, `strict ${strict.throughputGbps} vs passthrough ${pt.throughputGbps}`);
  assert.ok(strict.locks.iommuQueue.utilization > 0.95);
  assert.ok(Math.abs(strict.submissionsPerSec / (1e9 / COST_TABLE.hwInvalidationNs.valueNs) - 1) < 0.02, `${strict.submissionsPerSec}/s`);
  assert.equal(strict.vmExitsPerSec, 0);
  assert.equal(strict.locks.qiLock.acquisitionsPerSec, 0, 'bare metal does not hold q_lock while it spins');
  assert.equal(strict.bottleneck.kind, 'invalidation-queue');
  // At 4 CPUs the queue is far from full.
  const small = simulate(preset('bare-metal', { ...short, policy: 'strict' }));
  assert.ok(small.locks.iommuQueue.utilization < 0.5);
});

test('single flush queue: every unmapping vCPU spins on fq->lock through a ring-full flush (shadow-sl)', () => {
  const run = (kind: 'single' | 'per-cpu') =>
    simulate(preset('shadow-sl', { durationMs: 150, warmupMs: 10, policy: 'lazy', flushQueue: { kind, size: 2048, timeoutMs: 1000 } }));
  const single = run('single');
  const perCpu = run('per-cpu');
  assert.ok(single.flushesByTrigger.full > 0, 'the single ring filled');
  // The flush (a DSI walk under the BQL, ms long) is done holding fq->lock; the other vCPUs wait that long.
  assert.ok(single.locks.fqLock.maxWaitUs > 1000, `longest fq->lock wait ${single.locks.fqLock.maxWaitUs} us`);
  assert.ok(single.cpu.breakdown.fqLockSpin > 0.05, `spin share ${single.cpu.breakdown.fqLockSpin}`);
  // Per-CPU rings have their own lock: only the timer's cleaning contends for it.
  assert.ok(perCpu.cpu.breakdown.fqLockSpin < 0.001, `per-cpu spin share ${perCpu.cpu.breakdown.fqLockSpin}`);
  assert.ok(single.warnings.some((w) => w.code === 'lock-past-latency-threshold' && /fq->lock/.test(w.message)));
});

test('warnings: a lazy run shorter than the flush timer, locks held past the latency and soft-lockup thresholds', () => {
  // 80 ms measured: the 32768-slot ring does not fill either (about 175k unmaps/s), so no flush at all.
  const shortRun = simulate(preset('seed-after-fix', { durationMs: 100, policy: 'lazy', flushQueue: { kind: 'single' } }));
  const w = shortRun.warnings.find((x) => x.code === 'run-shorter-than-flush-timer');
  assert.ok(w, JSON.stringify(shortRun.warnings));
  assert.match(w.message, /80 ms.*1000 ms/);
  assert.equal(shortRun.flushesPerSec, 0);
  // Strict has no flush queue: nothing to warn about.
  assert.deepEqual(simulate(preset('seed-after-fix', { durationMs: 100, policy: 'strict', flushQueue: { kind: 'single' } })).warnings, []);

  // A DSI walk made absurdly slow (1 ms per PTE read): the timer flush holds the BQL, and with it q_lock, about 18 s;
  // the other vCPUs spin on q_lock behind it with interrupts off about as long (the vCPU that runs the timer does
  // not wait for its own flush): past the latency threshold, short of the soft-lockup one.
  const slow = simulate(preset('shadow-sl', { durationMs: 40_000, warmupMs: 5, policy: 'lazy', costs: { qemuPteReadNs: 1e6 } }));
  const codes = (r: typeof slow, re: RegExp) => r.warnings.filter((x) => re.test(x.message)).map((x) => x.code);
  assert.deepEqual(codes(slow, /q_lock/), ['lock-past-latency-threshold'], JSON.stringify(slow.warnings));
  assert.deepEqual(codes(slow, /BQL/), ['lock-past-latency-threshold']);
  assert.ok(slow.locks.qiLock.maxWaitUs > 1e6 && slow.locks.qiLock.maxWaitUs < 20e6);
  assert.ok(slow.locks.bql.holdUs.max > 1e6 && slow.locks.bql.holdUs.max < 20e6);
  // 1.2 ms per read: the flush holds both about 22 s, and the vCPUs behind it spin past the soft-lockup threshold.
  const stuck = simulate(preset('shadow-sl', { durationMs: 50_000, warmupMs: 5, policy: 'lazy', costs: { qemuPteReadNs: 1.2e6 } }));
  assert.deepEqual(codes(stuck, /q_lock/), ['lock-past-soft-lockup'], JSON.stringify(stuck.warnings));
  assert.deepEqual(codes(stuck, /BQL/), ['lock-past-soft-lockup']);
  assert.ok(stuck.locks.qiLock.maxWaitUs > 20e6);
});

test('no warnings on the presets as shipped', () => {
  for (const name of PRESET_NAMES.filter((n) => n.startsWith('seed'))) {
    const r = simulate(findPreset(name)!.scenario);
    assert.deepEqual(r.warnings, [], name);
  }
});

test('the strict stale window runs from PTE clear to invalidation completion, lock waits included', () => {
  const r = simulate(preset('seed-after-fix', { ...short, ...wide(16), policy: 'strict' }));
  const c = COST_TABLE;
  const serviceUs = (c.exitRoundTripNs.valueNs / 2 + c.qiHandleNs.valueNs + c.hostInvalidationNs.valueNs) / 1e3;
  assert.ok(r.staleWindowUs.count > 0);
  assert.ok(r.staleWindowUs.mean >= r.locks.qiLock.meanWaitUs + serviceUs - 0.01, `stale ${r.staleWindowUs.mean} us, q_lock wait ${r.locks.qiLock.meanWaitUs} us`);
  assert.ok(r.locks.qiLock.meanWaitUs > 10 * serviceUs, 'the waits dominate at 16 queues');
  const calm = simulate(preset('seed-after-fix', { ...short, policy: 'strict', guest: { vcpus: 1 }, workload: { streams: 1 }, device: { queues: 1 } }));
  assert.ok(Math.abs(calm.staleWindowUs.mean - serviceUs) < 0.01, `one vCPU: ${calm.staleWindowUs.mean} us, no waits`);
});

test('latency histograms count every operation that completed (plus those still in flight)', () => {
  for (const [name, policy] of [
    ['seed-after-fix', 'strict'],
    ['seed-after-fix', 'lazy'],
    ['shadow-sl', 'strict'],
    ['bare-metal', 'strict'],
    ['seed-tx', 'lazy'],
  ] as const) {
    const r = simulate(preset(name, { ...short, policy }));
    const n = (perSec: number) => Math.round((perSec * r.measuredMs) / 1000);
    const c = r.conservation;
    assert.equal(r.latencyUs.map.count + c.mapsInFlight, n(r.dma.mapsPerSec), `${name} ${policy} maps`);
    assert.equal(r.latencyUs.unmap.count + c.unmapsInFlight, n(r.dma.unmapsPerSec), `${name} ${policy} unmaps`);
    assert.equal(r.latencyUs.invalidation.count + c.submissionsInFlight, n(r.submissionsPerSec), `${name} ${policy} submissions`);
    for (const h of Object.values(r.latencyUs)) assert.ok(h.p50 <= h.p99 && h.p99 <= h.max && h.mean <= h.max);
    if (policy === 'strict' && name !== 'bare-metal') {
      // Lock statistics restart at the warm-up: a submission begun before it (at most one per vCPU, holding or
      // queued) is counted there and not as a measured submission.
      const holds = n(r.submissionsPerSec) - c.submissionsInFlight;
      const extra = r.locks.qiLock.holdUs.count - holds;
      assert.ok(extra >= 0 && extra <= r.cpu.activeVcpus, `${r.locks.qiLock.holdUs.count} q_lock holds for ${holds} submissions`);
      assert.ok(Math.abs(r.locks.bql.holdUs.count - r.locks.qiLock.holdUs.count) <= 1, 'one BQL hold per exit');
    }
  }
});

test('ATS adds a device-TLB descriptor: its own submission before qi_batch (6.12), the same one with it', () => {
  const run = (kernel: string, qiBatch?: boolean) =>
    simulate(preset('seed-after-fix', { ...short, policy: 'strict', guest: { kernel, ...(qiBatch === undefined ? {} : { qiBatch }) }, device: { ats: true } }));
  const before = run('6.11');
  const after = run('6.12');
  const off = simulate(preset('seed-after-fix', { ...short, policy: 'strict', guest: { kernel: '6.11' } }));
  const perUnmap = (r: typeof before) => r.submissionsPerSec / r.dma.unmapsPerSec;
  assert.ok(Math.abs(perUnmap(off) - 1) < 0.001);
  assert.ok(Math.abs(perUnmap(before) - 2) < 0.001, `6.11: ${perUnmap(before)} submissions per unmap`);
  assert.ok(Math.abs(perUnmap(after) - 1) < 0.001, `6.12: ${perUnmap(after)} submissions per unmap`);
  assert.ok(Math.abs(before.vmExitsByReason['dev-tlb'] / before.dma.unmapsPerSec - 1) < 0.001);
  assert.equal(after.vmExitsByReason['dev-tlb'], 0);
  assert.ok(Math.abs(after.invalidationsByKind['dev-tlb'] / after.dma.unmapsPerSec - 1) < 0.001, 'the descriptor is still sent');
  assert.equal(after.scenario.guest.qiBatch, true);
  assert.equal(before.scenario.guest.qiBatch, false);
  // Batching can be turned off where the kernel has it, and is refused where it does not.
  assert.ok(Math.abs(perUnmap(run('6.12', false)) - 2) < 0.001);
  const refused = safeParseScenario(preset('seed-after-fix', { guest: { kernel: '6.11', qiBatch: true } }));
  assert.equal(refused.ok, false);
  if (!refused.ok) {
    assert.deepEqual(refused.errors.map((e) => e.path), ['guest.qiBatch']);
    assert.match(refused.errors[0]!.message, /6\.11.*qi_batch.*6\.12/);
  }
});

test('in-kernel write-protection faults are counted apart from exits to the VMM', () => {
  const r = simulate(preset('shadow-fl-wp', { ...short, policy: 'lazy' }));
  assert.ok(!('wp-fault' in r.vmExitsByReason));
  assert.ok(r.kvmFaultsPerSec > 10 * r.vmExitsPerSec, `${r.kvmFaultsPerSec} faults/s vs ${r.vmExitsPerSec} exits/s`);
  const nested = simulate(preset('seed-after-fix', { ...short, policy: 'lazy' }));
  assert.equal(nested.kvmFaultsPerSec, 0);
  assert.equal(r.bottleneck.kind, 'vcpu');
});

test('results parse with the complete result schema, and a broken one does not', () => {
  for (const name of PRESET_NAMES) {
    for (const policy of ['strict', 'lazy', 'passthrough'] as const) {
      const r = simulate(preset(name, { durationMs: 20, warmupMs: 5, policy }));
      const parsed = simulationResultSchema.safeParse(JSON.parse(JSON.stringify(r)));
      assert.ok(parsed.success, `${name} ${policy}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues.slice(0, 3))}`);
    }
  }
  const r = JSON.parse(JSON.stringify(simulate(preset('seed-after-fix', { durationMs: 20, warmupMs: 5 }))));
  delete r.latencyUs.map;
  r.locks.qiLock.utilization = 2;
  r.scenario.device.mtu = 'big';
  r.policy.resolved.generation = 4;
  const bad = simulationResultSchema.safeParse(r);
  assert.equal(bad.success, false);
  if (!bad.success) {
    const paths = bad.error.issues.map((i) => i.path.join('.'));
    for (const p of ['latencyUs.map', 'locks.qiLock.utilization', 'scenario', 'policy.resolved.generation']) assert.ok(paths.includes(p), `${p} not in ${paths.join(', ')}`);
  }
});

test('granting the BQL without an event (one unit: q_lock orders it) gives the answer of the event path', () => {
  // With two units the BQL has no guard and every request goes through the event queue; the device still uses
  // unit 0 only, so the runs differ only by the order in which other processes' local stretches interleave.
  for (const [name, patch] of [
    ['seed-before-fix', {}],
    ['seed-after-fix', { ...wide(16), policy: 'strict' }],
    ['shadow-sl', { policy: 'lazy' }],
  ] as const) {
    const one = simulate(preset(name, { ...short, ...patch }));
    const two = simulate(preset(name, { ...short, ...patch, viommu: { units: 2 } }));
    assert.ok(two.engine.events > one.engine.events, 'the event path takes more events');
    assert.ok(Math.abs(two.throughputGbps / one.throughputGbps - 1) < 0.005, `${name}: ${one.throughputGbps} vs ${two.throughputGbps}`);
    assert.ok(Math.abs(two.submissionsPerSec / one.submissionsPerSec - 1) < 0.005, `${name}: ${one.submissionsPerSec} vs ${two.submissionsPerSec}`);
    assert.equal(two.locks.qiLock.instances, 2);
  }
});

test('qi_batch defaults follow the kernel: a release candidate of 6.12 has it, 6.11.11 does not', () => {
  const batch = (kernel: string) => {
    const r = safeParseScenario({ guest: { kernel } });
    assert.ok(r.ok);
    return r.ok && r.scenario.guest.qiBatch;
  };
  assert.equal(batch('6.12-rc1'), true);
  assert.equal(batch('6.11.11'), false);
  assert.equal(batch('6.3'), false);
  assert.equal(batch('6.14.2'), true);
});

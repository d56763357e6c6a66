// NVMe under fio, the virtio-iommu backend and bare-metal SMMUv3 queues:
// conservation, determinism, the orderings the issue asks for from mechanism,
// the iotlb_sync_map option, the virtio-iommu policy rules, fio-named metrics
// and refused scenarios.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../../core/simulate.ts';
import { findPreset } from '../../core/model/presets.ts';
import { mergeDeep, safeParseScenario, type ScenarioInput } from '../../core/model/scenario.ts';
import { scalarMetrics, STORAGE_METRIC_NAMES, type SimulationResult } from '../../core/model/result.ts';
import { findMetric } from '../../service/protocol/metrics.ts';

const SHORT = { durationMs: 12, warmupMs: 2 };

function run(preset: string, patch: Record<string, unknown> = {}): SimulationResult {
  return simulate(mergeDeep(mergeDeep(findPreset(preset)!.scenario, SHORT), patch) as ScenarioInput);
}

/** The preset's own duration: enough I/Os at virtio-iommu's rate for per-I/O ratios. */
function runFull(preset: string, patch: Record<string, unknown> = {}): SimulationResult {
  return simulate(mergeDeep(findPreset(preset)!.scenario, patch) as ScenarioInput);
}

/** Within 3%: counters started at the warm-up boundary see the I/Os in flight there as maps or unmaps only. */
const near = (a: number, b: number) => Math.abs(a / b - 1) < 0.03;

const iops = (r: SimulationResult) => r.storage!.iops;

test('conservation: every mapped I/O buffer is unmapped, queued for a flush or still in flight', () => {
  for (const preset of ['nvme-bare-metal', 'nvme-virtio-iommu', 'nvme-nested-fl']) {
    for (const policy of ['strict', 'lazy', 'passthrough']) {
      const c = run(preset, { policy }).conservation;
      const at = `${preset} ${policy}`;
      assert.equal(c.mapped, c.unmapped + c.live, `${at}: mapped = unmapped + live`);
      assert.equal(c.heldByWorkload + c.mapsInFlight, c.live + c.unmapsInFlight, `${at}: the jobs' in-flight I/Os, give or take the maps and unmaps under way, are the live mappings`);
      if (policy !== 'passthrough') assert.equal(c.unmapped, c.freed + c.queued + c.unmapsInFlight, `${at}: every unmapped IOVA is freed, queued or in flight`);
      assert.ok(c.mapped > 100, `${at}: the run did I/O`);
    }
  }
});

test('determinism: one seed gives one result; another seed another', () => {
  const a = run('nvme-nested-fl', { policy: 'lazy' });
  const b = run('nvme-nested-fl', { policy: 'lazy' });
  assert.deepEqual(a, b);
  const c = run('nvme-nested-fl', { policy: 'lazy', seed: 2 });
  assert.notDeepEqual(c.storage, a.storage);
});

test('NVIDIA ordering from mechanism: strict collapses with drives on one SMMU, lazy stays near passthrough', () => {
  const pt = run('nvme-bare-metal', { policy: 'passthrough' });
  const lazy = run('nvme-bare-metal', { policy: 'lazy' });
  const strict = run('nvme-bare-metal', { policy: 'strict' });
  assert.ok(iops(lazy) >= 0.95 * iops(pt), `lazy ${iops(lazy)} vs passthrough ${iops(pt)}`);
  assert.ok(iops(strict) < 0.3 * iops(lazy), `strict ${iops(strict)} far below lazy ${iops(lazy)}`);
  assert.equal(strict.bottleneck.kind, 'invalidation-queue');
  assert.equal(pt.bottleneck.kind, 'line-rate', 'passthrough runs at the drives\' ceiling');
  // The collapse is the shared queue, not the unmap's own cost: one drive's jobs alone keep up.
  const oneDrive = { device: { drives: 1 } };
  const strict1 = run('nvme-bare-metal', { ...oneDrive, policy: 'strict' });
  const lazy1 = run('nvme-bare-metal', { ...oneDrive, policy: 'lazy' });
  assert.ok(iops(strict1) >= 0.9 * iops(lazy1), `one drive: strict ${iops(strict1)} vs lazy ${iops(lazy1)}`);
  // Drives behind two SMMUs: two queues serve strict in parallel.
  const strict2 = run('nvme-bare-metal', { policy: 'strict', viommu: { units: 2 } });
  assert.ok(iops(strict2) > 1.8 * iops(strict), `two units ${iops(strict2)} vs one ${iops(strict)}`);
  assert.equal(strict2.locks.iommuQueue.instances, 2);
  // VT-d's slower invalidation collapses further.
  const vtd = run('nvme-bare-metal', { policy: 'strict', hardware: { iommu: 'vtd' } });
  assert.ok(iops(vtd) < iops(strict), `VT-d strict ${iops(vtd)} below SMMUv3 strict ${iops(strict)}`);
});

test('virtio-iommu: strict < lazy < passthrough; a strict I/O is two syncs, a lazy one a single sync', () => {
  const pt = run('nvme-virtio-iommu', { policy: 'passthrough' });
  const lazy = runFull('nvme-virtio-iommu', { policy: 'lazy' });
  const strict = runFull('nvme-virtio-iommu', { policy: 'strict' });
  assert.ok(iops(strict) < iops(lazy) && iops(lazy) < iops(pt), `strict ${iops(strict)}, lazy ${iops(lazy)}, passthrough ${iops(pt)}`);
  const x = (r: SimulationResult) => r.vmExitsByReason;
  assert.ok(near(x(strict)['virtio-map'], strict.dma.mapsPerSec) && near(x(strict)['virtio-unmap'], strict.dma.unmapsPerSec), 'strict: a sync per map and per unmap');
  assert.ok(near(x(lazy)['virtio-map'], lazy.dma.mapsPerSec), 'lazy: a sync per map');
  assert.equal(x(lazy)['virtio-unmap'], 0, 'lazy: unmaps ride on the next map sync');
  assert.ok(near(strict.dma.mapsPerSec, iops(strict)), 'one map per I/O');
  assert.equal(pt.vmExitsPerSec, 0);
  assert.equal(lazy.scenario.flushQueue.kind, 'single', 'shadow_on_flush: the single queue');
});

test('iotlb_sync_map: without it maps stop kicking, their requests ride on the next sync, and the VFIO work stays', () => {
  const on = runFull('nvme-virtio-iommu', { policy: 'strict' });
  const off = runFull('nvme-virtio-iommu', { policy: 'strict', viommu: { iotlbSyncMap: false } });
  // A map kicks only when the virtqueue is full (a job resubmitting a whole reaped batch between two unmap syncs).
  assert.ok(off.vmExitsByReason['virtio-map'] < 0.05 * off.dma.mapsPerSec, `map syncs ${off.vmExitsByReason['virtio-map']} of ${off.dma.mapsPerSec} maps`);
  assert.ok(near(on.vmExitsByReason['virtio-map'], on.dma.mapsPerSec));
  assert.ok(near(off.vmExitsByReason['virtio-unmap'], off.dma.unmapsPerSec), 'the unmap sync, which carries the maps queued before it');
  assert.ok(iops(off) > iops(on), `fewer exits, more IOPS: ${iops(off)} vs ${iops(on)}`);
  // The host still maps and unmaps every buffer through VFIO under its lock.
  const hostNsPerIo = (off.vmmLock.utilization * 1e9) / iops(off);
  const c = off.scenario.costs;
  assert.ok(hostNsPerIo >= 0.97 * (c.vfioMapNs + c.vfioUnmapNs), `QEMU's time per I/O ${hostNsPerIo} ns holds a VFIO map and unmap`);
  const lazyOff = runFull('nvme-virtio-iommu', { policy: 'lazy', viommu: { iotlbSyncMap: false } });
  assert.ok(lazyOff.vmExitsPerSec / iops(lazyOff) < 0.1, 'lazy without map syncs: a kick per full virtqueue or flush only');
  // Nothing else reads the option.
  const nested = run('nvme-nested-fl', { policy: 'strict' });
  assert.deepEqual(run('nvme-nested-fl', { policy: 'strict', viommu: { iotlbSyncMap: false } }).storage, nested.storage);
});

test('virtio-iommu policy: strict before deferred flush (v6.7), lazy with the single queue from it, no caching mode', () => {
  const parse = (patch: Record<string, unknown>) => {
    const r = safeParseScenario(mergeDeep(findPreset('nvme-virtio-iommu')!.scenario, patch));
    assert.ok(r.ok);
    return r.scenario;
  };
  const old = run('nvme-virtio-iommu', { guest: { kernel: '6.6' } });
  assert.equal(old.policy.effective, 'strict');
  assert.ok(old.policy.resolved.reasons.some((x) => x.source === 'virtio-iommu' && x.text.includes('DEFERRED_FLUSH')));
  assert.ok(!old.policy.resolved.log.some((l) => l.startsWith('DMAR:')), 'no VT-d lines');
  assert.equal(parse({ guest: { kernel: '6.6' } }).flushQueue.kind, 'per-cpu');
  const lazyOld = run('nvme-virtio-iommu', { guest: { kernel: '6.6' }, policy: 'lazy' });
  assert.ok(lazyOld.warnings.some((w) => w.code === 'policy-unreachable' && w.message.includes('deferred flush')));
  const current = run('nvme-virtio-iommu', {});
  assert.equal(current.policy.effective, 'lazy');
  assert.equal(current.vmmPath.path, 'virtio-iommu');
  assert.ok(!current.warnings.some((w) => w.code === 'single-queue-what-if'), 'the single queue is the kernel\'s own here');
  const nestedSingle = run('nvme-nested-fl', { flushQueue: { kind: 'single' } });
  assert.ok(nestedSingle.warnings.some((w) => w.code === 'single-queue-what-if'), 'VT-d has no shadow_on_flush');
  assert.equal(run('nvme-virtio-iommu', { guest: { cmdline: 'iommu.strict=1' } }).policy.effective, 'strict');
  const intel = run('nvme-virtio-iommu', { guest: { cmdline: 'intel_iommu=strict' } });
  assert.equal(intel.policy.effective, 'lazy');
  assert.ok(intel.policy.resolved.ignored.includes('intel_iommu=strict'));
  const strictAsked = run('nvme-virtio-iommu', { policy: 'strict' });
  assert.ok(!strictAsked.warnings.some((w) => w.code === 'policy-unreachable'), 'iommu.strict=1 reaches strict');
});

test('64 KiB I/Os map 16 pages in one mapping; on virtio-iommu each page is a MAP request with its own VFIO map', () => {
  const small = runFull('nvme-nested-fl', { policy: 'strict' });
  const big = runFull('nvme-nested-fl', { policy: 'strict', workload: { bs: 65536 } });
  assert.ok(near(big.dma.unmapsPerSec, iops(big)) && near(small.dma.unmapsPerSec, iops(small)), 'one unmap per I/O whatever its size');
  assert.ok(near(big.invalidationsPerSec, big.dma.unmapsPerSec), 'one invalidation per 64 KiB unmap');
  const v4 = runFull('nvme-virtio-iommu', { policy: 'strict' });
  const v64 = runFull('nvme-virtio-iommu', { policy: 'strict', workload: { bs: 65536 } });
  // Same syncs per I/O, but the host work per sync grows with the pages: 16 VFIO maps and 16 unmaps.
  assert.ok(near(v64.vmExitsPerSec, v64.dma.mapsPerSec + v64.dma.unmapsPerSec));
  assert.ok(iops(v64) < 0.25 * iops(v4), `64 KiB ${iops(v64)} vs 4 KiB ${iops(v4)}`);
});

test('fio metrics: the importer\'s names, from simulated NVMe runs, in the catalog', () => {
  const r = run('nvme-virtio-iommu', { workload: { rw: 'randrw', rwmixread: 70 } });
  const m = scalarMetrics(r);
  for (const name of STORAGE_METRIC_NAMES) {
    assert.ok(Number.isFinite(m[name]), `${name} reported`);
    assert.ok(findMetric(name)?.sources.includes('simulated-nvme'), `${name} catalogued for simulated NVMe`);
  }
  // The simulation's own scalars come too (exits, CPU, stale window): the catalog says so (benchmark and column choices read it).
  for (const name of Object.keys(m)) assert.ok(findMetric(name)?.sources.includes('simulated-nvme'), `${name} catalogued for simulated NVMe`);
  const share = m.readIops! / (m.readIops! + m.writeIops!);
  assert.ok(Math.abs(share - 0.7) < 0.05, `read share ${share}`);
  assert.ok(m.readClatP99Us! >= m.readClatP50Us!, 'p99 at least p50');
  const reads = run('nvme-nested-fl', {});
  assert.equal(scalarMetrics(reads).writeIops, 0);
  assert.equal(scalarMetrics(reads).writeClatP50Us, undefined, 'no latency for a direction without I/O, as the importer');
  const h = reads.storage!.clatHistogram;
  assert.equal(h.count.reduce((a, b) => a + b, 0), reads.storage!.readClatUs.count);
});

test('bad NVMe scenarios are refused naming the field and what is allowed', () => {
  const nvme = findPreset('nvme-nested-fl')!.scenario;
  const errorsOf = (patch: Record<string, unknown>) => {
    const r = safeParseScenario(mergeDeep(nvme, patch));
    assert.equal(r.ok, false);
    return r.ok ? [] : r.errors;
  };
  const has = (errors: { path: string; message: string }[], path: string, text: RegExp) =>
    assert.ok(errors.some((e) => e.path === path && text.test(e.message)), JSON.stringify(errors));
  has(errorsOf({ workload: { iodepth: 0 } }), 'workload.iodepth', />=\s*1|at least 1|too small/i);
  has(errorsOf({ workload: { bs: 1000 } }), 'workload.bs', /multiple of 512/);
  has(errorsOf({ workload: { kind: 'iperf-rx' } }), 'workload.kind', /must be fio/);
  has(errorsOf({ device: { kind: 'nic' } }), 'device.kind', /must be nvme/);
  has(errorsOf({ workload: { numjobs: 8 } }), 'workload.numjobs', /guest\.vcpus/);
  has(errorsOf({ workload: { rw: 'trim' } }), 'workload.rw', /randread/);
  has(errorsOf({ hardware: { iommu: 'amd' } }), 'hardware.iommu', /smmuv3/);
});

test('calibration: readIops is an observable, and the fit to the strict Grace point finds the table\'s smmuCmdqSyncNs', async () => {
  const { prepareCalibration } = await import('../../service/calibration/prepare.ts');
  const { runCalibration } = await import('../../service/calibration/fit.ts');
  const { COST_TABLE } = await import('../../core/model/costs.ts');
  const config = mergeDeep(findPreset('nvme-bare-metal')!.scenario, { ...SHORT, policy: 'strict' }) as Record<string, unknown>;
  const prepared = prepareCalibration(
    {
      profile: 'grace',
      parameters: { smmuCmdqSyncNs: { min: 100, max: 2000, initial: 1000 } },
      points: [{ label: 'strict 2.8M', value: 2.8e6, source: 'NVIDIA NV-Kernels PR #182', metric: 'readIops', weight: 1, scenario: { config } }],
      maxIterations: 30,
    } as never,
    { getRun: () => { throw new Error('no journal'); }, getProfileCosts: () => undefined },
  );
  const out = runCalibration(prepared.job);
  assert.ok(Math.abs(out.values[0]! / COST_TABLE.smmuCmdqSyncNs.valueNs - 1) < 0.03, `fitted ${out.values[0]} vs table ${COST_TABLE.smmuCmdqSyncNs.valueNs}`);
});

test('bare-metal SMMUv3 follows the iommu core\'s rules, none of VT-d\'s', () => {
  const auto = run('nvme-bare-metal', { durationMs: 4, warmupMs: 1 });
  assert.equal(auto.policy.effective, 'strict', 'arm64\'s strict Kconfig default');
  assert.ok(auto.policy.resolved.reasons.some((r) => r.source === 'arm-smmu-v3'));
  assert.ok(!auto.policy.resolved.reasons.some((r) => r.source.startsWith('intel_iommu')), 'no VT-d reasons');
  assert.match(auto.vmmPath.reason, /stage-1/);
  const lazy = run('nvme-bare-metal', { durationMs: 4, warmupMs: 1, guest: { cmdline: 'iommu.strict=0' } });
  assert.equal(lazy.policy.effective, 'lazy');
  const asked = run('nvme-bare-metal', { durationMs: 4, warmupMs: 1, guest: { cmdline: 'iommu.strict=0' }, policy: 'strict' });
  assert.ok(!asked.warnings.some((w) => w.code === 'policy-unreachable'), 'iommu.strict=1 reaches strict on SMMUv3');
});

test('the closed-form estimate gives no number for fio on NVMe and says why', async () => {
  const { estimate } = await import('../../core/analytic/estimate.ts');
  const e = estimate(findPreset('nvme-nested-fl')!.scenario, 'lazy');
  assert.equal(e.throughputGbps, null);
  assert.match(e.outOfRange ?? '', /^out of range: use the event model .*fio/);
});

test('strict on bare metal: every unmap is one CMD_SYNC submission, timed, whether the queue was free at once or waited', () => {
  // One drive leaves the SMMU's queue mostly free (unmaps take the wait-free path); eight keep it busy (they wait).
  for (const drives of [1, 8]) {
    const r = run('nvme-bare-metal', { policy: 'strict', device: { drives } });
    const unmaps = r.latencyUs.unmap.count;
    assert.ok(unmaps > 1000, `${drives} drives: ${unmaps} unmaps`);
    // Each measured unmap made one submission, and each submission recorded its latency.
    assert.equal(r.latencyUs.invalidation.count, unmaps, `${drives} drives`);
    assert.ok(near(r.submissionsPerSec, r.dma.unmapsPerSec), `${drives} drives: ${r.submissionsPerSec} submissions/s vs ${r.dma.unmapsPerSec} unmaps/s`);
    assert.ok(near(r.invalidationsByKind.hardware, r.dma.unmapsPerSec), `${drives} drives`);
    // The stale window is recorded per unmap: from the PTE clear to its CMD_SYNC's completion.
    assert.ok(r.staleWindowUs.mean > 0);
    const waited = r.cpu.breakdown.hwQueueWait;
    if (drives === 8) assert.ok(waited > 0.05, `8 drives wait for the queue: ${waited}`);
  }
});

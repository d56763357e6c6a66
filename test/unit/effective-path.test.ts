// The run follows the guest: the VMM path comes from the page table the
// kernel chose, policies the kernel refuses are refused or flagged, and the
// guest DMA path follows the kernel release.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { estimate } from '../../core/analytic/estimate.ts';
import { Counters } from '../../core/engine/counters.ts';
import { IOVA_DEPOT_MAGS, IOVA_DEPOT_TRIM_PERIOD_NS, IOVA_MAG_SIZE, IovaAllocator } from '../../core/guest/iova.ts';
import type { CounterName } from '../../core/model/accounting.ts';
import { defaultCosts } from '../../core/model/costs.ts';
import { findPreset } from '../../core/model/presets.ts';
import { applyOverrides, mergeDeep, parseFieldValue, parseScenario, safeParseScenario } from '../../core/model/scenario.ts';
import { kernelFacts, parseKernelVersion } from '../../core/policy/index.ts';
import { simulate } from '../../core/simulate.ts';

const preset = (name: string, patch: unknown = {}) => mergeDeep(findPreset(name)!.scenario, patch);
const codes = (r: { warnings: { code: string }[] }) => r.warnings.map((w) => w.code);

describe('the VMM path follows the page table the guest uses', () => {
  const nestedStrict = simulate(preset('seed-before-fix'));

  const secondLevelGuests: [string, unknown][] = [
    ['intel_iommu=sm_off', { guest: { cmdline: 'intel_iommu=sm_off' } }],
    ['kernel 5.10.14 (scalable mode off by default)', { guest: { kernel: '5.10.14' } }],
    ['kernel 4.19.200 (no scalable mode by default, 29b32839725f backported)', { guest: { kernel: '4.19.200' } }],
  ];
  for (const [label, patch] of secondLevelGuests) {
    it(`seed-after-fix with ${label} is shadowed as a second-level table and costs more than nested strict`, () => {
      const r = simulate(preset('seed-after-fix', patch));
      assert.equal(r.scenario.viommu.backend, 'nested-fl', 'the host still offers nesting');
      assert.equal(r.policy.resolved.pageTable, 'second-level');
      assert.equal(r.policy.effective, 'strict', 'caching mode forces strict on a second-level table');
      assert.equal(r.vmmPath.path, 'shadow-sl');
      assert.match(r.vmmPath.reason, /second-level table .*shadows it, whatever the host offers \(nested-fl\)/);
      assert.ok(r.vmExitsByReason['psi-map'] > 10_000, `PSI exits on maps: ${r.vmExitsByReason['psi-map']}`);
      assert.ok(r.vmExitsByReason['psi-unmap'] > 10_000);
      assert.equal(r.vmExitsByReason['pasid-unmap'], 0, 'no nested first-level operations');
      assert.ok(r.throughputGbps < 0.8 * nestedStrict.throughputGbps, `${r.throughputGbps} vs nested strict ${nestedStrict.throughputGbps}`);
    });
  }

  it('the seed guest on 6.3 keeps the nested first level', () => {
    const r = simulate(preset('seed-after-fix', { durationMs: 60 }));
    assert.equal(r.vmmPath.path, 'nested-fl');
    assert.equal(r.vmmPath.pageTable, 'first-level');
    assert.equal(r.vmExitsByReason['psi-map'], 0);
  });

  it('bare metal stays hardware whatever table the kernel picks', () => {
    const r = simulate(preset('bare-metal', { durationMs: 60, guest: { cmdline: 'intel_iommu=sm_off' } }));
    assert.equal(r.vmmPath.path, 'none');
    assert.equal(r.vmmPath.pageTable, 'second-level');
    assert.equal(r.vmExitsPerSec, 0);
  });

  it('passthrough is an identity path with no IOMMU work', () => {
    const r = simulate(preset('seed-after-fix', { durationMs: 60, guest: { cmdline: 'iommu=pt' } }));
    assert.equal(r.policy.effective, 'passthrough');
    assert.equal(r.vmmPath.path, 'identity');
    assert.equal(r.vmExitsPerSec, 0);
  });

  it('the analytic estimate prices the same effective path', () => {
    const smOff = preset('seed-after-fix', { guest: { cmdline: 'intel_iommu=sm_off' } });
    const shadowed = estimate(smOff, 'strict');
    const nested = estimate(preset('seed-before-fix'), 'strict');
    // Per segment, so the comparison holds whether or not a lock takes the estimate out of its range.
    assert.ok(shadowed.vmExitsPerSec > 0 && shadowed.perPacketNs.exits > 1.25 * nested.perPacketNs.exits, `${shadowed.perPacketNs.exits} vs ${nested.perPacketNs.exits} ns of exits per segment`);
  });
});

describe('combinations with no VMM path are refused, naming the field', () => {
  const errorsOf = (input: unknown) => {
    const r = safeParseScenario(input);
    assert.ok(!r.ok, 'expected a validation error');
    return r.errors;
  };

  it('sm_off on a nested-fl host is a valid scenario', () => {
    assert.ok(safeParseScenario(preset('seed-after-fix', { guest: { cmdline: 'intel_iommu=sm_off' } })).ok);
  });

  it('a first-level guest on a host that only shadows second-level tables', () => {
    const errors = errorsOf({ viommu: { backend: 'shadow-sl', firstLevel: true, secondLevel: true }, guest: { kernel: '6.3' } });
    assert.deepEqual(errors.map((e) => e.path), ['viommu.firstLevel']);
    assert.match(errors[0]!.message, /shadow-sl shadows second-level tables only.*nested-fl or shadow-fl-wp/);
  });

  it('a second-level guest without caching mode cannot be shadowed', () => {
    const errors = errorsOf({ viommu: { backend: 'nested-fl', cachingMode: false }, guest: { cmdline: 'intel_iommu=sm_off' } });
    assert.deepEqual(errors.map((e) => e.path), ['viommu.cachingMode']);
    assert.match(errors[0]!.message, /second-level table .*caching mode/);
  });

  it('a translated policy on a guest without DMA remapping', () => {
    const errors = errorsOf({ policy: 'strict', guest: { cmdline: 'intel_iommu=off' } });
    assert.deepEqual(errors.map((e) => e.path), ['policy']);
    assert.match(errors[0]!.message, /strict needs DMA remapping.*intel_iommu=off/);
    assert.ok(safeParseScenario({ policy: 'auto', guest: { cmdline: 'intel_iommu=off' } }).ok);
  });
});

describe('policies the kernel refuses', () => {
  const short = { durationMs: 60, warmupMs: 10 };

  for (const policy of ['lazy', 'passthrough'] as const) {
    it(`an untrusted device asked for ${policy} runs strict, with a warning`, () => {
      const r = simulate(preset('seed-after-fix', { ...short, policy, guest: { untrusted: true } }));
      assert.equal(r.policy.effective, 'strict');
      assert.ok(r.vmExitsByReason['pasid-unmap'] > 0);
      assert.deepEqual(codes(r), ['untrusted-policy-refused', 'untrusted-bounce-not-modelled']);
      assert.match(r.warnings[0]!.message, /forcePolicy/);
    });
  }

  it('forcePolicy runs an untrusted device lazy, and says so', () => {
    const r = simulate(preset('seed-after-fix', { ...short, policy: 'lazy', forcePolicy: true, guest: { untrusted: true } }));
    assert.equal(r.policy.effective, 'lazy');
    assert.equal(r.vmExitsByReason['pasid-unmap'], 0);
    assert.deepEqual(codes(r), ['untrusted-policy-forced', 'untrusted-bounce-not-modelled']);
  });

  it('an untrusted device under auto is strict without a refusal', () => {
    const r = simulate(preset('seed-after-fix', { ...short, guest: { untrusted: true } }));
    assert.equal(r.policy.effective, 'strict');
    assert.deepEqual(codes(r), ['untrusted-bounce-not-modelled']);
  });

  it('lazy on a caching-mode generation-2 guest runs as asked but is flagged as out of the command line\'s reach', () => {
    const r = simulate(preset('seed-before-fix', { ...short, policy: 'lazy' }));
    assert.equal(r.policy.effective, 'lazy');
    assert.deepEqual(codes(r), ['policy-unreachable']);
    assert.match(r.warnings[0]!.message, /generation-2 guest: iommu_set_dma_strict\(\) wins over iommu\.strict=0/);
  });

  it('lazy on a generation-3 guest with a second-level table is flagged the same way', () => {
    const r = simulate(preset('shadow-sl', { ...short, policy: 'lazy' }));
    assert.equal(r.policy.effective, 'lazy');
    assert.equal(r.vmmPath.path, 'shadow-sl');
    assert.match(r.warnings[0]!.message, /generation-3 guest with a second-level table/);
  });

  it('a policy the command line can reach carries no warning', () => {
    for (const [name, policy] of [['seed-after-fix', 'strict'], ['bare-metal', 'passthrough'], ['seed-before-fix', 'strict']] as const) {
      assert.deepEqual(codes(simulate(preset(name, { ...short, policy }))), [], `${name} ${policy}`);
    }
  });
});

describe('the guest DMA path by kernel release', () => {
  it('release facts: depot, single queue and lazy gather tracking', () => {
    const facts = (v: string) => kernelFacts(parseKernelVersion(v)).dmaPath;
    assert.equal(facts('6.6').iovaDepot, 'bounded-32');
    assert.equal(facts('6.7').iovaDepot, 'unbounded-trimmed');
    assert.equal(facts('6.6').singleFlushQueue, false);
    assert.equal(facts('6.7').singleFlushQueue, true);
    const tracking: [string, boolean][] = [
      ['5.10.200', false], ['5.11', true], ['5.15.98', true], ['5.15.99', false], ['6.1.15', true], ['6.1.16', false],
      ['6.2', true], ['6.2.3', false], ['6.3', false], ['6.8', false],
    ];
    for (const [v, expected] of tracking) assert.equal(facts(v).lazyGatherTracking, expected, v);
  });

  it('lazy unmaps cost more on a release that still tracks the gather (6.2.2 vs 6.2.3)', () => {
    const run = (kernel: string) => simulate(preset('seed-after-fix', { policy: 'lazy', guest: { kernel } }));
    const tracked = run('6.2.2');
    const fixed = run('6.2.3');
    assert.ok(tracked.cpu.breakdown.pte > fixed.cpu.breakdown.pte * 1.5, `${tracked.cpu.breakdown.pte} vs ${fixed.cpu.breakdown.pte}`);
    assert.ok(tracked.throughputGbps < fixed.throughputGbps * 0.99, `${tracked.throughputGbps} vs ${fixed.throughputGbps}`);
  });

  it('a 6.8 single queue on nested-fl is no slower than per-CPU queues; on 6.6 the bounded depot sends IOVAs to the rbtree', () => {
    const run = (kernel: string, kind: 'per-cpu' | 'single') =>
      simulate(preset('seed-after-fix', { durationMs: 3000, warmupMs: 100, guest: { kernel }, flushQueue: { kind } }));
    const perCpu68 = run('6.8', 'per-cpu');
    const single68 = run('6.8', 'single');
    const single66 = run('6.6', 'single');
    assert.ok(single68.throughputGbps >= 0.99 * perCpu68.throughputGbps, `6.8 single ${single68.throughputGbps} vs per-CPU ${perCpu68.throughputGbps}`);
    assert.ok(single68.dma.iovaRcacheHitRatio > 0.9, `6.8 hit ratio ${single68.dma.iovaRcacheHitRatio}`);
    assert.ok(single66.dma.iovaRcacheHitRatio < 0.6, `6.6 hit ratio ${single66.dma.iovaRcacheHitRatio}`);
    assert.ok(single66.throughputGbps < 0.95 * single68.throughputGbps, `6.6 single ${single66.throughputGbps} vs 6.8 ${single68.throughputGbps}`);
  });

  it('a single queue is flagged as a what-if: before v6.7, and on VT-d at all', () => {
    const run = (kernel: string, policy: 'lazy' | 'strict', kind: 'per-cpu' | 'single') =>
      simulate(preset('seed-after-fix', { durationMs: 30, warmupMs: 5, policy, guest: { kernel }, flushQueue: { kind } }));
    // A 30 ms run is also shorter than the single queue's 1 s timer, which is warned about apart.
    const whatIf = (r: ReturnType<typeof run>) => r.warnings.filter((w) => w.code === 'single-queue-what-if');
    const old = run('6.3', 'lazy', 'single');
    assert.equal(whatIf(old).length, 1, JSON.stringify(old.warnings));
    assert.match(whatIf(old)[0]!.message, /arrived in v6\.7/);
    const vtd = run('6.8', 'lazy', 'single');
    assert.match(whatIf(vtd)[0]!.message, /shadow_on_flush/);
    assert.deepEqual(codes(run('6.8', 'lazy', 'per-cpu')), []);
    assert.deepEqual(codes(run('6.8', 'strict', 'single')), [], 'strict never uses the queue');
  });
});

describe('IOVA rcache depot', () => {
  // Fill CPU 0's two magazines, then every further 127 frees push one full magazine to the depot.
  function pushMagazines(iova: IovaAllocator, magazines: number): void {
    for (let i = 0; i < (magazines + 2) * IOVA_MAG_SIZE; i++) iova.free(0, 1);
  }

  it('up to v6.6 the depot holds 32 magazines and the rest go to the rbtree', () => {
    const counters = new Counters<CounterName>();
    const iova = new IovaAllocator(4, defaultCosts(), counters, { rule: 'bounded-32', onlineCpus: 4, nowNs: () => 0 });
    pushMagazines(iova, IOVA_DEPOT_MAGS + 2);
    assert.equal(iova.depotSize(0), IOVA_DEPOT_MAGS);
    assert.ok(counters.get('iova.miss') >= 2 * IOVA_MAG_SIZE);
  });

  it('from v6.7 it grows without bound and is trimmed one magazine per 100 ms down to the online CPUs', () => {
    let now = 0;
    const counters = new Counters<CounterName>();
    const iova = new IovaAllocator(4, defaultCosts(), counters, { rule: 'unbounded-trimmed', onlineCpus: 4, nowNs: () => now });
    pushMagazines(iova, 40);
    assert.equal(iova.depotSize(0), 40);
    assert.equal(counters.get('iova.miss'), 0);
    now = IOVA_DEPOT_TRIM_PERIOD_NS - 1;
    assert.equal(iova.depotSize(0), 40, 'nothing before the first period');
    now = IOVA_DEPOT_TRIM_PERIOD_NS;
    assert.equal(iova.depotSize(0), 39);
    now = 10 * IOVA_DEPOT_TRIM_PERIOD_NS;
    assert.equal(iova.depotSize(0), 30);
    now = 1000 * IOVA_DEPOT_TRIM_PERIOD_NS;
    assert.equal(iova.depotSize(0), 4, 'stops at the number of online CPUs');
    assert.equal(counters.get('iova.depotTrimmed'), 36);
  });
});

describe('kernel versions are text', () => {
  it('--set guest.kernel=6.2 and =6.10 keep the text', () => {
    const input = applyOverrides({}, ['guest.kernel=6.10', 'seed=7', 'durationMs=30.5', 'name=123', 'policy="lazy"']) as Record<string, Record<string, unknown>>;
    assert.equal(input.guest!.kernel, '6.10');
    assert.equal(parseScenario(applyOverrides({}, ['guest.kernel=6.2'])).guest.kernel, '6.2');
    const s = parseScenario(input);
    assert.equal(s.guest.kernel, '6.10');
    assert.equal(s.seed, 7);
    assert.equal(s.durationMs, 30.5);
    assert.equal(s.name, '123');
    assert.equal(s.policy, 'lazy');
  });

  it('a JSON number for the kernel is refused, naming the field and asking for quotes', () => {
    const r = safeParseScenario({ guest: { kernel: 6.1 } });
    assert.ok(!r.ok);
    assert.equal(r.errors[0]!.path, 'guest.kernel');
    assert.match(r.errors[0]!.message, /quote it, e\.g\. "6\.10"/);
  });
});

describe('parseFieldValue', () => {
  it('types a value by its scenario field', () => {
    assert.equal(parseFieldValue('guest.kernel', '6.10'), '6.10');
    assert.equal(parseFieldValue('device.mtu', '9000'), 9000);
    assert.equal(parseFieldValue('guest.untrusted', 'true'), true);
    assert.equal(parseFieldValue('no.such.field', '6.10'), 6.1, 'unknown paths keep the JSON-looking rule');
  });
});

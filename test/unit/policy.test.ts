import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  formatDecision,
  kernelGeneration,
  parseCmdline,
  parseKernelVersion,
  resolvePolicy,
} from '../../core/policy/index.ts';
import type { KconfigDefault, PolicyDecision, PolicyInput, ViommuCaps } from '../../core/policy/index.ts';
import { firstLevelByDefault } from '../../core/policy/first-level.ts';
import { kstrtobool, splitSubOptions } from '../../core/policy/cmdline.ts';

const CAPS = {
  cmSl: { cachingMode: true, scalableMode: false, firstLevel: false, secondLevel: true },
  cmSmFl: { cachingMode: true, scalableMode: true, firstLevel: true, secondLevel: false },
  cmSmSl: { cachingMode: true, scalableMode: true, firstLevel: false, secondLevel: true },
  cmSmBoth: { cachingMode: true, scalableMode: true, firstLevel: true, secondLevel: true },
  cmSmNone: { cachingMode: true, scalableMode: true, firstLevel: false, secondLevel: false },
  noCm: { cachingMode: false, scalableMode: false, firstLevel: false, secondLevel: true },
} satisfies Record<string, ViommuCaps>;

const BATCHING = 'DMAR: IOMMU batching disallowed due to virtualization';

// Fields left undefined keep the defaults, so table rows can omit them.
function resolve(overrides: Partial<PolicyInput> = {}): PolicyDecision {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return resolvePolicy({ kernel: '6.8', kconfigDefault: 'lazy', cmdline: '', caps: CAPS.cmSmFl, untrusted: false, ...given });
}

function pick(d: PolicyDecision) {
  return { domainType: d.domainType, strict: d.strict, pageTable: d.pageTable, forcedStrict: d.forcedStrict };
}

describe('parseKernelVersion', () => {
  const valid: [string, [number, number, number]][] = [
    ['6.2', [6, 2, 0]],
    ['6.3.13', [6, 3, 13]],
    ['5.10', [5, 10, 0]],
    ['5.10.200', [5, 10, 200]],
    ['6.8-rc3', [6, 8, 0]],
    ['v6.3', [6, 3, 0]],
    [' 6.1.16 ', [6, 1, 16]],
  ];
  for (const [text, [major, minor, patch]] of valid) {
    it(`parses ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseKernelVersion(text), { major, minor, patch });
    });
  }

  for (const text of ['', '6', 'six.two', '6.3.1.2', '5.15.0-91-generic', '6.3-rc', 'V6.3', '6.3+']) {
    it(`rejects ${JSON.stringify(text)} naming the field and the form`, () => {
      assert.throws(() => parseKernelVersion(text), (error: Error) => {
        assert.match(error.message, /^kernel: expected MAJOR\.MINOR\[\.PATCH\]/);
        assert.ok(error.message.includes(JSON.stringify(text)));
        return true;
      });
    });
  }

  it('resolvePolicy reports a bad kernel through the same error', () => {
    assert.throws(() => resolve({ kernel: 'latest' }), /^Error: kernel: expected/);
  });
});

describe('kernelGeneration', () => {
  const table: [string, 1 | 2 | 3, string][] = [
    ['4.9.300', 1, 'unverified longterm branch: mainline mapping'],
    ['4.14.220', 1, 'before the 4.14.y backport'],
    ['4.14.221', 2, '29b32839725f backported to 4.14.221'],
    ['4.19.174', 1, 'before the 4.19.y backport'],
    ['4.19.175', 2, '29b32839725f backported to 4.19.175'],
    ['4.19.300', 2, 'a later 4.19.y keeps the backport'],
    ['5.4.96', 1, 'before the 5.4.y backport'],
    ['5.4.97', 2, '29b32839725f backported to 5.4.97'],
    ['5.10', 1, 'mainline v5.10'],
    ['5.10.13', 1, 'before the 5.10.y backport'],
    ['5.10.14', 2, '29b32839725f backported to 5.10.14'],
    ['5.11-rc1', 2, 'release candidates count as the release'],
    ['5.11', 2, 'mainline 29b32839725f'],
    ['5.15.98', 2, 'before the 5.15.y backport of 257ec2907419'],
    ['5.15.99', 3, '257ec2907419 backported to 5.15.99'],
    ['6.0.19', 2, 'no backport to 6.0.y'],
    ['6.1.15', 2, 'before the 6.1.y backport'],
    ['6.1.16', 3, 'backported to 6.1.16'],
    ['6.2', 2, 'mainline v6.2'],
    ['6.2.2', 2, 'before the 6.2.y backport'],
    ['6.2.3', 3, 'backported to 6.2.3'],
    ['6.3', 3, 'mainline seed'],
    ['6.8-rc3', 3, 'later mainline'],
    ['7.0', 3, 'future releases keep the rule'],
  ];
  for (const [version, generation, why] of table) {
    it(`${version} is generation ${generation} (${why})`, () => {
      assert.equal(kernelGeneration(parseKernelVersion(version)), generation);
      assert.equal(resolve({ kernel: version }).generation, generation);
    });
  }

  it('explains a stable backport and an unverified branch in the first reason', () => {
    assert.match(resolve({ kernel: '6.1.16' }).reasons[0]!.text, /257ec2907419 reached 6\.1\.y in 6\.1\.16/);
    assert.match(resolve({ kernel: '4.9.300' }).reasons[0]!.text, /mapped by mainline version/);
    assert.match(resolve({ kernel: '4.19.200' }).reasons[0]!.text, /29b32839725f reached 4\.19\.y in 4\.19\.175/);
  });

  it('policy --kernel 4.19.200 --caps cm,sm,flts: generation 2, legacy second level, strict by the caching-mode rule', () => {
    const d = resolve({ kernel: '4.19.200', caps: CAPS.cmSmFl });
    assert.equal(d.generation, 2);
    assert.deepEqual(pick(d), { domainType: 'dma', strict: true, pageTable: 'second-level', forcedStrict: true });
    assert.equal(d.log.at(-1), 'DMAR: Disable batched IOTLB flush due to virtualization');
  });
});

describe('DOMAIN.md section 2: the caching-mode rule by generation', () => {
  const rows: { name: string; kernel: string; caps: ViommuCaps; domainType: string; strict: boolean; batching: boolean }[] = [
    { name: 'generation 1: no CM rule, Kconfig lazy applies', kernel: '5.10', caps: CAPS.cmSl, domainType: 'dma-fq', strict: false, batching: false },
    { name: 'generation 2: CM forces strict', kernel: '6.2', caps: CAPS.cmSl, domainType: 'dma', strict: true, batching: true },
    { name: 'generation 2: CM forces strict even on first level', kernel: '6.2', caps: CAPS.cmSmFl, domainType: 'dma', strict: true, batching: true },
    { name: 'generation 3: CM and second level: strict', kernel: '6.3', caps: CAPS.cmSmSl, domainType: 'dma', strict: true, batching: true },
    { name: 'generation 3: CM and first level by default: lazy', kernel: '6.3', caps: CAPS.cmSmFl, domainType: 'dma-fq', strict: false, batching: false },
    { name: 'generation 3: CM in legacy mode: strict', kernel: '6.3', caps: CAPS.cmSl, domainType: 'dma', strict: true, batching: true },
    { name: 'no CM: Kconfig lazy in every generation', kernel: '6.2', caps: CAPS.noCm, domainType: 'dma-fq', strict: false, batching: false },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const d = resolve({ kernel: row.kernel, caps: row.caps });
      assert.equal(d.domainType, row.domainType);
      assert.equal(d.strict, row.strict);
      assert.equal(d.forcedStrict, row.batching);
      assert.equal(d.log.includes(BATCHING), row.batching);
    });
  }

  it('kernel 6.2 with CM, SM and FLTS: strict DMA domain and the batching line', () => {
    const d = resolve({ kernel: '6.2', caps: CAPS.cmSmFl });
    assert.equal(d.domainType, 'dma');
    assert.equal(d.strict, true);
    assert.equal(d.pageTable, 'first-level');
    assert.ok(d.log.includes(BATCHING));
  });

  it('kernel 6.3 with the same caps: lazy DMA_FQ and no batching line', () => {
    const d = resolve({ kernel: '6.3', caps: CAPS.cmSmFl });
    assert.equal(d.domainType, 'dma-fq');
    assert.equal(d.strict, false);
    assert.equal(d.forcedStrict, false);
    assert.ok(!d.log.some((line) => line.includes('batching')));
    assert.ok(d.reasons.some((r) => r.source === 'intel_iommu_init()' && /first_level_by_default\(IOMMU_DOMAIN_DMA\) is true/.test(r.text)));
  });

  it('logs as dmesg does: the iommu lines (subsys_initcall) before the DMAR batching line (rootfs_initcall)', () => {
    assert.deepEqual(resolve({ kernel: '6.2', caps: CAPS.cmSl }).log, [
      'iommu: Default domain type: Translated',
      'iommu: DMA domain TLB invalidation policy: lazy mode',
      BATCHING,
    ]);
  });

  const lines: [string, string][] = [
    ['5.4.97', 'DMAR: Disable batched IOTLB flush due to virtualization'],
    ['5.10.14', 'DMAR: Disable batched IOTLB flush due to virtualization'],
    ['5.11', 'DMAR: IOMMU batching is disabled due to virtualization'],
    ['5.13', 'DMAR: IOMMU batching is disabled due to virtualization'],
    ['5.15', BATCHING],
  ];
  for (const [kernel, line] of lines) {
    it(`v${kernel} prints ${JSON.stringify(line)} and no TLB policy line before v5.15`, () => {
      const d = resolve({ kernel, caps: CAPS.cmSl });
      assert.equal(d.log.at(-1), line);
      assert.equal(d.log.some((l) => l.includes('TLB invalidation policy')), kernel === '5.15');
    });
  }

  it('v5.11-v5.12 only evaluate the rule when a DMA domain is set up', () => {
    assert.ok(!resolve({ kernel: '5.12', caps: CAPS.cmSl, cmdline: 'iommu=pt' }).log.some((l) => l.includes('batching')));
    assert.ok(resolve({ kernel: '5.12', caps: CAPS.cmSl, cmdline: 'iommu=pt', untrusted: true }).log.some((l) => l.includes('batching')));
  });
});

describe('first_level_by_default()', () => {
  const v63: [string, ViommuCaps, string, string, 'first-level' | 'second-level', boolean][] = [
    ['FLTS only', CAPS.cmSmFl, '', 'dma-fq', 'first-level', true],
    ['SLTS only', CAPS.cmSmSl, '', 'dma', 'second-level', true],
    ['both FLTS and SLTS', CAPS.cmSmBoth, '', 'dma-fq', 'first-level', true],
    ['neither (by the letter of the code)', CAPS.cmSmNone, '', 'dma-fq', 'first-level', true],
    ['no scalable-mode capability', { ...CAPS.cmSmFl, scalableMode: false }, '', 'dma', 'second-level', false],
    ['intel_iommu=sm_off', CAPS.cmSmFl, 'intel_iommu=sm_off', 'dma', 'second-level', false],
  ];
  for (const [name, caps, cmdline, domainType, pageTable, scalableMode] of v63) {
    it(`v6.3, ${name}: ${domainType} on the ${pageTable}`, () => {
      const d = resolve({ kernel: '6.3', caps, cmdline });
      assert.equal(d.domainType, domainType);
      assert.equal(d.pageTable, pageTable);
      assert.equal(d.scalableMode, scalableMode);
    });
  }

  it('warns about scalable mode without FLTS or SLTS', () => {
    assert.match(resolve({ kernel: '6.3', caps: CAPS.cmSmNone }).warnings.join('\n'), /without FLTS or SLTS/);
  });

  it('with both levels, unmanaged domains stay on the second level', () => {
    const both = { firstLevel: true, secondLevel: true };
    assert.equal(firstLevelByDefault('by-domain-type', true, both, 'dma').firstLevel, true);
    assert.equal(firstLevelByDefault('by-domain-type', true, both, 'unmanaged').firstLevel, false);
  });

  const tables: [string, string, ViommuCaps, 'first-level' | 'second-level'][] = [
    ['v6.2 (v5.16 rule), both levels', '6.2', CAPS.cmSmBoth, 'first-level'],
    ['v5.15 (scalable && FLTS), both levels', '5.15', CAPS.cmSmBoth, 'first-level'],
    ['v5.15 (scalable && FLTS), neither level', '5.15', CAPS.cmSmNone, 'second-level'],
    ['v5.10: scalable mode is off by default', '5.10.14', CAPS.cmSmFl, 'second-level'],
    ['v5.4: no first-level DMA yet', '5.4.97', CAPS.cmSmFl, 'second-level'],
  ];
  for (const [name, kernel, caps, pageTable] of tables) {
    it(`${name}: ${pageTable}`, () => {
      assert.equal(resolve({ kernel, caps }).pageTable, pageTable);
    });
  }

  it('v5.10 uses the first level once intel_iommu=sm_on enables scalable mode', () => {
    const d = resolve({ kernel: '5.10.14', caps: CAPS.cmSmFl, cmdline: 'intel_iommu=sm_on' });
    assert.equal(d.scalableMode, true);
    assert.equal(d.pageTable, 'first-level');
    assert.ok(d.log.includes('DMAR: Intel-IOMMU: scalable mode supported'));
  });

  it('v5.10 does not know sm_off and ignores it silently', () => {
    const d = resolve({ kernel: '5.10.14', caps: CAPS.cmSmFl, cmdline: 'intel_iommu=sm_on,sm_off' });
    assert.equal(d.scalableMode, true);
    assert.deepEqual(d.ignored, ['intel_iommu=sm_off']);
    assert.ok(!d.log.some((l) => l.includes('Unknown option')));
  });
});

describe('Kconfig defaults', () => {
  const table: [KconfigDefault, string, boolean, string][] = [
    ['strict', 'dma', true, 'iommu: DMA domain TLB invalidation policy: strict mode'],
    ['lazy', 'dma-fq', false, 'iommu: DMA domain TLB invalidation policy: lazy mode'],
    ['passthrough', 'identity', false, 'iommu: Default domain type: Passthrough'],
  ];
  for (const [kconfigDefault, domainType, strict, line] of table) {
    it(`${kconfigDefault} without CM gives ${domainType}`, () => {
      const d = resolve({ kconfigDefault, caps: CAPS.noCm });
      assert.equal(d.domainType, domainType);
      assert.equal(d.strict, strict);
      assert.ok(d.log.includes(line), d.log.join('\n'));
      assert.equal(d.reasons[1]!.source, { strict: 'CONFIG_IOMMU_DEFAULT_DMA_STRICT', lazy: 'CONFIG_IOMMU_DEFAULT_DMA_LAZY', passthrough: 'CONFIG_IOMMU_DEFAULT_PASSTHROUGH' }[kconfigDefault]);
    });
  }

  it('passthrough logs no TLB policy line and no page table', () => {
    const d = resolve({ kconfigDefault: 'passthrough', caps: CAPS.noCm });
    assert.deepEqual(d.log, ['iommu: Default domain type: Passthrough']);
    assert.equal(d.pageTable, 'none');
  });

  it('passthrough with CM: identity, but DMA domains would be strict', () => {
    const d = resolve({ kernel: '6.2', kconfigDefault: 'passthrough', caps: CAPS.cmSl });
    assert.deepEqual(pick(d), { domainType: 'identity', strict: true, pageTable: 'none', forcedStrict: true });
    assert.ok(d.log.includes(BATCHING));
  });

  it('before v5.15 the strict Kconfig choice does not exist: warning and the lazy default', () => {
    const d = resolve({ kernel: '5.10', kconfigDefault: 'strict', caps: CAPS.noCm });
    assert.equal(d.domainType, 'dma-fq');
    assert.match(d.warnings.join('\n'), /CONFIG_IOMMU_DEFAULT_DMA_STRICT only exists from v5\.15/);
  });

  it('rejects an unknown Kconfig default naming the field', () => {
    assert.throws(() => resolve({ kconfigDefault: 'fast' as KconfigDefault }), /^Error: kconfigDefault: expected one of strict, lazy, passthrough/);
  });
});

describe('command-line overrides', () => {
  const table: { name: string; kernel?: string; kconfigDefault?: KconfigDefault; caps?: ViommuCaps; cmdline: string; domainType: string; strict: boolean; line?: string }[] = [
    { name: 'iommu.strict=0 over Kconfig strict', kconfigDefault: 'strict', caps: CAPS.noCm, cmdline: 'iommu.strict=0', domainType: 'dma-fq', strict: false, line: 'iommu: DMA domain TLB invalidation policy: lazy mode (set via kernel command line)' },
    { name: 'iommu.strict=1 over Kconfig lazy', caps: CAPS.noCm, cmdline: 'iommu.strict=1', domainType: 'dma', strict: true, line: 'iommu: DMA domain TLB invalidation policy: strict mode (set via kernel command line)' },
    { name: 'iommu.strict=0 cannot undo the CM rule', kernel: '6.2', caps: CAPS.cmSl, cmdline: 'iommu.strict=0', domainType: 'dma', strict: true, line: BATCHING },
    { name: 'iommu.strict=0 cannot undo the CM rule in v5.13 either', kernel: '5.13', caps: CAPS.cmSl, cmdline: 'iommu.strict=0', domainType: 'dma', strict: true },
    { name: 'iommu=pt', caps: CAPS.noCm, cmdline: 'iommu=pt', domainType: 'identity', strict: false, line: 'iommu: Default domain type: Passthrough (set via kernel command line)' },
    { name: 'iommu.passthrough=1', caps: CAPS.noCm, cmdline: 'iommu.passthrough=1', domainType: 'identity', strict: false, line: 'iommu: Default domain type: Passthrough (set via kernel command line)' },
    { name: 'iommu.passthrough=0 over Kconfig passthrough', kconfigDefault: 'passthrough', caps: CAPS.noCm, cmdline: 'iommu.passthrough=0', domainType: 'dma-fq', strict: false, line: 'iommu: Default domain type: Translated (set via kernel command line)' },
    { name: 'iommu=nopt over Kconfig passthrough', kconfigDefault: 'passthrough', caps: CAPS.noCm, cmdline: 'iommu=nopt', domainType: 'dma-fq', strict: false },
    { name: 'the later of two passthrough settings wins', caps: CAPS.noCm, cmdline: 'iommu=pt iommu.passthrough=0', domainType: 'dma-fq', strict: false },
    { name: 'the later iommu.strict= wins', caps: CAPS.noCm, cmdline: 'iommu.strict=1 iommu.strict=off', domainType: 'dma-fq', strict: false },
    { name: 'v5.13 honours iommu.strict=1', kernel: '5.13', caps: CAPS.noCm, cmdline: 'iommu.strict=1', domainType: 'dma', strict: true },
    { name: 'v5.12 VT-d ignores iommu.strict=1', kernel: '5.12', caps: CAPS.noCm, cmdline: 'iommu.strict=1', domainType: 'dma-fq', strict: false },
  ];
  for (const row of table) {
    it(row.name, () => {
      const d = resolve({ kernel: row.kernel, kconfigDefault: row.kconfigDefault, caps: row.caps, cmdline: row.cmdline });
      assert.equal(d.domainType, row.domainType);
      assert.equal(d.strict, row.strict);
      if (row.line) assert.ok(d.log.includes(row.line), d.log.join('\n'));
    });
  }

  it('v6.2 CM guest with iommu.strict=0: the log says lazy, then the driver forces strict', () => {
    assert.deepEqual(resolve({ kernel: '6.2', caps: CAPS.cmSl, cmdline: 'iommu.strict=0' }).log, [
      'iommu: Default domain type: Translated',
      'iommu: DMA domain TLB invalidation policy: lazy mode (set via kernel command line)',
      BATCHING,
    ]);
  });

  it('v5.12 lists the ignored iommu.strict= with a reason', () => {
    const d = resolve({ kernel: '5.12', caps: CAPS.noCm, cmdline: 'iommu.strict=1' });
    assert.deepEqual(d.ignored, ['iommu.strict=1']);
    assert.ok(d.reasons.some((r) => r.source === 'iommu.strict=' && /before v5\.13/.test(r.text)));
  });

  it('orders reasons as the kernel applies them', () => {
    const sources = resolve({ kernel: '6.2', caps: CAPS.cmSl, cmdline: 'intel_iommu=on iommu.strict=0', untrusted: true }).reasons.map((r) => r.source);
    assert.deepEqual(sources, [
      'kernel version',
      'CONFIG_IOMMU_DEFAULT_DMA_LAZY',
      'iommu.strict=',
      'intel_iommu=on',
      'iommu_subsys_init()',
      'CONFIG_INTEL_IOMMU_SCALABLE_MODE_DEFAULT_ON',
      'intel_iommu_init()',
      'iommu_get_def_domain_type() untrusted',
      'first_level_by_default()',
    ]);
  });
});

describe('intel_iommu=', () => {
  it('strict calls iommu_set_dma_strict() and prints the deprecation line', () => {
    const d = resolve({ caps: CAPS.noCm, cmdline: 'iommu.strict=0 intel_iommu=strict' });
    assert.deepEqual(pick(d), { domainType: 'dma', strict: true, pageTable: 'second-level', forcedStrict: true });
    assert.deepEqual(d.log, [
      'DMAR: intel_iommu=strict deprecated; use iommu.strict=1 instead',
      'iommu: Default domain type: Translated',
      'iommu: DMA domain TLB invalidation policy: strict mode (set via kernel command line)',
    ]);
  });

  it('strict before v5.15 sets intel_iommu_strict with the old message', () => {
    const d = resolve({ kernel: '5.10', caps: CAPS.noCm, cmdline: 'intel_iommu=strict' });
    assert.deepEqual(pick(d), { domainType: 'dma', strict: true, pageTable: 'second-level', forcedStrict: true });
    assert.deepEqual(d.log, ['DMAR: Disable batched IOTLB flush', 'iommu: Default domain type: Translated']);
  });

  it('with intel_iommu=strict the pre-v5.15 CM rule stays silent; v5.15 still prints it', () => {
    assert.ok(!resolve({ kernel: '5.10.14', caps: CAPS.cmSl, cmdline: 'intel_iommu=strict' }).log.some((l) => l.includes('virtualization')));
    assert.ok(resolve({ kernel: '6.2', caps: CAPS.cmSl, cmdline: 'intel_iommu=strict' }).log.includes(BATCHING));
  });

  const off: [string, string][] = [
    ['intel_iommu=off', 'DMAR: IOMMU disabled'],
    ['iommu=off', 'iommu: Default domain type: Translated'],
    ['intel-iommu=off', 'DMAR: IOMMU disabled'],
  ];
  for (const [cmdline, line] of off) {
    it(`${cmdline}: no DMA remapping, no caching-mode rule`, () => {
      const d = resolve({ kernel: '6.2', caps: CAPS.cmSl, cmdline, untrusted: true });
      assert.equal(d.dmaRemapping, false);
      assert.deepEqual(pick(d), { domainType: 'identity', strict: false, pageTable: 'none', forcedStrict: false });
      assert.equal(d.scalableMode, false);
      assert.ok(d.log.includes(line));
      assert.ok(!d.log.includes(BATCHING));
    });
  }

  it('later sub-options win: off,on leaves remapping on', () => {
    const d = resolve({ kernel: '6.2', caps: CAPS.cmSl, cmdline: 'intel_iommu=off,on' });
    assert.equal(d.dmaRemapping, true);
    assert.deepEqual(d.log.slice(0, 2), ['DMAR: IOMMU disabled', 'DMAR: IOMMU enabled']);
  });

  it('matches sub-options by prefix, as strncmp() does', () => {
    const d = resolve({ caps: CAPS.noCm, cmdline: 'intel_iommu=strictly' });
    assert.equal(d.forcedStrict, true);
    assert.deepEqual(d.ignored, []);
  });

  it('unknown sub-options: v5.15 prints the rest of the list, older kernels stay silent', () => {
    const d = resolve({ caps: CAPS.noCm, cmdline: 'intel_iommu=foo,,sm_on' });
    assert.ok(d.log.includes("DMAR: Unknown option - 'foo,,sm_on'"));
    assert.ok(d.log.includes('DMAR: Enable scalable mode if hardware supports'));
    assert.deepEqual(d.ignored, ['intel_iommu=foo']);
    const old = resolve({ kernel: '5.10', caps: CAPS.noCm, cmdline: 'intel_iommu=foo' });
    assert.deepEqual(old.ignored, ['intel_iommu=foo']);
    assert.ok(!old.log.some((l) => l.includes('Unknown option')));
  });

  it('options without effect on the policy are logged, not ignored', () => {
    const d = resolve({ caps: CAPS.noCm, cmdline: 'intel_iommu=igfx_off,sp_off,tboot_noforce' });
    assert.deepEqual(d.ignored, []);
    assert.deepEqual(d.log.slice(0, 3), [
      'DMAR: Disable GFX device mapping',
      'DMAR: Disable supported super page',
      'DMAR: Intel-IOMMU: not forcing on after tboot. This could expose security risk for tboot',
    ]);
  });
});

describe('untrusted devices', () => {
  const table: [string, Partial<PolicyInput>][] = [
    ['Kconfig lazy, gen 3 first level', { kernel: '6.3', caps: CAPS.cmSmFl }],
    ['Kconfig passthrough', { kconfigDefault: 'passthrough', caps: CAPS.noCm }],
    ['iommu=pt', { cmdline: 'iommu=pt', caps: CAPS.noCm }],
    ['iommu.strict=0', { cmdline: 'iommu.strict=0', caps: CAPS.noCm }],
    ['generation 1', { kernel: '5.10', caps: CAPS.noCm }],
  ];
  for (const [name, overrides] of table) {
    it(`always get a strict DMA domain: ${name}`, () => {
      const d = resolve({ ...overrides, untrusted: true });
      assert.equal(d.domainType, 'dma');
      assert.equal(d.strict, true);
      assert.notEqual(d.pageTable, 'none');
      assert.ok(d.reasons.some((r) => r.source === 'iommu_get_def_domain_type() untrusted'));
    });
  }
});

describe('malformed values', () => {
  const table: [string, string, string][] = [
    ['6.8', 'iommu.strict=maybe', 'iommu.strict'],
    ['6.8', 'iommu.strict=', 'iommu.strict'],
    ['6.8', 'iommu.passthrough', 'iommu.passthrough'],
    ['6.8', 'iommu', 'iommu'],
    ['5.15', 'iommu.strict=true', 'iommu.strict'],
  ];
  for (const [kernel, cmdline, name] of table) {
    it(`v${kernel} ${cmdline}: ignored with the kernel's message and a warning`, () => {
      const d = resolve({ kernel, kconfigDefault: 'strict', caps: CAPS.noCm, cmdline });
      assert.equal(d.domainType, 'dma', 'the Kconfig default stays');
      assert.equal(d.log[0], `Malformed early option '${name}'`);
      assert.equal(d.warnings.length, 1);
      assert.ok(d.warnings[0]!.startsWith(cmdline));
    });
  }

  it('kstrtobool() reads only the first characters; true/false from v5.19', () => {
    const table: [string, boolean, boolean | null][] = [
      ['1', false, true], ['0', false, false], ['y', false, true], ['No', false, false], ['yes', false, true],
      ['on', false, true], ['OFF', false, false], ['o', false, null], ['true', false, null], ['true', true, true],
      ['false', true, false], ['2', true, null], ['', true, null],
    ];
    for (const [text, trueFalse, expected] of table) assert.equal(kstrtobool(text, trueFalse), expected, text);
    assert.equal(resolve({ kernel: '6.1', kconfigDefault: 'strict', caps: CAPS.noCm, cmdline: 'iommu.strict=false' }).domainType, 'dma-fq');
  });

  it('iommu=usedac stops the list and is reported as malformed, as the kernel does', () => {
    const d = resolve({ caps: CAPS.noCm, cmdline: 'iommu=usedac,pt' });
    assert.equal(d.domainType, 'dma-fq');
    assert.deepEqual(d.ignored, ['iommu=pt']);
    assert.equal(d.log[0], "Malformed early option 'iommu'");
  });
});

describe('ignored tokens', () => {
  it('lists only iommu-related input the kernel does not use, in command-line order', () => {
    const d = resolve({
      caps: CAPS.noCm,
      cmdline: 'quiet root=/dev/sda iommu.foo=1 intel_iommu intel_iommu= iommu=bogus,pt,forcesac amd_iommu=off iommu.forcedac=1 console=ttyS0',
    });
    assert.deepEqual(d.ignored, ['iommu.foo=1', 'intel_iommu', 'intel_iommu=', 'iommu=bogus', 'iommu=forcesac']);
    assert.equal(d.domainType, 'identity');
    assert.ok(d.log.includes('forcesac option ignored.'));
  });

  it('does not parse arguments after "--": they belong to init', () => {
    const d = resolve({ caps: CAPS.noCm, cmdline: 'quiet -- iommu=pt intel_iommu=off' });
    assert.equal(d.domainType, 'dma-fq');
    assert.deepEqual(d.ignored, []);
    assert.deepEqual(d.log, ['iommu: Default domain type: Translated', 'iommu: DMA domain TLB invalidation policy: lazy mode']);
  });
});

describe('parseCmdline', () => {
  it('splits names and values, honours quotes and "--"', () => {
    const parsed = parseCmdline('  quiet intel-iommu=on,sm_on "dyndbg=file x +p" iommu.strict="1" -- single ');
    assert.deepEqual(parsed.params.map(({ name, key, value }) => ({ name, key, value })), [
      { name: 'quiet', key: 'quiet', value: null },
      { name: 'intel-iommu', key: 'intel_iommu', value: 'on,sm_on' },
      { name: 'dyndbg', key: 'dyndbg', value: 'file x +p' },
      { name: 'iommu.strict', key: 'iommu.strict', value: '1' },
    ]);
    assert.deepEqual(parsed.initArgs, ['single']);
  });

  it('walks comma lists like intel_iommu_setup()', () => {
    assert.deepEqual(splitSubOptions('on,,foo,sm_on'), [
      { text: 'on', rest: 'on,,foo,sm_on' },
      { text: 'foo', rest: 'foo,sm_on' },
      { text: 'sm_on', rest: 'sm_on' },
    ]);
  });
});

describe('formatDecision', () => {
  it('renders the decision, numbered reasons with sources, dmesg, ignored tokens and warnings', () => {
    const text = formatDecision(resolve({ kernel: '6.2', caps: CAPS.cmSmFl, cmdline: 'iommu.bogus=1 iommu.strict=maybe' }));
    const lines = text.split('\n');
    assert.match(lines[0]!, /^Decision: kernel 6\.2\.0 \(generation 2\): dma \(strict invalidation\); first-level page table, scalable mode on, strict forced$/);
    assert.ok(lines.includes('Reasons:'));
    assert.match(text, /\n {2}1\. \[kernel version\] v6\.2\.0 is generation 2/);
    assert.match(text, /\ndmesg:\n {2}Malformed early option 'iommu\.strict'\n/);
    assert.match(text, /\nIgnored:\n {2}iommu\.bogus=1\n/);
    assert.match(text, /\nWarnings:\n {2}iommu\.strict=maybe: /);
  });

  it('says when remapping is off and when nothing was ignored', () => {
    const text = formatDecision(resolve({ cmdline: 'intel_iommu=off' }));
    assert.match(text, /^Decision: kernel 6\.8\.0 \(generation 3\): DMA remapping off/);
    assert.match(text, /\nIgnored: none\nWarnings: none$/);
  });
});

describe('inputs outside the checked range', () => {
  it('warns for kernels before v5.4', () => {
    assert.match(resolve({ kernel: '4.19.300', caps: CAPS.noCm }).warnings.join('\n'), /checked from v5\.4 on/);
  });

  it('rejects malformed caps naming the field', () => {
    assert.throws(() => resolve({ caps: { ...CAPS.noCm, firstLevel: 'yes' } as unknown as ViommuCaps }), /^Error: caps\.firstLevel: expected true or false/);
  });
});

describe('kernels before scalable mode (v5.0)', () => {
  it('4.19 stays in legacy mode and ignores intel_iommu=sm_on', () => {
    const d = resolve({ kernel: '4.19.200', caps: CAPS.cmSmFl, cmdline: 'intel_iommu=sm_on' });
    assert.equal(d.scalableMode, false);
    assert.equal(d.pageTable, 'second-level');
    assert.deepEqual(d.ignored, ['intel_iommu=sm_on']);
    assert.ok(d.reasons.some((r) => /predates scalable mode/.test(r.text)));
  });

  it('5.4 takes intel_iommu=sm_on', () => {
    assert.equal(resolve({ kernel: '5.4.97', caps: CAPS.cmSmFl, cmdline: 'intel_iommu=sm_on' }).scalableMode, true);
  });
});

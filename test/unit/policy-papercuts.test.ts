// What `iommu-lab policy` tells a user about the edges of its knowledge: every
// ignored token (malformed values too), kernels newer than the newest release
// the lab knows, and no IOMMU_DOMAIN_DMA_FQ for kernels that did not have it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatDecision, kernelDomainType, resolvePolicy, type PolicyInput } from '../../core/policy/index.ts';
import { NEWEST_KNOWN_RELEASE } from '../../core/policy/kernel-facts.ts';

const noCm = { cachingMode: false, scalableMode: false, firstLevel: false, secondLevel: true };
const resolve = (p: Partial<PolicyInput> = {}) => resolvePolicy({ kernel: '6.8', kconfigDefault: 'lazy', cmdline: '', caps: noCm, untrusted: false, ...p });
const newest = `${NEWEST_KNOWN_RELEASE.major}.${NEWEST_KNOWN_RELEASE.minor}`;

describe('ignored tokens', () => {
  it('lists every one in command-line order, malformed values included (the kernel ignores them too)', () => {
    const d = resolve({ cmdline: 'quiet iommu.strict=maybe iommu.bogus=1 intel_iommu=on,xyz,abc iommu.passthrough iommu=foo,bar' });
    assert.deepEqual(d.ignored, ['iommu.strict=maybe', 'iommu.bogus=1', 'intel_iommu=xyz', 'intel_iommu=abc', 'iommu.passthrough', 'iommu=foo', 'iommu=bar']);
    const text = formatDecision(d);
    assert.match(text, /\nIgnored:\n {2}iommu\.strict=maybe\n {2}iommu\.bogus=1\n {2}intel_iommu=xyz\n {2}intel_iommu=abc\n {2}iommu\.passthrough\n {2}iommu=foo\n {2}iommu=bar\nWarnings:/);
  });
});

describe('kernels newer than the newest known release', () => {
  it(`the newest known release is named, and a later one warns naming both`, () => {
    assert.equal(newest, '6.16');
    for (const kernel of ['6.17', '6.20.3', '7.0-rc1', '7.9']) {
      const warning = resolve({ kernel }).warnings.find((w) => w.includes('newer than'));
      const v = kernel.replace(/-rc\d+$/, '').split('.').slice(0, 2).join('.');
      assert.equal(warning, `kernel: v${v} is newer than v${newest}, the newest release this lab knows; it is resolved with the rules of v${newest}, and a later change to them would not show`, kernel);
      assert.match(formatDecision(resolve({ kernel })), new RegExp(`\\nWarnings:\\n {2}kernel: v${v.replace('.', '\\.')} is newer than v6\\.16`));
    }
  });

  it('the newest known release and its stable updates, and older ones, do not warn', () => {
    for (const kernel of ['6.16', '6.16.12', '6.8', '6.3', '5.10.200']) assert.deepEqual(resolve({ kernel }).warnings.filter((w) => w.includes('newer than')), [], kernel);
  });
});

describe('no DMA_FQ before v5.15', () => {
  // Kernels before v5.15 have no IOMMU_DOMAIN_DMA_FQ: a lazy domain is an IOMMU_DOMAIN_DMA in non-strict mode.
  const old = ['4.19.300', '5.4.200', '5.10', '5.10.200', '5.12', '5.14.21'];
  it('a lazy pre-5.15 guest is a non-strict IOMMU_DOMAIN_DMA in every line printed', () => {
    for (const kernel of old) {
      for (const input of [{ kernel }, { kernel, cmdline: 'iommu.strict=0' }, { kernel, untrusted: true }, { kernel, caps: { ...noCm, cachingMode: true } }]) {
        const d = resolve(input);
        const text = formatDecision(d);
        assert.doesNotMatch(text, /DMA_FQ|dma-fq/i, `${JSON.stringify(input)}:\n${text}`);
        assert.notEqual(kernelDomainType(d), 'IOMMU_DOMAIN_DMA_FQ');
      }
      const lazy = resolve({ kernel });
      assert.equal(lazy.strict, false, kernel);
      assert.equal(kernelDomainType(lazy), 'IOMMU_DOMAIN_DMA');
      assert.match(formatDecision(lazy), /^Decision: kernel \S+ \(generation \d\): dma \(lazy: non-strict mode, flush queue\);/);
      assert.ok(lazy.reasons.some((r) => r.text.includes('IOMMU_DOMAIN_DMA (lazy: non-strict mode')), kernel);
    }
  });

  it('from v5.15 the lazy domain is IOMMU_DOMAIN_DMA_FQ', () => {
    for (const kernel of ['5.15', '6.3', '6.8']) {
      const d = resolve({ kernel });
      assert.equal(kernelDomainType(d), 'IOMMU_DOMAIN_DMA_FQ', kernel);
      assert.match(formatDecision(d), /^Decision: .*: dma-fq \(lazy, flush queue\);/);
    }
    assert.equal(kernelDomainType(resolve({ kernel: '6.8', cmdline: 'iommu.strict=1' })), 'IOMMU_DOMAIN_DMA');
    assert.equal(kernelDomainType(resolve({ kernel: '5.10', cmdline: 'iommu=pt' })), 'IOMMU_DOMAIN_IDENTITY');
  });
});

import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../../../service/errors.ts';
import { routeFieldErrors, routeServiceError, toErrorData } from './errors.ts';
import { applyRunEvent, summarize } from './progress.ts';
import { domainTypeText, explainDecision, isKeyReason, kernelMode } from './policy-text.ts';
import { previewScenario } from '../../../../service/preview.ts';
import { NO_PROFILES } from '../../../../service/scenarios.ts';
import type { PolicyDecision } from './policy-text.ts';

const paths = new Set(['device.mtu', 'viommu.backend', 'guest.kernel']);

describe('routing service errors to inputs', () => {
  it('puts preview, run and sweep paths next to their fields', () => {
    const routed = routeFieldErrors(
      [
        { path: 'scenario.device.mtu', message: 'too small' },
        { path: 'spec.base.guest.kernel', message: 'bad kernel' },
        { path: 'spec.grid.viommu.backend', message: 'needs caching mode (at viommu.backend=shadow-sl)' },
        { path: 'spec.seeds', message: 'too many' },
        { path: 'tags.3', message: 'must not contain spaces or commas' },
        { path: 'scenario.viommu', message: 'odd' },
        { path: '', message: 'root problem' },
      ],
      paths,
    );
    expect(routed.fields).toEqual({ 'device.mtu': 'too small', 'guest.kernel': 'bad kernel' });
    expect(routed.grid).toEqual({ 'viommu.backend': 'needs caching mode (at viommu.backend=shadow-sl)' });
    expect(routed.start).toEqual({ seeds: 'too many', tags: 'must not contain spaces or commas' });
    expect(routed.general).toEqual(['scenario.viommu: odd', 'root problem']);
  });

  it('joins several messages for one field', () => {
    const routed = routeFieldErrors(
      [
        { path: 'spec.grid.device.mtu', message: 'a' },
        { path: 'spec.grid.device.mtu', message: 'b' },
      ],
      paths,
    );
    expect(routed.grid['device.mtu']).toBe('a; b');
  });

  it('reads a ServiceError, a wire error object and anything else', () => {
    const se = ServiceError.invalid([{ path: 'device.mtu', message: 'too small' }], 'scenario');
    expect(routeServiceError(se, paths).fields).toEqual({ 'device.mtu': 'too small' });
    expect(toErrorData({ code: 'not_found', message: 'run x not found' })).toEqual({ code: 'not_found', message: 'run x not found' });
    expect(routeServiceError(new Error('socket closed'), paths).general).toEqual(['socket closed']);
  });
});

describe('progress bookkeeping', () => {
  it('keeps the largest fraction and ends at 1 when done', () => {
    let t = applyRunEvent(undefined, { status: 'running' });
    t = applyRunEvent(t, { fraction: 0.5 });
    t = applyRunEvent(t, { fraction: 0.25 });
    expect(t).toEqual({ fraction: 0.5, status: 'running', error: null });
    expect(applyRunEvent(t, { status: 'done', error: null }).fraction).toBe(1);
  });

  it('summarizes runs and sweep counts, whichever arrived first', () => {
    const started = { kind: 'sweep' as const, runIds: ['a', 'b', 'c'], sweepId: 's', firstSeed: 1 };
    const runs = { a: { fraction: 1, status: 'done' as const, error: null }, b: { fraction: 0, status: 'failed' as const, error: 'boom' } };
    expect(summarize(started, runs, null)).toEqual({ total: 3, ended: 2, failed: 1, cancelled: 0, active: ['c'] });
    expect(summarize(started, {}, { total: 3, ended: 3, failed: 0, cancelled: 1 })).toMatchObject({ ended: 3, cancelled: 1, active: [] });
  });
});

describe('policy text', () => {
  const decisionOf = (preset: string): { decision: PolicyDecision; effective: string; source: 'auto' | 'scenario' } => {
    const p = previewScenario({ preset }, NO_PROFILES);
    if (!p.ok) throw new Error('preset invalid');
    return p.policy;
  };

  it('explains why 6.2 on a caching-mode first-level vIOMMU goes strict and 6.3 stays lazy', () => {
    const before = decisionOf('seed-before-fix');
    expect(kernelMode(before.decision)).toBe('strict');
    expect(explainDecision(before.decision, before.effective, before.source)).toMatch(/strict: iommu_set_dma_strict\(\) ran/);
    expect(before.decision.reasons.filter(isKeyReason).some((r) => /caching mode set: iommu_set_dma_strict/.test(r.text))).toBe(true);

    const after = decisionOf('seed-after-fix');
    expect(kernelMode(after.decision)).toBe('lazy');
    expect(explainDecision(after.decision, after.effective, after.source)).toMatch(/stays lazy/);
    expect(after.decision.reasons.filter(isKeyReason).some((r) => /flush queue allowed/.test(r.text))).toBe(true);
  });

  it('says when the scenario overrides the kernel', () => {
    const after = decisionOf('seed-after-fix');
    expect(explainDecision(after.decision, 'strict', 'scenario')).toBe('The scenario forces strict; the guest kernel alone would run lazy.');
  });

  it('names the default domain as the guest kernel does: no IOMMU_DOMAIN_DMA_FQ before v5.15', () => {
    const lazyOn = (kernel: string) => {
      const p = previewScenario({ preset: 'seed-after-fix', overrides: [`guest.kernel=${kernel}`, 'viommu.backend=none'] }, NO_PROFILES);
      if (!p.ok) throw new Error(`preset invalid on ${kernel}`);
      return p.policy.decision;
    };
    const old = lazyOn('5.10.0');
    expect(kernelMode(old)).toBe('lazy');
    expect(domainTypeText(old)).toBe('IOMMU_DOMAIN_DMA (lazy, flush queue)');
    expect(domainTypeText(lazyOn('5.15.0'))).toBe('IOMMU_DOMAIN_DMA_FQ (lazy, flush queue)');
    expect(domainTypeText(decisionOf('seed-before-fix').decision)).toBe('IOMMU_DOMAIN_DMA (strict)');
  });
});

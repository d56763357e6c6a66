// Human-readable rendering of a PolicyDecision for the command line.

import { kernelFacts } from './kernel-facts.ts';
import type { PolicyDecision } from './types.ts';
import { formatVersion } from './version.ts';

/**
 * The domain type as the guest kernel itself names it. IOMMU_DOMAIN_DMA_FQ
 * exists from v5.15; an older lazy kernel has an IOMMU_DOMAIN_DMA in
 * non-strict mode (the lab's `dma-fq` stands for both).
 */
export function kernelDomainType(d: Pick<PolicyDecision, 'domainType' | 'kernel'>): 'IOMMU_DOMAIN_IDENTITY' | 'IOMMU_DOMAIN_DMA' | 'IOMMU_DOMAIN_DMA_FQ' {
  if (d.domainType === 'identity') return 'IOMMU_DOMAIN_IDENTITY';
  return d.domainType === 'dma-fq' && kernelFacts(d.kernel).dmaFqDomainType ? 'IOMMU_DOMAIN_DMA_FQ' : 'IOMMU_DOMAIN_DMA';
}

function domainText(d: PolicyDecision): string {
  if (d.domainType === 'identity') return 'identity (passthrough)';
  if (d.domainType === 'dma') return 'dma (strict invalidation)';
  return kernelFacts(d.kernel).dmaFqDomainType ? 'dma-fq (lazy, flush queue)' : 'dma (lazy: non-strict mode, flush queue)';
}

function decisionLine(d: PolicyDecision): string {
  const kernel = `kernel ${formatVersion(d.kernel)} (generation ${d.generation})`;
  if (!d.dmaRemapping) return `${kernel}: DMA remapping off, device DMA is not translated`;
  const details = [
    d.pageTable === 'none' ? 'no page table' : `${d.pageTable} page table`,
    `scalable mode ${d.scalableMode ? 'on' : 'off'}`,
    ...(d.domainType === 'identity' ? [`DMA domains would be ${d.strict ? 'strict' : 'lazy'}`] : []),
    ...(d.forcedStrict ? ['strict forced'] : []),
  ];
  return `${kernel}: ${domainText(d)}; ${details.join(', ')}`;
}

function section(title: string, lines: string[], empty = 'none'): string[] {
  return lines.length === 0 ? [`${title}: ${empty}`] : [`${title}:`, ...lines.map((line) => `  ${line}`)];
}

export function formatDecision(d: PolicyDecision): string {
  const reasons = d.reasons.map((r, i) => `${i + 1}. [${r.source}] ${r.text}`);
  return [
    `Decision: ${decisionLine(d)}`,
    ...section('Reasons', reasons),
    ...section('dmesg', d.log, '(nothing printed)'),
    ...section('Ignored', d.ignored),
    ...section('Warnings', d.warnings),
  ].join('\n');
}

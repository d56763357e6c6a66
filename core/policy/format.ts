// Human-readable rendering of a PolicyDecision for the command line.

import type { PolicyDecision } from './types.ts';
import { formatVersion } from './version.ts';

const DOMAIN_NAMES = {
  identity: 'identity (passthrough)',
  dma: 'dma (strict invalidation)',
  'dma-fq': 'dma-fq (lazy, flush queue)',
} as const;

function decisionLine(d: PolicyDecision): string {
  const kernel = `kernel ${formatVersion(d.kernel)} (generation ${d.generation})`;
  if (!d.dmaRemapping) return `${kernel}: DMA remapping off, device DMA is not translated`;
  const details = [
    d.pageTable === 'none' ? 'no page table' : `${d.pageTable} page table`,
    `scalable mode ${d.scalableMode ? 'on' : 'off'}`,
    ...(d.domainType === 'identity' ? [`DMA domains would be ${d.strict ? 'strict' : 'lazy'}`] : []),
    ...(d.forcedStrict ? ['strict forced'] : []),
  ];
  return `${kernel}: ${DOMAIN_NAMES[d.domainType]}; ${details.join(', ')}`;
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

// Plain-text tables for terminals and mailing lists. Metric values, units and
// labels come from the protocol's metric catalog, as every surface shows them
// (a plain module: help and argv errors do not load the service for it).

export { formatMetric, formatMetricValue, metricHeader, KEY_METRICS } from '../service/protocol/metrics.ts';

export function table(rows: string[][], align: ('l' | 'r')[] = []): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${(n / 1e6).toFixed(digits)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(digits);
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

// How a report names a metric's unit and direction: read from the protocol's metric catalog.
import { metricSpec } from '../protocol/metrics.ts';

const DIRECTION_TEXT = { higher: 'higher is better', lower: 'lower is better', neither: 'no better direction' } as const;

/** "Throughput, Gbit/s, higher is better"; an unknown metric says only that its direction is not known. */
export function metricNote(name: string): string {
  const m = metricSpec(name);
  if (m.sources.length === 0) return 'direction not known';
  return [m.label, m.unit, DIRECTION_TEXT[m.direction]].filter(Boolean).join(', ');
}

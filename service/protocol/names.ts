// The names a query may use, and the error for one that is not: metric names
// (the catalog and its per-reason families), scenario fields (the leaf paths
// of the scenario schema, plus the free-form facts of measured runs) and sort
// keys. An unknown name is an input error that lists the allowed ones and
// suggests the closest, instead of a filter that silently matches nothing.
import { scenarioJsonSchema } from '../../core/model/scenario.ts';
import { findMetric, METRICS, type MetricSpec } from './metrics.ts';

/** Sort keys of the journal's columns; any metric name sorts as `metric:<name>`. */
export const RUN_SORT_COLUMNS = ['created_at', 'name', 'status', 'duration_ms'] as const;

/** Measured runs keep what was measured under `measured.` (tool, context, the tool's own facts): any field below it. */
export const MEASURED_PREFIX = 'measured';

/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (x[i - 1] === y[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[y.length] as number;
}

const UNIT_SUFFIX = /(Gbps|MiBps|PerSec|PerPacket|Utilization|Ratio|Percent|Us|Ms|Ns)$/;

/**
 * Up to `max` close matches, closest first: a small edit distance, or a
 * candidate that contains the input ("throughput" -> throughputGbps), or
 * whose last path segment is the input ("backend" -> viommu.backend).
 */
export function suggest(input: string, candidates: readonly string[], max = 3): string[] {
  const needle = input.toLowerCase();
  if (needle === '') return [];
  const limit = Math.max(2, Math.ceil(needle.length / 3));
  return candidates
    .map((c) => {
      const lower = c.toLowerCase();
      // "thruput" is as close to throughputGbps as to throughput: compare without the unit too.
      const d = Math.min(editDistance(input, c), editDistance(input, c.replace(UNIT_SUFFIX, '')));
      const close = d <= limit || (needle.length >= 3 && lower.includes(needle)) || lower.endsWith(`.${needle}`);
      return { c, d, close };
    })
    .filter((s) => s.close)
    .sort((p, q) => p.d - q.d || p.c.localeCompare(q.c))
    .slice(0, max)
    .map((s) => s.c);
}

function didYouMean(input: string, candidates: readonly string[]): string {
  const close = suggest(input, candidates);
  return close.length ? ` Did you mean ${close.join(' or ')}?` : '';
}

/** A scalar a run journals: not a chart's series, not a field of the result only. */
const isJournaled = (m: MetricSpec): boolean => !m.seriesOnly && !m.resultOnly;

/** Metric names a filter, sort or column may use: the catalog's scalars (breakdowns go as family.reason). */
export const KNOWN_METRICS: readonly string[] = METRICS.filter(isJournaled).map((m) => m.name);

/** Undefined when the metric is known, else the error message. */
export function unknownMetricMessage(name: string): string | undefined {
  const spec = findMetric(name);
  if (spec && isJournaled(spec)) return undefined;
  return `unknown metric "${name}".${didYouMean(name, KNOWN_METRICS)} Allowed: ${KNOWN_METRICS.join(', ')}; or a per-reason breakdown as family.reason (e.g. vmExitsPerSec.iotlb).`;
}

type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; allOf?: JsonSchema[]; type?: string | string[] };

function leafPaths(schema: JsonSchema, prefix: string, out: Set<string>): void {
  for (const alt of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) leafPaths(alt, prefix, out);
  if (schema.properties) {
    for (const [key, sub] of Object.entries(schema.properties)) leafPaths(sub, prefix ? `${prefix}.${key}` : key, out);
  } else if (schema.items) {
    leafPaths(schema.items, `${prefix}[]`, out);
  } else if (prefix && !schema.anyOf && !schema.oneOf && !schema.allOf) {
    out.add(prefix);
  }
}

let scenarioPaths: readonly string[] | undefined;

/** Every leaf field of the scenario schema as a dotted path ("viommu.backend", "flushQueue.size"); array items as `[]`. */
export function scenarioLeafPaths(): readonly string[] {
  if (!scenarioPaths) {
    const out = new Set<string>();
    leafPaths(scenarioJsonSchema() as JsonSchema, '', out);
    scenarioPaths = [...out].sort();
  }
  return scenarioPaths;
}

/** "$.viommu.backend" or "viommu.backend" -> "viommu.backend"; "$.devices[0].queues" -> "devices[].queues". */
export function normalizeScenarioPath(path: string): string {
  return path.replace(/^\$\.?/, '').replace(/\[\d+\]/g, '[]');
}

/** Undefined when the path names a scenario field (or a measured run's fact), else the error message. */
export function unknownScenarioPathMessage(path: string): string | undefined {
  const field = normalizeScenarioPath(path);
  if (field === MEASURED_PREFIX || field.startsWith(`${MEASURED_PREFIX}.`)) return undefined;
  const paths = scenarioLeafPaths();
  if (paths.includes(field)) return undefined;
  const inner = paths.some((p) => p.startsWith(`${field}.`)) ? ` "${field}" is a group of fields, not a value.` : '';
  return `unknown scenario field "${field}".${inner}${didYouMean(field, paths)} Allowed: ${paths.join(', ')}; or measured.<fact> for measured runs.`;
}

/** Undefined when the sort key is a column or `metric:<known metric>`, else the error message. */
export function unknownSortKeyMessage(key: string): string | undefined {
  if ((RUN_SORT_COLUMNS as readonly string[]).includes(key)) return undefined;
  if (key.startsWith('metric:')) return unknownMetricMessage(key.slice('metric:'.length));
  const keys = [...RUN_SORT_COLUMNS, ...KNOWN_METRICS.map((m) => `metric:${m}`)];
  return `unknown sort key "${key}".${didYouMean(key, keys)} Allowed: ${RUN_SORT_COLUMNS.join(', ')}, or metric:<name> (${KNOWN_METRICS.join(', ')}).`;
}

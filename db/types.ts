// Records the journal reads and writes. Timestamps are ISO-8601 UTC strings
// (see time.ts); ids are UUIDs, stable across merges.

export const RUN_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses a run can be inserted with by insertRun; the rest are reached through the lifecycle methods. */
export const NEW_RUN_STATUSES = ['queued', 'running'] as const;
export type NewRunStatus = (typeof NEW_RUN_STATUSES)[number];

export const RUN_KINDS = ['simulated', 'measured'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export const BENCHMARK_SOURCES = ['simulated', 'iperf3', 'fio'] as const;
export type BenchmarkSource = (typeof BENCHMARK_SOURCES)[number];

/** Series blobs: t values then v values, little-endian floats. f32 halves the size at ~7 significant digits. */
export const SERIES_ENCODINGS = ['f64le', 'f32le'] as const;
export type SeriesEncoding = (typeof SERIES_ENCODINGS)[number];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface Experiment {
  id: string;
  name: string;
  description: string;
  createdAt: string;
}

export interface NewExperiment {
  name: string;
  description?: string;
}

export interface Series {
  t: number[];
  v: number[];
}

export interface NewRun {
  /** UUID; generated when omitted. */
  id?: string;
  name: string;
  experimentId?: string | null;
  /** The full scenario config, stored as canonical JSON. */
  scenario: object;
  /** Defaults to sha256 of the canonical scenario JSON. */
  scenarioHash?: string;
  modelVersion: string;
  seed: number;
  status?: NewRunStatus;
  kind?: RunKind;
  tags?: readonly string[];
  createdAt?: string;
}

export interface RunCompletion {
  /** The full result object, without its series (they go to `series`). */
  result: object;
  metrics: Record<string, number>;
  /** Series as the caller wants them kept (downsample before, the journal stores what it gets). */
  series?: Record<string, Series>;
  durationMs: number;
  seriesEncoding?: SeriesEncoding;
}

/** A run in any state, with its outcome; used by imports and benchmarks (insertRunsBulk). */
export interface ImportedRun extends Omit<NewRun, 'status'> {
  status: RunStatus;
  startedAt?: string | null;
  finishedAt?: string | null;
  durationMs?: number | null;
  error?: string | null;
  result?: object | null;
  /** Only for status 'done': metrics and series belong to completed runs. */
  metrics?: Record<string, number>;
  series?: Record<string, Series>;
  seriesEncoding?: SeriesEncoding;
  notes?: readonly string[];
}

export interface Note {
  id: string;
  runId: string;
  body: string;
  createdAt: string;
}

export interface RunSummary {
  id: string;
  name: string;
  status: RunStatus;
  kind: RunKind;
  seed: number;
  experimentId: string | null;
  scenarioHash: string;
  modelVersion: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: string | null;
  tags: string[];
  /** The metrics asked for in RunQuery.metrics (plus the sort metric), when the run has them. */
  metrics: Record<string, number>;
}

export interface Run extends Omit<RunSummary, 'metrics'> {
  scenario: JsonObject;
  result: JsonObject | null;
  /** All metrics of the run. */
  metrics: Record<string, number>;
  series: Record<string, Series>;
  notes: Note[];
}

export interface ScenarioCondition {
  /** JSON path into the scenario, `$.viommu.backend` or `$.devices[0].queues`. */
  path: string;
  value: string | number | boolean;
}

export interface MetricCondition {
  name: string;
  min?: number;
  max?: number;
}

export interface RunFilter {
  status?: readonly RunStatus[];
  /** Runs carrying all of these tags. */
  tags?: readonly string[];
  /** Experiment id or name. */
  experiment?: string;
  scenario?: readonly ScenarioCondition[];
  metric?: readonly MetricCondition[];
  /** Full-text search over run names and notes; every word must match (as a prefix). */
  text?: string;
  kind?: RunKind;
}

export type RunSortKey = 'created_at' | 'name' | 'status' | 'duration_ms' | `metric:${string}`;

export interface RunQuery {
  filter?: RunFilter;
  /** Defaults to created_at desc. Sorting by a metric puts runs without it last. */
  sort?: { by: RunSortKey; dir?: 'asc' | 'desc' };
  /** limit 1..1000 (default 50), offset >= 0. */
  page?: { limit?: number; offset?: number };
  /** Metrics to include in each RunSummary. */
  metrics?: readonly string[];
}

export interface RunPage {
  total: number;
  rows: RunSummary[];
}

export interface Benchmark {
  id: string;
  name: string;
  /** What the value measures, e.g. `throughputGbps`. */
  metric: string;
  description: string;
  higherIsBetter: boolean;
  /** The history's axis: `time`, `run-order`, `kernel` or `context:KEY` (see HISTORY_ORDERS). */
  orderBy: string;
  createdAt: string;
}

export interface NewBenchmark {
  name: string;
  metric: string;
  description?: string;
  higherIsBetter: boolean;
  orderBy?: string;
}

export interface BenchmarkPoint {
  id: string;
  benchmarkId: string;
  runId: string | null;
  measuredAt: string;
  value: number;
  source: BenchmarkSource;
  context: JsonObject;
  /** Whether the tool's original output is kept (BenchmarkStore.pointRaw reads it): megabytes for a long run, so lists leave it out. */
  hasRaw: boolean;
  /** SHA-256 of the imported file; null for simulated points. */
  contentHash: string | null;
}

export interface NewBenchmarkPoint {
  value: number;
  source: BenchmarkSource;
  /** Defaults to now. */
  measuredAt?: string;
  runId?: string | null;
  /** What the point was measured on (host, kernel, backend, ...). */
  context?: object;
  /** The tool's original output (iperf3 / fio JSON), kept for re-analysis. */
  raw?: unknown;
  contentHash?: string | null;
}

export interface BenchmarkMarker {
  id: string;
  benchmarkId: string;
  /** A time; where the marker sits when it has no point or kernel anchor (or its point was removed). */
  at: string;
  label: string;
  /** Anchored between points: just before or after this point, whatever the history's order. */
  pointId: string | null;
  side: 'before' | 'after' | null;
  /** Anchored at a kernel version: before the first point whose context kernel is at least this. */
  kernel: string | null;
  createdAt: string;
}

export interface NewMarker {
  label: string;
  at?: string;
  pointId?: string;
  side?: 'before' | 'after';
  kernel?: string;
}

export interface MergeReport {
  runsAdded: number;
  /** Runs already present (same UUID); only their new tags and notes were merged. */
  runsAlreadyPresent: number;
  /** Runs still queued or running in the other journal: not copied, merge again once they finish. */
  runsSkippedActive: number;
  experimentsAdded: number;
  tagsAdded: number;
  notesAdded: number;
  benchmarksAdded: number;
  pointsAdded: number;
  markersAdded: number;
  /** Cost profiles whose name was not here; a profile of the same name here is kept as it is. */
  profilesAdded: number;
}

/** A named set of cost overrides (ns), keyed by the simulator's cost names. */
export interface CostProfile {
  id: string;
  name: string;
  description: string;
  costs: Record<string, number>;
  /** The calibration report the costs were fitted by; null when typed by hand. */
  fit: JsonValue | null;
  modelVersion: string;
  createdAt: string;
  updatedAt: string;
}

export interface NewCostProfile {
  name: string;
  description?: string;
  costs: Record<string, number>;
  fit?: JsonValue | null;
  modelVersion: string;
}

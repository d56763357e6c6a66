// Imports one tool output into the journal: a measured run (its metrics,
// series and key facts) and a point in a benchmark's history, so measured
// and simulated results sit side by side.
import { sha256Hex, type BenchmarkPoint, type Journal } from '../../db/index.ts';
import { findBenchmark } from '../benchmark-lookup.ts';
import { inputErrorOf, ServiceError, toServiceError } from '../errors.ts';
import { ImportError } from './errors.ts';
import { fioFromJson } from './fio.ts';
import { iperf3FromJson } from './iperf3.ts';
import { parseToolJson } from './json-text.ts';
import type { Measurement, MeasurementTool } from './types.ts';

export const MEASUREMENT_TOOLS: readonly MeasurementTool[] = ['iperf3', 'fio'];

/** What a measurement was taken on: these keys are the common ones; any other key (qemu, nic, commit) is welcome too. */
export const CONTEXT_KEYS = ['kernel', 'backend', 'policy', 'host', 'device', 'note'] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];
const CONTEXT_KEY = /^[A-Za-z][\w.-]{0,63}$/;
const MAX_CONTEXT_VALUE = 500;

export interface ImportMeasurementInput {
  tool: MeasurementTool;
  /** The tool's JSON output, as written to stdout. */
  text: string;
  /** Name of an existing benchmark; its metric picks the point's value. */
  benchmark: string;
  context?: Partial<Record<ContextKey, string>> & Record<string, string>;
  /** Use this metric of the measurement instead of the benchmark's own metric. */
  metric?: string;
  /** Shown in the run name and in error messages. */
  fileName?: string;
  tags?: readonly string[];
  /** Import even when this benchmark already holds a point from the same content (by SHA-256). */
  allowDuplicate?: boolean;
}

export interface ImportMeasurementResult {
  runId: string;
  point: BenchmarkPoint;
  /** The metric whose value became the point. */
  metric: string;
  value: number;
  measurement: Measurement;
}

/** Parses a tool's output into its measurement and the parsed JSON (kept raw in the journal). */
export function parseMeasurement(tool: MeasurementTool, text: string): { measurement: Measurement; json: Record<string, unknown> } {
  const json = parseToolJson(tool, text);
  return { measurement: tool === 'iperf3' ? iperf3FromJson(json) : fioFromJson(json), json };
}

function checkContext(context: unknown): Record<string, string> {
  if (context === undefined) return {};
  if (context === null || typeof context !== 'object' || Array.isArray(context)) throw ServiceError.invalid([{ path: 'context', message: 'must be an object of key -> text' }]);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(context)) {
    if (!CONTEXT_KEY.test(key)) {
      throw ServiceError.invalid([{ path: `context.${key}`, message: `must be a key like ${CONTEXT_KEYS.join(', ')}, qemu or commit: a letter, then letters, digits, _ . - (at most 64)` }]);
    }
    if (typeof value !== 'string' || value.trim() === '') throw ServiceError.invalid([{ path: `context.${key}`, message: 'must be a non-empty string' }]);
    if (value.length > MAX_CONTEXT_VALUE) throw ServiceError.invalid([{ path: `context.${key}`, message: `must be at most ${MAX_CONTEXT_VALUE} characters` }]);
    out[key] = value.trim();
  }
  return out;
}

/** The facts that define what was measured: runs with equal facts share a scenario hash. */
function keyFacts(m: Measurement): Record<string, unknown> {
  if (m.tool === 'iperf3') {
    return {
      version: m.version,
      systemInfo: m.systemInfo,
      remoteHost: m.remoteHost,
      protocol: m.protocol,
      streams: m.streams,
      reverse: m.reverse,
      requestedDurationSec: m.requestedDurationSec,
      blockSizeBytes: m.blockSizeBytes,
      congestion: m.congestion.sender,
    };
  }
  return { version: m.version, globalOptions: m.globalOptions, jobs: m.jobs.map((j) => ({ name: j.name, options: j.options })) };
}

/**
 * Parses `input.text` (nothing is written if it is not a complete tool
 * output), then journals a measured run and a benchmark point for it. The
 * journal has no transaction spanning both writes, so the run is deleted
 * again if the point cannot be added. Throws ServiceError.
 */
export function importMeasurement(journal: Journal, input: ImportMeasurementInput): ImportMeasurementResult {
  try {
    return importChecked(journal, input);
  } catch (err) {
    throw toServiceError(err);
  }
}

function importChecked(journal: Journal, input: ImportMeasurementInput): ImportMeasurementResult {
  if (!MEASUREMENT_TOOLS.includes(input.tool)) {
    throw ServiceError.invalid([{ path: 'tool', message: `must be one of ${MEASUREMENT_TOOLS.join(', ')}, got ${JSON.stringify(input.tool)}` }]);
  }
  const context = checkContext(input.context);
  const benchmark = findBenchmark(journal, input.benchmark);

  let parsed: ReturnType<typeof parseMeasurement>;
  try {
    parsed = parseMeasurement(input.tool, input.text);
  } catch (err) {
    const bad = err instanceof ImportError ? inputErrorOf(err) : undefined;
    if (!bad) throw err;
    // The file's name leads each message: an import of several files says which one is at fault.
    const where = input.fileName ? `${input.fileName}: ` : '';
    throw ServiceError.invalid(bad.fields.map((f) => ({ path: f.path, message: `${where}${f.message}` })));
  }
  const { measurement, json } = parsed;

  const metric = input.metric ?? benchmark.metric;
  const value = measurement.metrics[metric];
  if (value === undefined) {
    const why = input.metric === undefined ? ` (benchmark ${JSON.stringify(benchmark.name)} tracks it)` : '';
    throw ServiceError.invalid([
      {
        path: input.metric === undefined ? 'benchmark' : 'metric',
        message: `the ${input.tool} measurement has no metric ${JSON.stringify(metric)}${why}; available: ${Object.keys(measurement.metrics).join(', ')}`,
      },
    ]);
  }

  // The same file imported twice would count twice in the history.
  const contentHash = sha256Hex(input.text);
  const twin = journal.benchmarks.findPointByHash(benchmark.name, contentHash);
  if (twin && input.allowDuplicate !== true) {
    const where = input.fileName ? `${input.fileName}: ` : '';
    throw ServiceError.invalid([
      { path: 'text', message: `${where}already imported into ${benchmark.name} as point ${twin.id.slice(0, 8)} (measured ${twin.measuredAt}); pass allowDuplicate (--allow-duplicate) to import it again` },
    ]);
  }

  const { series, ...result } = measurement;
  // The measured run and its benchmark point commit together or not at all.
  return journal.transaction(() => {
    const [runId] = journal.runs.insertRunsBulk([
      {
        name: `${benchmark.name}: ${input.fileName ?? `${input.tool} ${measurement.measuredAt}`}`.slice(0, 500),
        kind: 'measured',
        status: 'done',
        scenario: { measured: { tool: input.tool, context, ...keyFacts(measurement) } },
        modelVersion: 'measured',
        seed: 0,
        startedAt: measurement.startedAt,
        finishedAt: measurement.finishedAt,
        durationMs: measurement.durationSec * 1000,
        result,
        metrics: measurement.metrics,
        series,
        tags: input.tags ?? [],
      },
    ]);
    if (runId === undefined) throw new ServiceError('internal', 'the journal returned no id for the imported run');

    const point = journal.benchmarks.addBenchmarkPoint(benchmark.name, { value, source: input.tool, runId, measuredAt: measurement.measuredAt, context, raw: json, contentHash });
    return { runId, point, metric, value, measurement };
  });
}

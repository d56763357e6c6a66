// Benchmark histories: one named benchmark per tracked figure, points from
// simulations and from measurements (iperf3, fio), and markers for known shifts.
import { randomUUID } from 'node:crypto';
import { parseJson } from './codec.ts';
import { JournalInputError, NotFoundError } from './errors.ts';
import type { Sql } from './statements.ts';
import { nowIso } from './time.ts';
import type {
  Benchmark,
  BenchmarkMarker,
  BenchmarkPoint,
  BenchmarkSource,
  JsonObject,
  JsonValue,
  NewBenchmark,
  NewBenchmarkPoint,
} from './types.ts';
import * as v from './validate.ts';

interface BenchmarkRow {
  id: string;
  name: string;
  metric: string;
  description: string;
  higher_is_better: number;
  created_at: string;
}

interface PointRow {
  id: string;
  benchmark_id: string;
  run_id: string | null;
  measured_at: string;
  value: number;
  source: BenchmarkSource;
  context_json: string;
  raw_json: string | null;
}

interface MarkerRow {
  id: string;
  benchmark_id: string;
  at: string;
  label: string;
  created_at: string;
}

const toBenchmark = (r: BenchmarkRow): Benchmark => ({
  id: r.id,
  name: r.name,
  metric: r.metric,
  description: r.description,
  higherIsBetter: r.higher_is_better === 1,
  createdAt: r.created_at,
});

const toPoint = (r: PointRow): BenchmarkPoint => ({
  id: r.id,
  benchmarkId: r.benchmark_id,
  runId: r.run_id,
  measuredAt: r.measured_at,
  value: r.value,
  source: r.source,
  context: parseJson<JsonObject>(r.context_json),
  raw: r.raw_json === null ? null : parseJson<JsonValue>(r.raw_json),
});

const toMarker = (r: MarkerRow): BenchmarkMarker => ({ id: r.id, benchmarkId: r.benchmark_id, at: r.at, label: r.label, createdAt: r.created_at });

const POINT_COLUMNS = 'id, benchmark_id, run_id, measured_at, value, source, context_json, raw_json';
const benchmarkName = v.newBenchmark.shape.name;

export interface PointFilter {
  source?: BenchmarkSource;
  /** Inclusive bounds on measuredAt. */
  from?: string;
  to?: string;
}

export class BenchmarkStore {
  constructor(private readonly sql: Sql) {}

  /** The benchmark of that name, created if missing; an existing one must agree on metric and direction. */
  ensureBenchmark(input: NewBenchmark): Benchmark {
    const b = v.parseInput(v.newBenchmark, input, 'benchmark');
    return this.sql.write(() => {
      const existing = this.getBenchmark(b.name);
      if (existing) {
        if (existing.metric !== b.metric) throw new JournalInputError('benchmark.metric', `is ${b.metric}, but benchmark ${b.name} tracks ${existing.metric}`);
        if (existing.higherIsBetter !== b.higherIsBetter) {
          throw new JournalInputError('benchmark.higherIsBetter', `is ${b.higherIsBetter}, but benchmark ${b.name} has ${existing.higherIsBetter}`);
        }
        return existing;
      }
      const row: BenchmarkRow = { id: randomUUID(), name: b.name, metric: b.metric, description: b.description, higher_is_better: b.higherIsBetter ? 1 : 0, created_at: nowIso() };
      this.sql
        .prepare('INSERT INTO benchmarks (id, name, metric, description, higher_is_better, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(row.id, row.name, row.metric, row.description, row.higher_is_better, row.created_at);
      return toBenchmark(row);
    });
  }

  getBenchmark(name: string): Benchmark | undefined {
    const row = this.sql
      .prepare<BenchmarkRow>('SELECT id, name, metric, description, higher_is_better, created_at FROM benchmarks WHERE name = ?')
      .get(v.parseInput(benchmarkName, name, 'benchmark'));
    return row && toBenchmark(row);
  }

  listBenchmarks(): Benchmark[] {
    return this.sql
      .prepare<BenchmarkRow>('SELECT id, name, metric, description, higher_is_better, created_at FROM benchmarks ORDER BY name')
      .all()
      .map(toBenchmark);
  }

  addBenchmarkPoint(benchmark: string, input: NewBenchmarkPoint): BenchmarkPoint {
    const p = v.parseInput(v.newBenchmarkPoint, input, 'point');
    return this.sql.write(() => {
      const b = this.#require(benchmark);
      if (p.runId != null && !this.sql.prepare('SELECT 1 FROM runs WHERE id = ?').get(p.runId)) throw new NotFoundError('run', p.runId);
      const row: PointRow = {
        id: randomUUID(),
        benchmark_id: b.id,
        run_id: p.runId ?? null,
        measured_at: p.measuredAt ?? nowIso(),
        value: p.value,
        source: p.source,
        context_json: JSON.stringify(p.context),
        raw_json: p.raw === undefined ? null : JSON.stringify(p.raw),
      };
      this.sql
        .prepare(`INSERT INTO benchmark_points (${POINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(row.id, row.benchmark_id, row.run_id, row.measured_at, row.value, row.source, row.context_json, row.raw_json);
      return toPoint(row);
    });
  }

  /** Points of a benchmark in time order. */
  listBenchmarkPoints(benchmark: string, filter: PointFilter = {}): BenchmarkPoint[] {
    const f = v.parseInput(v.pointFilter, filter, 'filter');
    const b = this.#require(benchmark);
    return this.sql
      .prepare<PointRow>(
        `SELECT ${POINT_COLUMNS} FROM benchmark_points
         WHERE benchmark_id = @id AND (@source IS NULL OR source = @source)
           AND (@from IS NULL OR measured_at >= @from) AND (@to IS NULL OR measured_at <= @to)
         ORDER BY measured_at, id`,
      )
      .all({ id: b.id, source: f.source ?? null, from: f.from ?? null, to: f.to ?? null })
      .map(toPoint);
  }

  /** Records a known shift; adding the same (at, label) again returns the existing marker. */
  addMarker(benchmark: string, input: { at: string; label: string }): BenchmarkMarker {
    const m = v.parseInput(v.newMarker, input, 'marker');
    return this.sql.write(() => {
      const b = this.#require(benchmark);
      const existing = this.sql
        .prepare<MarkerRow>('SELECT id, benchmark_id, at, label, created_at FROM benchmark_markers WHERE benchmark_id = ? AND at = ? AND label = ?')
        .get(b.id, m.at, m.label);
      if (existing) return toMarker(existing);
      const row: MarkerRow = { id: randomUUID(), benchmark_id: b.id, at: m.at, label: m.label, created_at: nowIso() };
      this.sql.prepare('INSERT INTO benchmark_markers (id, benchmark_id, at, label, created_at) VALUES (?, ?, ?, ?, ?)').run(row.id, row.benchmark_id, row.at, row.label, row.created_at);
      return toMarker(row);
    });
  }

  listMarkers(benchmark: string): BenchmarkMarker[] {
    const b = this.#require(benchmark);
    return this.sql
      .prepare<MarkerRow>('SELECT id, benchmark_id, at, label, created_at FROM benchmark_markers WHERE benchmark_id = ? ORDER BY at, label')
      .all(b.id)
      .map(toMarker);
  }

  #require(name: string): Benchmark {
    const b = this.getBenchmark(name);
    if (!b) throw new NotFoundError('benchmark', name);
    return b;
  }
}

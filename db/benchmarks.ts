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
  NewMarker,
} from './types.ts';
import * as v from './validate.ts';

interface BenchmarkRow {
  id: string;
  name: string;
  metric: string;
  description: string;
  higher_is_better: number;
  order_by: string;
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
  has_raw: 0 | 1;
  content_hash: string | null;
}

interface MarkerRow {
  id: string;
  benchmark_id: string;
  at: string;
  label: string;
  point_id: string | null;
  side: 'before' | 'after' | null;
  kernel: string | null;
  created_at: string;
}

const toBenchmark = (r: BenchmarkRow): Benchmark => ({
  id: r.id,
  name: r.name,
  metric: r.metric,
  description: r.description,
  higherIsBetter: r.higher_is_better === 1,
  orderBy: r.order_by,
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
  hasRaw: r.has_raw === 1,
  contentHash: r.content_hash,
});

const toMarker = (r: MarkerRow): BenchmarkMarker => ({
  id: r.id,
  benchmarkId: r.benchmark_id,
  at: r.at,
  label: r.label,
  pointId: r.point_id,
  side: r.side,
  kernel: r.kernel,
  createdAt: r.created_at,
});

const BENCHMARK_COLUMNS = 'id, name, metric, description, higher_is_better, order_by, created_at';
const POINT_COLUMNS = 'id, benchmark_id, run_id, measured_at, value, source, context_json, raw_json IS NOT NULL AS has_raw, content_hash';
const MARKER_COLUMNS = 'id, benchmark_id, at, label, point_id, side, kernel, created_at';
const benchmarkName = v.newBenchmark.shape.name;
const text100 = v.newBenchmark.shape.name;

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
      const row: BenchmarkRow = {
        id: randomUUID(),
        name: b.name,
        metric: b.metric,
        description: b.description,
        higher_is_better: b.higherIsBetter ? 1 : 0,
        order_by: b.orderBy,
        created_at: nowIso(),
      };
      this.sql
        .prepare(`INSERT INTO benchmarks (${BENCHMARK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(row.id, row.name, row.metric, row.description, row.higher_is_better, row.order_by, row.created_at);
      return toBenchmark(row);
    });
  }

  getBenchmark(name: string): Benchmark | undefined {
    const row = this.sql
      .prepare<BenchmarkRow>(`SELECT ${BENCHMARK_COLUMNS} FROM benchmarks WHERE name = ?`)
      .get(v.parseInput(benchmarkName, name, 'benchmark'));
    return row && toBenchmark(row);
  }

  listBenchmarks(): Benchmark[] {
    return this.sql
      .prepare<BenchmarkRow>(`SELECT ${BENCHMARK_COLUMNS} FROM benchmarks ORDER BY name`)
      .all()
      .map(toBenchmark);
  }

  addBenchmarkPoint(benchmark: string, input: NewBenchmarkPoint): BenchmarkPoint {
    const p = v.parseInput(v.newBenchmarkPoint, input, 'point');
    return this.sql.write(() => {
      const b = this.#require(benchmark);
      if (p.runId != null && !this.sql.prepare('SELECT 1 FROM runs WHERE id = ?').get(p.runId)) throw new NotFoundError('run', p.runId);
      const rawJson = p.raw === undefined ? null : JSON.stringify(p.raw);
      const row: PointRow = {
        id: randomUUID(),
        benchmark_id: b.id,
        run_id: p.runId ?? null,
        measured_at: p.measuredAt ?? nowIso(),
        value: p.value,
        source: p.source,
        context_json: JSON.stringify(p.context),
        has_raw: rawJson === null ? 0 : 1,
        content_hash: p.contentHash ?? null,
      };
      this.sql
        .prepare('INSERT INTO benchmark_points (id, benchmark_id, run_id, measured_at, value, source, context_json, raw_json, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(row.id, row.benchmark_id, row.run_id, row.measured_at, row.value, row.source, row.context_json, rawJson, row.content_hash);
      return toPoint(row);
    });
  }

  /** Points of a benchmark in time order (ties in the order they were added). */
  listBenchmarkPoints(benchmark: string, filter: PointFilter = {}): BenchmarkPoint[] {
    const f = v.parseInput(v.pointFilter, filter, 'filter');
    const b = this.#require(benchmark);
    return this.sql
      .prepare<PointRow>(
        `SELECT ${POINT_COLUMNS} FROM benchmark_points
         WHERE benchmark_id = @id AND (@source IS NULL OR source = @source)
           AND (@from IS NULL OR measured_at >= @from) AND (@to IS NULL OR measured_at <= @to)
         ORDER BY measured_at, rowid`,
      )
      .all({ id: b.id, source: f.source ?? null, from: f.from ?? null, to: f.to ?? null })
      .map(toPoint);
  }

  /** Points of a benchmark in the order they were added (the `run-order` axis). */
  listPointsAdded(benchmark: string): BenchmarkPoint[] {
    const b = this.#require(benchmark);
    return this.sql.prepare<PointRow>(`SELECT ${POINT_COLUMNS} FROM benchmark_points WHERE benchmark_id = ? ORDER BY rowid`).all(b.id).map(toPoint);
  }

  /** The tool's original output kept with a point of this benchmark (null when none was kept). */
  pointRaw(benchmark: string, pointId: string): JsonValue | null {
    const b = this.#require(benchmark);
    const row = this.sql.prepare<{ raw_json: string | null }>('SELECT raw_json FROM benchmark_points WHERE benchmark_id = ? AND id = ?').get(b.id, pointId);
    if (!row) throw new NotFoundError('point', pointId);
    return row.raw_json === null ? null : parseJson<JsonValue>(row.raw_json);
  }

  /** The point of this benchmark holding an import of the same content, if any. */
  findPointByHash(benchmark: string, contentHash: string): BenchmarkPoint | undefined {
    const b = this.#require(benchmark);
    const row = this.sql.prepare<PointRow>(`SELECT ${POINT_COLUMNS} FROM benchmark_points WHERE benchmark_id = ? AND content_hash = ? ORDER BY rowid LIMIT 1`).get(b.id, contentHash);
    return row && toPoint(row);
  }

  /** A point of this benchmark by id or unique id prefix (as people type them). */
  resolvePoint(benchmark: string, idOrPrefix: string): BenchmarkPoint {
    const b = this.#require(benchmark);
    const prefix = v.parseInput(text100, idOrPrefix, 'point');
    const rows = this.sql
      .prepare<PointRow>(`SELECT ${POINT_COLUMNS} FROM benchmark_points WHERE benchmark_id = ? AND substr(id, 1, ?) = ? LIMIT 2`)
      .all(b.id, prefix.length, prefix);
    if (rows.length === 0) throw new NotFoundError('point', `${prefix} (benchmark ${b.name})`);
    if (rows.length > 1) throw new JournalInputError('point', `${JSON.stringify(prefix)} matches several points of ${b.name}; give more characters`);
    return toPoint(rows[0] as PointRow);
  }

  /** Removes points of a benchmark; returns how many went. Markers anchored to them fall back to their time. */
  removePoints(benchmark: string, ids: readonly string[]): number {
    return this.sql.write(() => {
      const points = ids.map((id) => this.resolvePoint(benchmark, id));
      const del = this.sql.prepare('DELETE FROM benchmark_points WHERE id = ?');
      return points.reduce((n, p) => n + del.run(p.id).changes, 0);
    });
  }

  /** Changes the axis a history is ordered by. */
  setOrder(benchmark: string, orderBy: string): Benchmark {
    const order = v.parseInput(v.newBenchmark.shape.orderBy, orderBy, 'orderBy');
    return this.sql.write(() => {
      const b = this.#require(benchmark);
      this.sql.prepare('UPDATE benchmarks SET order_by = ? WHERE id = ?').run(order, b.id);
      return { ...b, orderBy: order };
    });
  }

  /** Deletes a benchmark with its points and markers (the runs stay). */
  deleteBenchmark(benchmark: string): boolean {
    return this.sql.write(() => this.sql.prepare('DELETE FROM benchmarks WHERE id = ?').run(this.#require(benchmark).id).changes === 1);
  }

  /**
   * Records a known shift: at a time, next to a point (before or after it) or
   * at a kernel version. Adding the same placement and label again returns the
   * existing marker. A point anchor also stores the point's time, the fallback
   * should that point be removed.
   */
  addMarker(benchmark: string, input: NewMarker): BenchmarkMarker {
    const m = v.parseInput(v.newMarker, input, 'marker');
    return this.sql.write(() => {
      const b = this.#require(benchmark);
      const point = m.pointId === undefined ? undefined : this.resolvePoint(b.name, m.pointId);
      const at = point?.measuredAt ?? m.at ?? nowIso();
      const existing = this.sql
        .prepare<MarkerRow>(
          `SELECT ${MARKER_COLUMNS} FROM benchmark_markers
           WHERE benchmark_id = ? AND at = ? AND label = ? AND point_id IS ? AND side IS ? AND kernel IS ?`,
        )
        .get(b.id, at, m.label, point?.id ?? null, m.side ?? null, m.kernel ?? null);
      if (existing) return toMarker(existing);
      if (this.sql.prepare('SELECT 1 FROM benchmark_markers WHERE benchmark_id = ? AND at = ? AND label = ?').get(b.id, at, m.label)) {
        throw new JournalInputError('marker.label', `benchmark ${b.name} already has a marker ${JSON.stringify(m.label)} at ${at}; choose another label`);
      }
      const row: MarkerRow = {
        id: randomUUID(),
        benchmark_id: b.id,
        at,
        label: m.label,
        point_id: point?.id ?? null,
        side: m.side ?? null,
        kernel: m.kernel ?? null,
        created_at: nowIso(),
      };
      this.sql
        .prepare(`INSERT INTO benchmark_markers (${MARKER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(row.id, row.benchmark_id, row.at, row.label, row.point_id, row.side, row.kernel, row.created_at);
      return toMarker(row);
    });
  }

  listMarkers(benchmark: string): BenchmarkMarker[] {
    const b = this.#require(benchmark);
    return this.sql.prepare<MarkerRow>(`SELECT ${MARKER_COLUMNS} FROM benchmark_markers WHERE benchmark_id = ? ORDER BY at, label`).all(b.id).map(toMarker);
  }

  /** Removes a marker by id or unique id prefix; false when none matches. */
  removeMarker(benchmark: string, idOrPrefix: string): boolean {
    const prefix = v.parseInput(text100, idOrPrefix, 'marker');
    return this.sql.write(() => {
      const b = this.#require(benchmark);
      const rows = this.sql.prepare<{ id: string }>('SELECT id FROM benchmark_markers WHERE benchmark_id = ? AND substr(id, 1, ?) = ? LIMIT 2').all(b.id, prefix.length, prefix);
      if (rows.length > 1) throw new JournalInputError('marker', `${JSON.stringify(prefix)} matches several markers of ${b.name}; give more characters`);
      if (rows.length === 0) return false;
      return this.sql.prepare('DELETE FROM benchmark_markers WHERE id = ?').run((rows[0] as { id: string }).id).changes === 1;
    });
  }

  #require(name: string): Benchmark {
    const b = this.getBenchmark(name);
    if (!b) throw new NotFoundError('benchmark', name);
    return b;
  }
}

// listRuns: filters, sorting and paging over runs, compiled to SQL with every
// value bound as a parameter.
//
// A filter is split into conditions on runs columns (status, kind,
// experiment) and sets of run seqs (tags, metric ranges, scenario values,
// text). Counting intersects the sets without touching runs when it can; a
// page sorted by an indexed metric walks its index (migration 006) in order
// and tests each candidate, stopping after offset + limit matches.
import type { z } from 'zod';
import { INDEXED_METRICS, INDEXED_SCENARIO_PATHS, metricValueSql, scenarioFieldSql, type IndexedMetric } from './migrations/index.ts';
import { loadMetrics, loadTags, SUMMARY_COLUMNS, toSummary } from './run-rows.ts';
import type { RunRow } from './run-rows.ts';
import type { Sql } from './statements.ts';
import type { RunPage, RunQuery, RunSummary } from './types.ts';
import * as v from './validate.ts';

type Query = z.output<typeof v.runQuery>;
type Filter = Query['filter'];
type MetricCondition = NonNullable<Filter['metric']>[number];

/** A set of run seqs, usable as a driving subquery or as a per-row test. */
interface SeqSet {
  /** SELECT yielding distinct run seqs in a column named seq. */
  select: string;
  /** Whether the run seq `seq` (an SQL expression) is in the set, checked row by row. */
  test: (seq: string) => string;
  params: unknown[];
  /** Set by metric conditions, so a walk over that metric's index can apply them itself. */
  metric?: string;
}

interface CompiledFilter {
  /** Conditions on columns of runs alias r. */
  row: string[];
  rowParams: unknown[];
  sets: SeqSet[];
}

/** Below this many matches a metric-sorted page sorts the matches; above, it walks the metric index. */
const SORT_MATCHES_MAX = 2000;
/** A page sorted by a column walks runs in that order when it expects to test at most this many runs. */
const WALK_STEPS_MAX = 20_000;

const COLUMN_ORDER: Record<string, (dir: string) => string> = {
  created_at: (d) => `r.created_at ${d}, r.seq ${d}`,
  name: (d) => `r.name ${d}, r.seq ${d}`,
  status: (d) => `r.status ${d}, r.created_at ${d}, r.seq ${d}`,
  duration_ms: (d) => `r.duration_ms ${d} NULLS LAST, r.seq ${d}`,
};

/** FTS5 queries from free text, one per word: quoted (no operator injection) and matched as a prefix. */
export function ftsWords(text: string): string[] {
  return text
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((w) => `"${w.replaceAll('"', '""')}"*`);
}

/**
 * Runs whose name or notes match every word (each word in either). Resolved
 * here, up front: inside a larger query SQLite may push a rowid condition
 * into the full-text scan and run it once per candidate.
 */
function textMatches(sql: Sql, text: string): number[] | undefined {
  let matches: Set<number> | undefined;
  for (const word of ftsWords(text)) {
    const seqs = sql
      .prepare<number>(`SELECT rowid FROM runs_fts WHERE runs_fts MATCH ?
                        UNION SELECT n.run_seq FROM notes_fts JOIN notes n ON n.seq = notes_fts.rowid WHERE notes_fts MATCH ?`)
      .pluck()
      .all(word, word);
    const previous = matches;
    matches = new Set(previous ? seqs.filter((seq) => previous.has(seq)) : seqs);
    if (matches.size === 0) break;
  }
  return matches && [...matches];
}

/** A fragment of SQL with its parameters, in order. */
interface Fragment {
  sql: string;
  params: unknown[];
}

/**
 * Metric `name` of the run_metrics row `table`: an indexed metric's
 * expression is written literally so SQLite matches its index (migration
 * 006); any other reads its JSON path, bound (a scan).
 */
function metricValue(name: string, table: string): Fragment {
  if ((INDEXED_METRICS as readonly string[]).includes(name)) return { sql: metricValueSql(name as IndexedMetric, table), params: [] };
  // Metric names hold no quote or backslash (validate.ts), so quoting makes any of them one path key.
  return { sql: `json_extract(${table}.metrics_jsonb, ?)`, params: [`$."${name}"`] };
}

/** `value >= ? [AND value <= ?]` for the run_metrics row `table`; a condition without bounds asks that the run has the metric. */
function metricRange(m: MetricCondition, table: string): Fragment {
  const value = metricValue(m.name, table);
  const conds: string[] = [];
  const params: unknown[] = [];
  if (m.min !== undefined) {
    conds.push(`${value.sql} >= ?`);
    params.push(...value.params, m.min);
  }
  if (m.max !== undefined) {
    conds.push(`${value.sql} <= ?`);
    params.push(...value.params, m.max);
  }
  if (conds.length === 0) {
    conds.push(`${value.sql} IS NOT NULL`);
    params.push(...value.params);
  }
  return { sql: conds.join(' AND '), params };
}

function compileFilter(sql: Sql, f: Filter): CompiledFilter {
  const out: CompiledFilter = { row: [], rowParams: [], sets: [] };
  const row = (cond: string, ...params: unknown[]) => {
    out.row.push(cond);
    out.rowParams.push(...params);
  };
  // Only done runs have metrics (see migration 001), so with a metric condition
  // a status filter is either implied or unsatisfiable; dropping it spares a
  // lookup in runs for every candidate.
  const impliedDone = (f.metric?.length ?? 0) > 0;
  if (f.status && !(impliedDone && f.status.includes('done'))) {
    if (f.status.length === 0 || impliedDone) row('0');
    else row(`r.status IN (${f.status.map(() => '?').join(', ')})`, ...f.status);
  }
  if (f.kind) row('r.kind = ?', f.kind);
  if (f.experiment !== undefined) row('r.experiment_id IN (SELECT id FROM experiments WHERE id = ? OR name = ?)', f.experiment, f.experiment);

  for (const t of f.tags ?? []) {
    out.sets.push({
      select: 'SELECT run_seq AS seq FROM run_tags WHERE tag = ?',
      test: (seq) => `EXISTS (SELECT 1 FROM run_tags WHERE run_seq = ${seq} AND tag = ?)`,
      params: [t],
    });
  }
  for (const m of f.metric ?? []) {
    const range = metricRange(m, 'run_metrics');
    out.sets.push({
      select: `SELECT run_seq AS seq FROM run_metrics WHERE ${range.sql}`,
      test: (seq) => `EXISTS (SELECT 1 FROM run_metrics WHERE run_seq = ${seq} AND ${range.sql})`,
      params: range.params,
      metric: m.name,
    });
  }
  for (const s of f.scenario ?? []) {
    // json_extract turns JSON true/false into 1/0; compare booleans by JSON type instead.
    const [fn, value] = typeof s.value === 'boolean' ? ['json_type', s.value ? 'true' : 'false'] : ['json_extract', s.value];
    // An indexed path is written literally so SQLite matches the expression index (migrations 3 and 7).
    const indexed = fn === 'json_extract' && (INDEXED_SCENARIO_PATHS as readonly string[]).includes(s.path);
    const expr = indexed ? scenarioFieldSql(s.path as (typeof INDEXED_SCENARIO_PATHS)[number]) : `${fn}(scenario_jsonb, ?)`;
    const pathParams = indexed ? [] : [s.path];
    // The scenarios matching are few (one per distinct scenario); their runs come from run_documents' index.
    const scenarios = `SELECT seq FROM scenarios WHERE ${expr} = ?`;
    out.sets.push({
      select: `SELECT run_seq AS seq FROM run_documents WHERE scenario_seq IN (${scenarios})`,
      test: (seq) => `(SELECT scenario_seq FROM run_documents WHERE run_seq = ${seq}) IN (${scenarios})`,
      params: [...pathParams, value],
    });
  }
  const matches = f.text === undefined ? undefined : textMatches(sql, f.text);
  if (matches !== undefined) {
    const list = 'SELECT value FROM json_each(?)';
    out.sets.push({ select: 'SELECT value AS seq FROM json_each(?)', test: (seq) => `${seq} IN (${list})`, params: [JSON.stringify(matches)] });
  }
  return out;
}

const and = (conds: readonly string[]): string => conds.map((c) => ` AND ${c}`).join('');

/** Conditions and parameters selecting the filtered runs r, sets as IN subqueries (SQLite picks the driver). */
function whereIn(c: CompiledFilter): { sql: string; params: unknown[] } {
  return {
    sql: and([...c.row, ...c.sets.map((s) => `r.seq IN (${s.select})`)]),
    params: [...c.rowParams, ...c.sets.flatMap((s) => s.params)],
  };
}

/** The same conditions with each set tested row by row (for a walk in an index's order). */
function whereTested(c: CompiledFilter): { sql: string; params: unknown[] } {
  return {
    sql: and([...c.row, ...c.sets.map((s) => s.test('r.seq'))]),
    params: [...c.rowParams, ...c.sets.flatMap((s) => s.params)],
  };
}

/** The highest run seq: about the number of runs, found in one index step (count(*) would read them all). */
function lastSeq(sql: Sql): number {
  return sql.prepare<number>('SELECT coalesce(max(seq), 0) FROM runs').pluck().get() as number;
}

function count(sql: Sql, c: CompiledFilter): number {
  const [first, ...others] = c.sets;
  if (c.row.length === 0 && first) {
    // Every condition is a set of seqs: intersect them without visiting runs.
    return sql
      .prepare<{ n: number }>(`SELECT count(*) AS n FROM (${first.select}) AS x WHERE 1${and(others.map((s) => `x.seq IN (${s.select})`))}`)
      .get(...first.params, ...others.flatMap((s) => s.params))?.n ?? 0;
  }
  const w = whereIn(c);
  return sql.prepare<{ n: number }>(`SELECT count(*) AS n FROM runs r WHERE 1${w.sql}`).get(...w.params)?.n ?? 0;
}

/** Counts kept per connection while the file is unchanged (see cachedCount). */
const COUNTS_KEPT = 64;
/** A filter this long (a text search matching many runs) is counted afresh rather than kept. */
const COUNT_KEY_MAX = 4096;
const countCaches = new WeakMap<Sql, { stamp: string; byFilter: Map<string, number> }>();

/**
 * count(), remembered until the file changes: a table paging through one
 * filter asks for the same total with every page, and at a million runs a
 * count reads up to a million index entries (tens of ms) where a page reads
 * a few hundred.
 */
function cachedCount(sql: Sql, c: CompiledFilter): number {
  const stamp = sql.changeStamp();
  const key = JSON.stringify([c.row, c.rowParams, c.sets.map((s) => [s.select, s.params])]);
  if (stamp === undefined || key.length > COUNT_KEY_MAX) return count(sql, c);
  let cache = countCaches.get(sql);
  if (cache?.stamp !== stamp) {
    cache = { stamp, byFilter: new Map() };
    countCaches.set(sql, cache);
  }
  let n = cache.byFilter.get(key);
  if (n === undefined) {
    n = count(sql, c);
    if (cache.byFilter.size >= COUNTS_KEPT) cache.byFilter.clear();
    cache.byFilter.set(key, n);
  }
  return n;
}

/**
 * The seqs of every run matching `input` (its page ignored), in the query's
 * order: 8 bytes a run, so an export can walk a million runs page by page
 * without OFFSET (which rescans every skipped row) and without holding rows.
 */
export function matchingSeqs(sql: Sql, input: Omit<RunQuery, 'page'> = {}): number[] {
  const q = v.parseInput(v.runQuery, { ...input, page: undefined }, 'query');
  const filter = compileFilter(sql, q.filter);
  const sortMetric = q.sort.by.startsWith('metric:') ? q.sort.by.slice('metric:'.length) : undefined;
  const dir = q.sort.dir === 'asc' ? 'ASC' : 'DESC';
  if (sortMetric !== undefined) {
    const total = cachedCount(sql, filter);
    if (total === 0) return [];
    // LIMIT -1: no limit.
    return pageByMetric(sql, filter, q.filter.metric ?? [], sortMetric, dir, -1, 0, total, 'r.seq').map((r) => r.seq);
  }
  const w = whereIn(filter);
  return sql.prepare<number>(`SELECT r.seq FROM runs r WHERE 1${w.sql} ORDER BY ${COLUMN_ORDER[q.sort.by]?.(dir)}`).pluck().all(...w.params) as number[];
}

/** Summaries of the runs with these seqs, in the order given, with the metrics `names`. */
export function summariesOf(sql: Sql, seqs: readonly number[], names: readonly string[]): RunSummary[] {
  const rows = sql.prepare<RunRow>(`SELECT ${SUMMARY_COLUMNS} FROM runs r WHERE r.seq IN (SELECT value FROM json_each(?))`).all(JSON.stringify(seqs));
  const bySeq = new Map(rows.map((r) => [r.seq, r]));
  const tags = loadTags(sql, seqs);
  const metrics = loadMetrics(sql, seqs, names);
  return seqs.flatMap((seq) => {
    const row = bySeq.get(seq);
    return row ? [toSummary(row, tags.get(seq) ?? [], metrics.get(seq) ?? {})] : [];
  });
}

export function listRuns(sql: Sql, input: RunQuery = {}): RunPage {
  const q = v.parseInput(v.runQuery, input, 'query');
  const { limit, offset } = q.page;
  const filter = compileFilter(sql, q.filter);
  const total = cachedCount(sql, filter);

  const sortMetric = q.sort.by.startsWith('metric:') ? q.sort.by.slice('metric:'.length) : undefined;
  const dir = q.sort.dir === 'asc' ? 'ASC' : 'DESC';
  let rows: RunRow[] = [];
  if (offset < total) {
    if (sortMetric !== undefined) {
      rows = pageByMetric(sql, filter, q.filter.metric ?? [], sortMetric, dir, limit, offset, total);
    } else {
      // Many matches, and a page near the top: walk runs in the sort order and
      // test each one, instead of collecting every match and sorting them.
      const walk = filter.sets.length > 0 && total > SORT_MATCHES_MAX && ((offset + limit) * lastSeq(sql)) / total <= WALK_STEPS_MAX;
      const w = walk ? whereTested(filter) : whereIn(filter);
      rows = sql
        .prepare<RunRow>(`SELECT ${SUMMARY_COLUMNS} FROM runs r WHERE 1${w.sql} ORDER BY ${COLUMN_ORDER[q.sort.by]?.(dir)} LIMIT ? OFFSET ?`)
        .all(...w.params, limit, offset);
    }
  }

  const seqs = rows.map((r) => r.seq);
  const tags = loadTags(sql, seqs);
  const names = [...new Set(sortMetric === undefined ? q.metrics : [...q.metrics, sortMetric])];
  const metrics = loadMetrics(sql, seqs, names);
  return { total, rows: rows.map((r) => toSummary(r, tags.get(r.seq) ?? [], metrics.get(r.seq) ?? {})) };
}

/**
 * Runs having the sort metric come first, ordered by it; runs without it
 * follow, newest first. Range conditions on the sort metric itself narrow
 * the index range instead of being tested per row.
 */
function pageByMetric(
  sql: Sql,
  filter: CompiledFilter,
  conditions: readonly MetricCondition[],
  metric: string,
  dir: string,
  limit: number,
  offset: number,
  total: number,
  columns: string = SUMMARY_COLUMNS,
): RunRow[] {
  const rest: CompiledFilter = { ...filter, sets: filter.sets.filter((s) => s.metric !== metric) };
  const own = conditions.filter((m) => m.name === metric);
  const value = metricValue(metric, 's');
  const has: Fragment = { sql: `${value.sql} IS NOT NULL`, params: value.params };
  const ranges = own.length > 0 ? own.map((m) => metricRange(m, 's')) : [has];
  const sConds = ranges.map((r) => r.sql).join(' AND ');
  const sParams = ranges.flatMap((r) => r.params);
  const order = `ORDER BY ${value.sql} ${dir}, s.run_seq ${dir} LIMIT ? OFFSET ?`;

  let withMetric: RunRow[];
  if (total > SORT_MATCHES_MAX) {
    // Many matches: walk the index in order (CROSS JOIN keeps run_metrics as
    // the outer loop) and test each run; a page costs about
    // (offset + limit) / selectivity steps, and no sort.
    const tests = rest.sets.map((s) => s.test('s.run_seq'));
    withMetric = sql
      .prepare<RunRow>(`SELECT ${columns} FROM run_metrics s CROSS JOIN runs r ON r.seq = s.run_seq
                        WHERE ${sConds}${and(rest.row)}${and(tests)} ${order}`)
      .all(...sParams, ...rest.rowParams, ...rest.sets.flatMap((s) => s.params), ...value.params, limit, offset);
  } else {
    // Few matches: let SQLite start from the most selective condition and sort them.
    const w = whereIn(rest);
    withMetric = sql
      .prepare<RunRow>(`SELECT ${columns} FROM runs r JOIN run_metrics s ON s.run_seq = r.seq AND ${sConds}
                        WHERE 1${w.sql} ${order}`)
      .all(...sParams, ...w.params, ...value.params, limit, offset);
  }
  // A full page, or a condition on the sort metric (which excludes runs without it): done.
  if (withMetric.length === limit || own.length > 0) return withMetric;

  // The page runs past the runs having the metric; how many there are decides where the rest starts.
  const w = whereIn(rest);
  const having =
    withMetric.length > 0
      ? offset + withMetric.length
      : (sql
          .prepare<{ n: number }>(`SELECT count(*) AS n FROM runs r WHERE EXISTS (SELECT 1 FROM run_metrics s WHERE s.run_seq = r.seq AND ${has.sql})${w.sql}`)
          .get(...has.params, ...w.params)?.n ?? 0);
  const without = sql
    .prepare<RunRow>(
      `SELECT ${columns} FROM runs r WHERE NOT EXISTS (SELECT 1 FROM run_metrics s WHERE s.run_seq = r.seq AND ${has.sql})${w.sql}
       ORDER BY r.created_at DESC, r.seq DESC LIMIT ? OFFSET ?`,
    )
    .all(...has.params, ...w.params, limit - withMetric.length, Math.max(0, offset - having));
  return [...withMetric, ...without];
}

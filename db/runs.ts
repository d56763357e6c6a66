// Runs: insertion, the lifecycle (queued -> running -> done | failed |
// cancelled), reading one run back, deletion, tags and notes. Each public
// method validates first and then writes in one transaction.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { canonicalJson, decodeSeries, encodeSeries, parseJson, sha256Hex } from './codec.ts';
import { JournalInputError, NotFoundError, RunStateError } from './errors.ts';
import { isOwnerAlive } from './owner.ts';
import { listRuns, matchingSeqs, summariesOf } from './run-query.ts';
import { loadMetrics, loadTags, SUMMARY_COLUMNS, toSummary } from './run-rows.ts';
import type { RunRow } from './run-rows.ts';
import type { Sql } from './statements.ts';
import { msBetween, nowIso } from './time.ts';
import type {
  ImportedRun,
  JsonObject,
  NewRun,
  Note,
  Run,
  RunCompletion,
  RunPage,
  RunQuery,
  RunStatus,
  RunSummary,
  Series,
  SeriesEncoding,
} from './types.ts';
import * as v from './validate.ts';

const ACTIVE: readonly RunStatus[] = ['queued', 'running'];

const RUN_COLUMNS = ['seq', 'id', 'experiment_id', 'name', 'status', 'kind', 'seed', 'model_version', 'scenario_hash', 'created_at',
  'started_at', 'finished_at', 'duration_ms', 'error', 'owner'] as const;
/** Rows per multi-row INSERT in bulk inserts: 200 x 15 columns stays far below SQLite's 32766 bound parameters. */
const ROWS_PER_STATEMENT = 200;

interface EncodedSeries {
  name: string;
  encoding: SeriesEncoding;
  points: number;
  data: Buffer;
}

/** A run ready to be written, every column resolved. */
interface RunRecord {
  id: string;
  experimentId: string | null;
  name: string;
  status: RunStatus;
  kind: string;
  seed: number;
  modelVersion: string;
  scenarioHash: string;
  scenarioJson: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: string | null;
  owner: string | null;
  resultJson: string | null;
  tags: readonly string[];
  metrics: Record<string, number>;
  series: readonly EncodedSeries[];
  notes: readonly string[];
}

/** A run's metrics as written (migration 006 stores them as JSONB): one JSON object, in the order given (finite numbers: JSON keeps them exactly). */
function metricsJson(metrics: Record<string, number>): string {
  return JSON.stringify(metrics);
}

/** A scenario as stored: canonical JSON, and its hash (the default scenario hash). */
interface StoredScenario {
  json: string;
  hash: string;
}

function storedScenario(scenario: Record<string, unknown>): StoredScenario {
  const json = canonicalJson(scenario);
  return { json, hash: sha256Hex(json) };
}

function encodeAll(series: Record<string, Series>, encoding: SeriesEncoding, field: string): EncodedSeries[] {
  return Object.entries(series).map(([name, s]) => {
    const data = encodeSeries(s, encoding);
    if (!data) throw new JournalInputError(`${field}.${name}`, `has values too large for ${encoding}; use f64le`);
    return { name, encoding, points: s.t.length, data };
  });
}

export class RunStore {
  constructor(
    private readonly sql: Sql,
    /** Token stored on runs this Journal queues or starts (see owner.ts). */
    private readonly owner: string,
  ) {}

  insertRun(input: NewRun): string {
    const run = v.parseInput(v.newRun, input, 'run');
    const now = nowIso();
    const record = this.#record(run, storedScenario(run.scenario), {
      status: run.status,
      startedAt: run.status === 'running' ? now : null,
      finishedAt: null,
      durationMs: null,
      error: null,
      owner: this.owner,
      resultJson: null,
      metrics: {},
      series: [],
      notes: [],
    });
    return this.sql.write(() => this.#insert(record));
  }

  /**
   * Inserts many runs in any state in one transaction: all or none. For
   * imports and benchmarks. The write lock is held throughout (about 1 s per
   * 10k runs), so split very large imports if other processes write meanwhile.
   */
  insertRunsBulk(inputs: readonly ImportedRun[]): string[] {
    if (!Array.isArray(inputs)) throw new JournalInputError('runs', 'must be an array');
    // Runs of a sweep share a few scenario objects: check, serialize and hash each distinct one once.
    const scenarios = new Map<unknown, StoredScenario>();
    const records = inputs.map((input, i) => {
      const run = v.parseInput(v.importedRunShallowScenario, input, `runs[${i}]`);
      const metrics: Record<string, number> =
        run.metrics === undefined ? {} : v.isValidMetrics(run.metrics) ? run.metrics : v.parseInput(v.metrics, run.metrics, `runs[${i}].metrics`);
      const given = (input as { scenario: unknown }).scenario;
      let scenario = scenarios.get(given);
      if (scenario === undefined) {
        scenario = storedScenario(v.parseInput(v.jsonObject, given, `runs[${i}].scenario`));
        scenarios.set(given, scenario);
      }
      return this.#record(
        run,
        scenario,
        {
          status: run.status,
          startedAt: run.startedAt ?? null,
          finishedAt: run.finishedAt ?? null,
          durationMs: run.durationMs ?? null,
          error: run.error ?? null,
          owner: ACTIVE.includes(run.status) ? this.owner : null,
          resultJson: run.result ? canonicalJson(run.result) : null,
          metrics,
          series: encodeAll(run.series ?? {}, run.seriesEncoding, `runs[${i}].series`),
          notes: run.notes,
        },
      );
    });
    return this.sql.write(() => this.#insertMany(records));
  }

  markRunning(id: string): void {
    this.sql.write(() => {
      const seq = this.#require(id, 'start', ['queued']);
      this.sql.prepare('UPDATE runs SET status = ?, started_at = ?, owner = ? WHERE seq = ?').run('running', nowIso(), this.owner, seq);
    });
  }

  /** Status done, result, metrics and series: one transaction, all validated before it starts. */
  completeRun(id: string, input: RunCompletion): void {
    const runId = v.parseInput(v.uuid, id, 'id');
    const done = v.parseInput(v.completion, input, 'completion');
    const series = encodeAll(done.series, done.seriesEncoding, 'completion.series');
    const resultJson = canonicalJson(done.result);
    this.sql.write(() => {
      const seq = this.#require(runId, 'complete', ACTIVE);
      const now = nowIso();
      this.sql
        .prepare(`UPDATE runs SET status = 'done', started_at = coalesce(started_at, ?), finished_at = ?, duration_ms = ?,
                  error = NULL, owner = NULL WHERE seq = ?`)
        .run(now, now, done.durationMs, seq);
      this.sql.prepare('UPDATE run_documents SET result_json = ? WHERE run_seq = ?').run(resultJson, seq);
      this.#discardOutputs(seq);
      this.#insertOutputs(seq, done.metrics, series);
    });
  }

  failRun(id: string, error: string): void {
    const message = v.parseInput(v.errorMessage, error, 'error');
    this.#end(id, 'failed', 'fail', message);
  }

  cancelRun(id: string): void {
    this.#end(id, 'cancelled', 'cancel', null);
  }

  /**
   * Queues again runs left `interrupted` by a process that ended (a sweep's
   * coordinator resumed elsewhere): they are this Journal's again. Returns the
   * ids it changed; runs in any other status are left alone.
   */
  requeueInterrupted(ids: readonly string[]): string[] {
    const runIds = ids.map((id) => v.parseInput(v.uuid, id, 'ids'));
    return this.sql.write(() => {
      const update = this.sql.prepare("UPDATE runs SET status = 'queued', error = NULL, started_at = NULL, finished_at = NULL, owner = ? WHERE id = ? AND status = 'interrupted'");
      return runIds.filter((id) => update.run(this.owner, id).changes === 1);
    });
  }

  getRun(id: string, opts: { series?: boolean } = {}): Run {
    const runId = v.parseInput(v.uuid, id, 'id');
    const row = this.sql
      .prepare<RunRow & { scenario_json: string; result_json: string | null }>(
        `SELECT ${SUMMARY_COLUMNS}, json(sc.scenario_jsonb) AS scenario_json, d.result_json
         FROM runs r JOIN run_documents d ON d.run_seq = r.seq JOIN scenarios sc ON sc.seq = d.scenario_seq WHERE r.id = ?`,
      )
      .get(runId);
    if (!row) throw new NotFoundError('run', runId);
    const seqs = [row.seq];
    return {
      ...toSummary(row, loadTags(this.sql, seqs).get(row.seq) ?? [], {}),
      metrics: loadMetrics(this.sql, seqs).get(row.seq) ?? {},
      scenario: parseJson<JsonObject>(row.scenario_json),
      result: row.result_json === null ? null : parseJson<JsonObject>(row.result_json),
      series: opts.series === false ? {} : this.#loadSeries(row.seq),
      notes: this.#loadNotes(row.seq, row.id),
    };
  }

  /** Full ids of the runs whose id starts with `prefix` (at most `limit`), for short ids typed by people. */
  /** A page of runs matching a query (see run-query.ts). */
  listRuns(query?: RunQuery): RunPage {
    return listRuns(this.sql, query);
  }

  /**
   * Every run matching `query`, in its order, as a cursor: `total`, and
   * `read(from, count)` for the summaries at those positions. For exports of
   * any size: the cursor holds 8 bytes per run, each read only its rows.
   */
  matchingRuns(query: Omit<RunQuery, 'page'> = {}, metrics: readonly string[] = []): { total: number; read: (from: number, count: number) => RunSummary[] } {
    const seqs = matchingSeqs(this.sql, query);
    return { total: seqs.length, read: (from, count) => summariesOf(this.sql, seqs.slice(from, from + count), metrics) };
  }

  findRunIds(prefix: string, limit = 2): string[] {
    const p = v.parseInput(v.idPrefix, prefix, 'id');
    return this.sql
      .prepare<string>('SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?')
      .pluck()
      .all(p, `${p}\uffff`, limit) as string[];
  }

  /** Deletes runs with everything attached to them; unknown ids fail the whole call. Returns the count. */
  deleteRuns(ids: readonly string[]): number {
    const runIds = v.parseInput(v.uuid.array(), ids, 'ids');
    return this.sql.write(() => {
      const seqs = JSON.stringify(runIds.map((id) => this.#seq(id)));
      const scenarios = JSON.stringify(
        this.sql.prepare<number>('SELECT DISTINCT scenario_seq FROM run_documents WHERE run_seq IN (SELECT value FROM json_each(?))').pluck().all(seqs),
      );
      const deleted = this.sql.prepare('DELETE FROM runs WHERE seq IN (SELECT value FROM json_each(?))').run(seqs).changes;
      // A scenario no run refers to any more goes with its last run.
      this.sql
        .prepare('DELETE FROM scenarios WHERE seq IN (SELECT value FROM json_each(?)) AND NOT EXISTS (SELECT 1 FROM run_documents d WHERE d.scenario_seq = scenarios.seq)')
        .run(scenarios);
      return deleted;
    });
  }

  tagRun(id: string, tags: string | readonly string[]): void {
    const runId = v.parseInput(v.uuid, id, 'id');
    const list = v.parseInput(v.tag.array(), typeof tags === 'string' ? [tags] : tags, 'tags');
    this.sql.write(() => {
      const seq = this.#seq(runId);
      const insert = this.sql.prepare('INSERT OR IGNORE INTO run_tags (run_seq, tag) VALUES (?, ?)');
      for (const t of list) insert.run(seq, t);
    });
  }

  untagRun(id: string, tags: string | readonly string[]): void {
    const runId = v.parseInput(v.uuid, id, 'id');
    const list = v.parseInput(v.tag.array(), typeof tags === 'string' ? [tags] : tags, 'tags');
    this.sql.write(() => {
      const seq = this.#seq(runId);
      const remove = this.sql.prepare('DELETE FROM run_tags WHERE run_seq = ? AND tag = ?');
      for (const t of list) remove.run(seq, t);
    });
  }

  addNote(runId: string, body: string): Note {
    const id = v.parseInput(v.uuid, runId, 'runId');
    const text = v.parseInput(v.noteBody, body, 'body');
    return this.sql.write(() => this.#insertNote(this.#seq(id), id, text));
  }

  /**
   * Runs left queued or running by a process that is gone become interrupted.
   * Runs held by a live process (another app on the same journal) are left alone.
   */
  recoverOrphans(): number {
    type Active = { seq: number; status: RunStatus; owner: string | null };
    const find = (): Active[] =>
      this.sql
        .prepare<Active>("SELECT seq, status, owner FROM runs WHERE status IN ('queued', 'running')")
        .all()
        .filter((r) => !isOwnerAlive(r.owner));
    if (find().length === 0) return 0; // the usual case takes no write lock
    return this.sql.write(() => {
      const orphans = find(); // again under the lock
      const now = nowIso();
      const update = this.sql.prepare("UPDATE runs SET status = 'interrupted', error = ?, finished_at = ?, owner = NULL WHERE seq = ?");
      for (const o of orphans) {
        update.run(`interrupted: the run was ${o.status} when the process holding it ended (found when the journal was reopened)`, now, o.seq);
      }
      return orphans.length;
    });
  }

  #record(
    run: z.output<typeof v.newRun> | z.output<typeof v.importedRunShallowScenario>,
    scenario: StoredScenario,
    rest: Omit<RunRecord, 'id' | 'experimentId' | 'name' | 'kind' | 'seed' | 'modelVersion' | 'scenarioHash' | 'scenarioJson' | 'createdAt' | 'tags'>,
  ): RunRecord {
    return {
      id: run.id ?? randomUUID(),
      experimentId: run.experimentId ?? null,
      name: run.name,
      kind: run.kind,
      seed: run.seed,
      modelVersion: run.modelVersion,
      scenarioHash: run.scenarioHash ?? scenario.hash,
      scenarioJson: scenario.json,
      createdAt: run.createdAt ?? nowIso(),
      tags: run.tags,
      ...rest,
    };
  }

  #insert(r: RunRecord): string {
    if (this.sql.prepare('SELECT 1 FROM runs WHERE id = ?').get(r.id)) throw new JournalInputError('run.id', `${r.id} is already in the journal`);
    if (r.experimentId !== null && !this.sql.prepare('SELECT 1 FROM experiments WHERE id = ?').get(r.experimentId)) {
      throw new NotFoundError('experiment', r.experimentId);
    }
    const seq = Number(
      this.sql
        .prepare(`INSERT INTO runs (id, experiment_id, name, status, kind, seed, model_version, scenario_hash, created_at,
                  started_at, finished_at, duration_ms, error, owner)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(r.id, r.experimentId, r.name, r.status, r.kind, r.seed, r.modelVersion, r.scenarioHash, r.createdAt,
          r.startedAt, r.finishedAt, r.durationMs, r.error, r.owner).lastInsertRowid,
    );
    this.sql.prepare('INSERT INTO run_documents (run_seq, scenario_seq, result_json) VALUES (?, ?, ?)').run(seq, this.#scenarioSeq(r.scenarioJson), r.resultJson);
    const tag = this.sql.prepare('INSERT OR IGNORE INTO run_tags (run_seq, tag) VALUES (?, ?)');
    for (const t of r.tags) tag.run(seq, t);
    this.#insertOutputs(seq, r.metrics, r.series);
    for (const body of r.notes) this.#insertNote(seq, r.id, body);
    return r.id;
  }

  /**
   * Inserts many records with a few multi-row statements per table instead of
   * one statement per row (about 35 rows per run with metrics): the checks run
   * once for the whole set, and seqs are assigned here (max + 1 onwards, as
   * SQLite would) so child rows can be written table by table.
   */
  #insertMany(records: readonly RunRecord[]): string[] {
    const ids = records.map((r) => r.id);
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) throw new JournalInputError('run.id', `${id} is already in the journal`);
      seen.add(id);
    }
    const experiments = [...new Set(records.map((r) => r.experimentId).filter((e): e is string => e !== null))];
    if (experiments.length > 0) {
      const known = new Set(
        this.sql.prepare<string>('SELECT id FROM experiments WHERE id IN (SELECT value FROM json_each(?))').pluck().all(JSON.stringify(experiments)) as string[],
      );
      const missing = experiments.find((e) => !known.has(e));
      if (missing !== undefined) throw new NotFoundError('experiment', missing);
    }
    const first = (this.sql.prepare<number>('SELECT coalesce(max(seq), 0) + 1 FROM runs').pluck().get() as number) ?? 1;
    const scenarioSeqs = new Map<string, number>();
    const scenarioSeq = (json: string): number => {
      let seq = scenarioSeqs.get(json);
      if (seq === undefined) scenarioSeqs.set(json, (seq = this.#scenarioSeq(json)));
      return seq;
    };
    const runRows: unknown[][] = [];
    const docRows: unknown[][] = [];
    const tagRows: unknown[][] = [];
    const metricRows: unknown[][] = [];
    records.forEach((r, i) => {
      const seq = first + i;
      runRows.push([seq, r.id, r.experimentId, r.name, r.status, r.kind, r.seed, r.modelVersion, r.scenarioHash, r.createdAt,
        r.startedAt, r.finishedAt, r.durationMs, r.error, r.owner]);
      docRows.push([seq, scenarioSeq(r.scenarioJson), r.resultJson]);
      for (const t of new Set(r.tags)) tagRows.push([seq, t]);
      if (Object.keys(r.metrics).length > 0) metricRows.push([seq, metricsJson(r.metrics)]);
    });
    try {
      this.#insertRows('runs', RUN_COLUMNS, runRows);
    } catch (err) {
      // An id already here: the unique index says so (no lookup of every id first); which one, asked only
      // now, among the runs that were here before (seq < first: earlier chunks of this call are in too).
      if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
      const existing = this.sql
        .prepare<string>('SELECT id FROM runs WHERE seq < ? AND id IN (SELECT value FROM json_each(?)) LIMIT 1')
        .pluck()
        .get(first, JSON.stringify(ids));
      throw existing === undefined ? err : new JournalInputError('run.id', `${existing} is already in the journal`);
    }
    this.#insertRows('run_documents', ['run_seq', 'scenario_seq', 'result_json'], docRows);
    this.#insertRows('run_tags', ['run_seq', 'tag'], tagRows);
    this.#insertRows('run_metrics', ['run_seq', 'metrics_jsonb'], metricRows, ['?', 'jsonb(?)']);
    records.forEach((r, i) => {
      const blob = this.sql.prepare('INSERT INTO run_series (run_seq, name, encoding, points, data) VALUES (?, ?, ?, ?, ?)');
      for (const s of r.series) blob.run(first + i, s.name, s.encoding, s.points, s.data);
      for (const body of r.notes) this.#insertNote(first + i, r.id, body);
    });
    return ids;
  }

  /**
   * `rows` into `table`, ROWS_PER_STATEMENT rows per statement (one prepared
   * shape, plus one for the remainder); `values` are the columns' placeholders
   * (default `?`, `jsonb(?)` for a JSONB column).
   */
  #insertRows(table: string, columns: readonly string[], rows: readonly unknown[][], values: readonly string[] = columns.map(() => '?')): void {
    const row = `(${values.join(', ')})`;
    const statement = (n: number) => this.sql.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array.from({ length: n }, () => row).join(', ')}`);
    for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
      statement(chunk.length).run(...chunk.flat());
    }
  }

  /** The seq of the stored scenario with this canonical JSON, stored now if new (migration 007: one row per distinct scenario). */
  #scenarioSeq(json: string): number {
    const known = this.sql.prepare<number>('SELECT seq FROM scenarios WHERE scenario_jsonb = jsonb(?)').pluck().get(json);
    if (known !== undefined) return known as number;
    return Number(this.sql.prepare('INSERT INTO scenarios (scenario_jsonb) VALUES (jsonb(?))').run(json).lastInsertRowid);
  }

  #insertOutputs(seq: number, metrics: Record<string, number>, series: readonly EncodedSeries[]): void {
    if (Object.keys(metrics).length > 0) this.sql.prepare('INSERT INTO run_metrics (run_seq, metrics_jsonb) VALUES (?, jsonb(?))').run(seq, metricsJson(metrics));
    const blob = this.sql.prepare('INSERT INTO run_series (run_seq, name, encoding, points, data) VALUES (?, ?, ?, ?, ?)');
    for (const s of series) blob.run(seq, s.name, s.encoding, s.points, s.data);
  }

  #discardOutputs(seq: number): void {
    this.sql.prepare('DELETE FROM run_metrics WHERE run_seq = ?').run(seq);
    this.sql.prepare('DELETE FROM run_series WHERE run_seq = ?').run(seq);
  }

  #insertNote(seq: number, runId: string, body: string): Note {
    const note: Note = { id: randomUUID(), runId, body, createdAt: nowIso() };
    this.sql.prepare('INSERT INTO notes (id, run_seq, body, created_at) VALUES (?, ?, ?, ?)').run(note.id, seq, body, note.createdAt);
    return note;
  }

  /** Failed or cancelled: the run keeps its config and error, and drops any partial outputs. */
  #end(id: string, status: 'failed' | 'cancelled', action: string, error: string | null): void {
    const runId = v.parseInput(v.uuid, id, 'id');
    this.sql.write(() => {
      const seq = this.#require(runId, action, ACTIVE);
      const started = this.sql.prepare<{ started_at: string | null }>('SELECT started_at FROM runs WHERE seq = ?').get(seq)?.started_at ?? null;
      const now = nowIso();
      this.sql
        .prepare('UPDATE runs SET status = ?, error = ?, finished_at = ?, duration_ms = ?, owner = NULL WHERE seq = ?')
        .run(status, error, now, started === null ? null : msBetween(started, now), seq);
      this.#discardOutputs(seq);
    });
  }

  #seq(id: string): number {
    const row = this.sql.prepare<{ seq: number }>('SELECT seq FROM runs WHERE id = ?').get(id);
    if (!row) throw new NotFoundError('run', id);
    return row.seq;
  }

  /** The run's seq, after checking that `action` applies to its status. */
  #require(id: string, action: string, from: readonly RunStatus[]): number {
    const runId = v.parseInput(v.uuid, id, 'id');
    const row = this.sql.prepare<{ seq: number; status: RunStatus }>('SELECT seq, status FROM runs WHERE id = ?').get(runId);
    if (!row) throw new NotFoundError('run', runId);
    if (!from.includes(row.status)) throw new RunStateError(runId, row.status, action, from);
    return row.seq;
  }

  #loadSeries(seq: number): Record<string, Series> {
    const rows = this.sql
      .prepare<{ name: string; encoding: SeriesEncoding; points: number; data: Buffer }>(
        'SELECT name, encoding, points, data FROM run_series WHERE run_seq = ? ORDER BY name',
      )
      .all(seq);
    return Object.fromEntries(rows.map((r) => [r.name, decodeSeries(r.data, r.encoding, r.points)]));
  }

  #loadNotes(seq: number, runId: string): Note[] {
    return this.sql
      .prepare<{ id: string; body: string; created_at: string }>('SELECT id, body, created_at FROM notes WHERE run_seq = ? ORDER BY created_at, seq')
      .all(seq)
      .map((n) => ({ id: n.id, runId, body: n.body, createdAt: n.created_at }));
  }
}
